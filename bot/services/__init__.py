"""Use cases: the rules of the product, with no aiogram import. Each public method is one unit
of work (one commit)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.i18n import Translations
from bot.services.clock import Clock, system_clock
from bot.services.closing import ClosingService
from bot.services.community import CommunityService, StaffService
from bot.services.console import ConsoleAccess
from bot.services.console_exports import ConsoleExports
from bot.services.contact_links import ContactLinks
from bot.services.conversations import ConversationService
from bot.services.desk import DeskService
from bot.services.digest import DigestService
from bot.services.forget import ForgetService
from bot.services.join_approvals import JoinApprovals
from bot.services.joins import JoinService
from bot.services.ladder import LadderService
from bot.services.notice_copies import NoticeCopies
from bot.services.notices import NoticeService
from bot.services.notify import Notifier
from bot.services.numbers import NumbersService
from bot.services.onboarding import OnboardingService
from bot.services.open311 import Open311Service
from bot.services.poster import PosterService
from bot.services.reminders import ReminderService
from bot.services.retention import RetentionService
from bot.services.revoke import RevokeService
from bot.services.scheduling import Scheduling
from bot.services.ticket_detail import TicketDetails
from bot.services.ticket_query import TicketSearch
from bot.services.tickets import TicketService
from bot.services.web_door import WebDoorService
from bot.services.wechat_door import WeChatDoorService
from bot.services.whistle import WhistleService
from bot.services.whistle_reminders import WhistleReminders
from storage.db import Database

__all__ = ["Clock", "Services", "system_clock"]


@dataclass(frozen=True, slots=True)
class Services:
    onboarding: OnboardingService
    community: CommunityService
    staff: StaffService
    tickets: TicketService
    scheduling: Scheduling
    joins: JoinService
    approvals: JoinApprovals
    forget: ForgetService
    revoke: RevokeService
    conversations: ConversationService
    posters: PosterService
    links: ContactLinks
    console: ConsoleAccess
    ticket_search: TicketSearch
    ticket_details: TicketDetails
    whistle: WhistleService
    open311: Open311Service
    web: WebDoorService
    wechat: WeChatDoorService
    desk: DeskService
    numbers: NumbersService
    console_exports: ConsoleExports
    notices: NoticeService
    notice_copies: NoticeCopies

    @classmethod
    def create(
        cls,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock = system_clock,
    ) -> Services:
        notifier = Notifier(translations)
        community = CommunityService(config, db, clock)
        tickets = TicketService(config, db, translations, clock)
        joins = JoinService(config, db, clock)
        onboarding = OnboardingService(config, db, notifier, clock)
        forget = ForgetService(config, db, translations, clock, tickets, joins)
        conversations = ConversationService(db, tickets)
        links = ContactLinks(db, clock)
        revoke = RevokeService(config, db, notifier, clock, tickets, joins)
        search = TicketSearch(config, db, clock)
        return cls(
            onboarding=onboarding,
            community=community,
            staff=StaffService(config, db, community),
            tickets=tickets,
            scheduling=Scheduling(
                reminders=ReminderService(config, db, translations, clock, tickets),
                ladder=LadderService(config, db, translations, clock, tickets),
                closing=ClosingService(config, db, translations, clock, tickets),
                digest=DigestService(config, db, translations, clock),
                retention=RetentionService(config, db, clock),
                whistle=WhistleReminders(config, db, translations, clock),
            ),
            joins=joins,
            approvals=JoinApprovals(config, db, translations, clock),
            forget=forget,
            revoke=revoke,
            conversations=conversations,
            posters=PosterService(db, translations),
            links=links,
            console=ConsoleAccess(config, db, clock),
            ticket_search=search,
            ticket_details=TicketDetails(config, db, clock, tickets),
            whistle=WhistleService(config, db, translations, clock, tickets),
            open311=Open311Service(config, db, translations, clock),
            web=WebDoorService(config, db, clock, tickets, onboarding, conversations, forget),
            wechat=WeChatDoorService(
                config, db, translations, clock, tickets, onboarding, conversations, links
            ),
            desk=DeskService(config, db, community, revoke),
            numbers=NumbersService(config, db, clock),
            console_exports=ConsoleExports(config, db, translations, search, clock),
            notices=NoticeService(config, db, clock),
            notice_copies=NoticeCopies(config, db, translations, clock),
        )
