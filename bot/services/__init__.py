"""Use cases: the rules of the product, with no aiogram import. Each public method is one unit
of work (one commit)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.i18n import Translations
from bot.services.assigning import TicketAssigning
from bot.services.availability import StaffAvailability
from bot.services.catalogue import CatalogueService
from bot.services.clock import Clock, system_clock
from bot.services.closing import ClosingService
from bot.services.community import CommunityService, StaffService
from bot.services.console import ConsoleAccess
from bot.services.console_exports import ConsoleExports
from bot.services.contact_links import ContactLinks
from bot.services.conversations import ConversationService
from bot.services.desk import DeskService
from bot.services.digest import DigestService
from bot.services.door_activities import DoorActivities
from bot.services.door_ballots import DoorBallots
from bot.services.flat_claims import FlatService
from bot.services.forget import ForgetService
from bot.services.join_approvals import JoinApprovals
from bot.services.joins import JoinService
from bot.services.ladder import LadderService
from bot.services.neighbours import NeighbourActions
from bot.services.notice_board import NoticeBoard
from bot.services.notice_copies import NoticeCopies
from bot.services.notices import NoticeService
from bot.services.notify import Notifier
from bot.services.numbers import NumbersService
from bot.services.office_activities import OfficeActivities
from bot.services.office_votes import OfficeVotes
from bot.services.onboarding import OnboardingService
from bot.services.open311 import Open311Service
from bot.services.points import PointsService
from bot.services.points_ranking import RankingService
from bot.services.poster import PosterService
from bot.services.redemptions import RedemptionService
from bot.services.reminders import ReminderService
from bot.services.reopening import TicketReopening
from bot.services.reporting import Reporting
from bot.services.retention import RetentionService
from bot.services.revoke import RevokeService
from bot.services.scheduling import Scheduling
from bot.services.service_hours import ServiceHoursService
from bot.services.serving import ServingService
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_actions import TicketActions
from bot.services.ticket_audience import TicketAudience
from bot.services.ticket_cards import TicketCards
from bot.services.ticket_detail import TicketDetails
from bot.services.ticket_lists import TicketLists
from bot.services.ticket_query import TicketSearch
from bot.services.volunteering import VolunteeringService
from bot.services.vote_elections import ElectionService
from bot.services.vote_rule_book import VoteRuleBook
from bot.services.votes import VoteService
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
    # The ticket loop, by meaning: each use case composes the same two collaborators (how a
    # person stands to a ticket; who hears about it and what the outbox gets).
    reporting: Reporting
    neighbours: NeighbourActions
    ticket_actions: TicketActions
    assigning: TicketAssigning
    reopening: TicketReopening
    ticket_lists: TicketLists
    ticket_cards: TicketCards
    availability: StaffAvailability
    ticket_access: TicketAccess
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
    notice_board: NoticeBoard  # notices in the WeChat and web doors
    volunteering: VolunteeringService
    service_hours: ServiceHoursService
    serving: ServingService
    votes: VoteService
    vote_rules: VoteRuleBook  # a community's own vote rules
    flats: FlatService
    elections: ElectionService
    points: PointsService
    redemptions: RedemptionService
    catalogue: CatalogueService
    ranking: RankingService
    office_votes: OfficeVotes
    office_activities: OfficeActivities
    door_ballots: DoorBallots  # building votes in WeChat and the web door's ballot page
    door_activities: DoorActivities  # an activity's page in the web door (WeChat's template)

    @classmethod
    def create(
        cls,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock = system_clock,
    ) -> Services:
        notifier = Notifier(translations)
        votes = VoteService(config, db, translations, clock)
        community = CommunityService(config, db, clock)
        access = TicketAccess(config, db)
        audience = TicketAudience(config, translations, clock, access)
        reporting = Reporting(config, db, clock, audience)
        neighbours = NeighbourActions(config, db, translations, clock, access, audience)
        cards = TicketCards(db, translations, clock, access)
        actions = TicketActions(config, db, clock, access, audience, cards)
        reopening = TicketReopening(db, clock, access, audience)
        lists = TicketLists(config, db)
        joins = JoinService(config, db, clock)
        onboarding = OnboardingService(config, db, notifier, clock)
        forget = ForgetService(config, db, translations, clock, audience, joins)
        conversations = ConversationService(db, clock, access, audience, actions)
        links = ContactLinks(db, clock)
        revoke = RevokeService(config, db, notifier, clock, audience, joins)
        search = TicketSearch(config, db, clock)
        notices = NoticeService(config, db, clock)
        ballots = DoorBallots(config, db, translations, clock, votes)
        volunteering = VolunteeringService(config, db, translations, clock, notices)
        flats = FlatService(config, db, translations, clock)
        notice_copies = NoticeCopies(config, db, translations, clock)
        return cls(
            onboarding=onboarding,
            community=community,
            staff=StaffService(config, db, community),
            reporting=reporting,
            neighbours=neighbours,
            ticket_actions=actions,
            assigning=TicketAssigning(db, clock, access, audience),
            reopening=reopening,
            ticket_lists=lists,
            ticket_cards=cards,
            availability=StaffAvailability(config, db, clock, audience),
            ticket_access=access,
            scheduling=Scheduling(
                reminders=ReminderService(config, db, translations, clock, audience),
                ladder=LadderService(config, db, translations, clock, access, audience),
                closing=ClosingService(config, db, translations, clock, audience, reopening),
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
            ticket_details=TicketDetails(config, db, clock, access),
            whistle=WhistleService(config, db, translations, clock, access, audience),
            open311=Open311Service(db, translations, clock, audience),
            web=WebDoorService(
                config,
                db,
                clock,
                reporting,
                neighbours,
                lists,
                actions,
                reopening,
                access,
                onboarding,
                conversations,
                forget,
            ),
            wechat=WeChatDoorService(
                config,
                db,
                translations,
                clock,
                reporting,
                lists,
                actions,
                reopening,
                access,
                onboarding,
                conversations,
                links,
                forget,
                ballots,
                volunteering,
                flats,
                notice_copies,
                neighbours,
            ),
            desk=DeskService(config, db, community, revoke),
            numbers=NumbersService(config, db, clock),
            console_exports=ConsoleExports(config, db, translations, search, clock),
            notices=notices,
            notice_copies=notice_copies,
            notice_board=NoticeBoard(config, db, translations, clock),
            volunteering=volunteering,
            service_hours=ServiceHoursService(config, db, translations, clock),
            serving=ServingService(config, db, translations, clock),
            votes=votes,
            vote_rules=VoteRuleBook(config, db, clock),
            flats=flats,
            elections=ElectionService(config, db, translations, clock),
            points=PointsService(config, db, clock),
            redemptions=RedemptionService(config, db, translations, clock),
            catalogue=CatalogueService(config, db, clock),
            ranking=RankingService(config, db, clock),
            office_votes=OfficeVotes(db, votes),
            office_activities=OfficeActivities(db),
            door_ballots=ballots,
            door_activities=DoorActivities(config, db, translations, clock, volunteering),
        )
