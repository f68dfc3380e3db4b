"""The poster's web twin: ``/b/<token>`` is the building's page (report form, the device's
tickets), a POST shows the summary (with the me-too offer), and "Send" files the ticket
through the chat's own use case. Every step works without JavaScript."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from aiohttp import web
from multidict import MultiDictProxy

from bot.i18n import Translator
from bot.services.cards import category_label
from bot.services.categories import Category
from bot.services.choice_numbers import choice_number
from bot.services.errors import ServiceError
from bot.services.links import PayloadKind, make_payload, start_link
from bot.services.onboarding import clean_phone
from bot.services.ticket_core import MAX_DESCRIPTION, MAX_MEDIA, Draft
from bot.services.web_door import NAME_LIMIT, DoorBuilding
from bot.text import blank, clip, fits
from storage.models import Person
from web.door.guard import (
    DOOR,
    device_secret,
    door_page,
    form_text,
    refusal,
    service_refusal,
    set_device,
)
from web.pages import TRANSLATIONS, visitor_language

Form = MultiDictProxy[str | bytes | bytearray | web.FileField]


@dataclass(frozen=True, slots=True)
class Choices:
    """What the form says, checked before anything is written."""

    category: Category
    description: str
    latitude: float | None
    longitude: float | None
    show_name: bool
    show_phone: bool
    share_description: bool
    name: str
    phone: str


async def building_page(request: web.Request) -> web.Response:
    building = await _building(request)
    door = request.app[DOOR].services.web
    person = await door.device(device_secret(request))
    mine = [t for t in await door.mine(person) if t.building_id == building.id] if person else []
    config = request.app[DOOR].config
    # The same join token in the Telegram door, for those who have it (BOT_USERNAME known).
    telegram = (
        start_link(config.bot_username, make_payload(PayloadKind.JOIN, building.token))
        if config.bot_username
        else None
    )
    # The building's notices, to its members' devices only (bot/services/notice_board.py).
    notices = await request.app[DOOR].services.notice_board.building(person, building.id)
    context = _context(request, building) | {
        "mine": mine,
        "telegram": telegram,
        "notices": notices,
    }
    return door_page(request, "door/building.html", context)


async def summary(request: web.Request) -> web.Response:
    """Step one: the form is checked, the device joins the building, the photos are stored;
    the summary asks to send (or to join a neighbour's open ticket of the same problem)."""
    building = await _building(request)
    form = await request.post()
    choices = _choices(request, building, form)
    files = [f for f in form.getall("photo", []) if isinstance(f, web.FileField) and f.filename]
    if len(files) > MAX_MEDIA:
        raise refusal(request, "door-photos-too-many", status=400, max=MAX_MEDIA)
    contents = [f.file.read() for f in files]
    if not choices.description and not any(contents):
        raise refusal(request, "report-empty", status=400)
    door = request.app[DOOR].services.web
    _phone_given(request, choices, await door.device(device_secret(request)))
    try:
        cleaned = await door.check_photos(contents)
    except ServiceError as error:
        return service_refusal(request, error)
    entered = await door.enter(device_secret(request), building.token, visitor_language(request))
    photos = [await door.save_photo(entered.person, data) for data in cleaned]
    similar = await door.similar(entered.person, building.id, choices.category.code)
    context = _context(request, building) | {
        "choices": choices,
        "category_label": category_label(_t(request), choices.category, choices.category.code),
        "photos": photos,
        "similar": similar,
        "draft_key": secrets.token_urlsafe(12),
    }
    response = door_page(request, "door/summary.html", context)
    set_device(request, response, entered.secret)
    return response


async def send(request: web.Request) -> web.StreamResponse:
    building = await _building(request)
    form = await request.post()
    choices = _choices(request, building, form)
    door = request.app[DOOR].services.web
    person = await door.device(device_secret(request))
    if person is None:
        raise refusal(request, "door-no-device", status=403)
    _phone_given(request, choices, person)
    photos = [k for k in form.getall("photo_key", []) if isinstance(k, str)][:MAX_MEDIA]
    key = form_text(form, "draft_key")[:32] or None
    draft = Draft(
        building_id=building.id,
        category=choices.category.code,
        description=choices.description,
        latitude=choices.latitude,
        longitude=choices.longitude,
        show_name=choices.show_name,
        show_phone=choices.show_phone,
        share_description=choices.share_description,
        key=f"web:{key}" if key else None,
    )
    try:
        reported = await door.report(person, draft, photos, name=choices.name, phone=choices.phone)
    except ServiceError as error:
        return service_refusal(request, error)
    raise web.HTTPSeeOther(f"/t/{reported.ticket.id}?sent=1")


async def follow(request: web.Request) -> web.StreamResponse:
    """ "Me too": the device follows the neighbour's ticket instead of filing another."""
    building = await _building(request)
    door = request.app[DOOR].services.web
    person = await door.device(device_secret(request))
    if person is None:
        raise refusal(request, "door-no-device", status=403)
    form = await request.post()
    ticket_id = choice_number(form_text(form, "ticket"))
    if ticket_id is None:  # a forged form
        raise refusal(request, "door-forbidden", status=400)
    category = form_text(form, "category")[:64]
    try:
        ticket = await door.follow(person, building.id, category, ticket_id)
    except ServiceError as error:
        return service_refusal(request, error)
    raise web.HTTPSeeOther(f"/t/{ticket.id}")


async def _building(request: web.Request) -> DoorBuilding:
    try:
        return await request.app[DOOR].services.web.building(request.match_info["token"])
    except ServiceError:
        raise refusal(request, "door-link-unknown", status=404) from None


def _choices(request: web.Request, building: DoorBuilding, form: Form) -> Choices:
    code = form_text(form, "category")
    category = next((c for c in building.categories if c.code == code), None)
    if category is None:
        raise refusal(request, "door-pick-category", status=400)
    description = form_text(form, "description").strip()
    if blank(description):  # zero-width spaces or a control character: nothing to read
        description = ""
    if not fits(description, MAX_DESCRIPTION):
        raise refusal(request, "door-too-long", status=400, max=MAX_DESCRIPTION)
    latitude, longitude = _coordinate(form, "lat", 90), _coordinate(form, "lon", 180)
    if latitude is None or longitude is None:
        latitude = longitude = None
    show_phone = form.get("show_phone") == "1"
    phone = form_text(form, "phone")[:32]
    if show_phone and phone.strip():
        # Checked on the summary step, where the form is one tap back, not after "Send".
        try:
            clean_phone(phone)
        except ServiceError as error:
            raise refusal(request, error.key, status=400) from None
    return Choices(
        category=category,
        description=description,
        latitude=latitude,
        longitude=longitude,
        show_name=form.get("show_name") == "1",
        show_phone=show_phone,
        share_description=form.get("share_description") == "1",
        name=_name(form_text(form, "name")),
        phone=phone,
    )


def _phone_given(request: web.Request, choices: Choices, person: Person | None) -> None:
    """ "The head sees my phone number" with no number written, and none given before: the
    summary would promise the head a number they never get. Asked for, before anything is
    written."""
    if choices.show_phone and not choices.phone.strip() and not (person and person.phone):
        raise refusal(request, "door-phone-missing", status=400)


def _name(given: str) -> str:
    """The name the form gave; "" for one nobody would see (zero-width spaces), which the
    head's card would otherwise show as a name line with nothing on it."""
    return "" if blank(given) else clip(given, NAME_LIMIT)


def _coordinate(form: Form, field: str, bound: float) -> float | None:
    try:
        value = float(form_text(form, field))
    except ValueError:
        return None
    return value if -bound <= value <= bound else None


def _t(request: web.Request) -> Translator:
    return request.app[TRANSLATIONS].bind(visitor_language(request))


def _context(request: web.Request, building: DoorBuilding) -> dict[str, object]:
    t = _t(request)
    chips = [(c.code, category_label(t, c, c.code)) for c in building.categories]
    return {"building": building, "chips": chips}


def routes(app: web.Application) -> None:
    app.router.add_get("/b/{token}", building_page)
    app.router.add_post("/b/{token}", summary)
    app.router.add_post("/b/{token}/send", send)
    app.router.add_post("/b/{token}/follow", follow)
