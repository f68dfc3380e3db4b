"""How the WeChat door answers a person: in their language, as a text (with ``msgmenu``
choices) through the outbox to their WeChat, whose delivery (wechat/sender.py) keeps WeChat's
48-hour window; a refusal as one sentence with one apology. Also what a callback is, as the door
parsed it (wechat/callback.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.i18n import Translations, Translator
from bot.services.clock import Clock
from bot.services.messages import Buttons, write_text
from storage.db import Database
from storage.models import Address, Channel, Person

# WeChat's rule for customer-service messages: within 48 hours of the person's last message.
WINDOW = timedelta(hours=48)
# How long a Reply or Not fixed waits for its words, and photos for their report's text.
PENDING = timedelta(hours=1)


def wechat_address(openid: str) -> Address:
    return Address(Channel.WECHAT, openid)


UNREAD = "unread"  # a message of a kind the door does not read: a video, a location, a file…


@dataclass(frozen=True, slots=True)
class Incoming:
    """One callback, as the door parsed it."""

    openid: str
    # "text", "image", "voice" (untranscribed), UNREAD (a message of another kind), an event
    # ("subscribe", "scan", "click"); other events are ignored
    kind: str
    text: str = ""
    scene: str = ""  # a subscribe or SCAN event's scene: a building's join token
    msg_id: str = ""
    menu: str = ""  # a text that is a tapped msgmenu choice: its id (bizmsgmenuid)
    media: bytes | None = None  # an image's bytes, fetched by the door from WeChat's media API


def refusal(t: Translator, reason: str) -> str:
    """A refusal read as one sentence with one apology: a reason that apologises already (a
    shared key such as ``not-allowed``) goes as it is; any other follows the door's "Sorry, ",
    its first letter lowered where that letter only starts the sentence."""
    if t("wechat-apology").casefold() in reason.casefold():
        return reason
    if reason[1:2].islower():  # "Ticket #3 …", not "I …" or "CSV …"
        reason = reason[0].lower() + reason[1:]
    return t("wechat-refused", reason=reason)


class WeChatReplies:
    def __init__(self, db: Database, translations: Translations, clock: Clock) -> None:
        self.db = db
        self.translations = translations
        self.clock = clock

    def t(self, person: Person) -> Translator:
        return self.translations.bind(person.language or self.translations.default)

    async def tell(
        self,
        person: Person,
        text: str,
        buttons: Buttons | None = None,
        ticket_id: int | None = None,
    ) -> None:
        to = next((c.as_address for c in person.contacts if c.channel == Channel.WECHAT), None)
        if to is None:
            return
        async with self.db.session() as session:
            await write_text(
                session,
                to=to,
                person_id=person.id,
                text=text,
                now=self.clock(),
                buttons=buttons,
                ticket_id=ticket_id,
            )
            await session.commit()
