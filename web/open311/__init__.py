"""Open311 GeoReport v2 on the bot's web server, under /open311/v2/: civic apps and hotline
systems read the services (the community's categories) and file and read tickets (service
requests) through the same use cases as the chat. ``open311_setup(service)`` is the part's
``Setup`` for ``web.server.create_web_app``.

Reading service requests needs an API key, as filing does: the spec allows public reads, but a
list of what was reported in which building and when tells a neighbour more than a resident
agreed to share; a key is issued per client by the operator and reads only its jurisdiction.
The services (categories) are public: they say nothing about anyone."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from aiohttp import web

from bot.i18n import Translator
from bot.services.errors import ServiceError
from bot.services.open311 import (
    ClientView,
    DailyLimit,
    Filing,
    Open311Refusal,
    Open311Service,
    UnknownJurisdiction,
)
from storage.repositories.open311 import TicketFilter
from web.open311 import params, views
from web.open311.formats import FORMAT, answer, errors
from web.open311.limits import PerKeyWindow
from web.open311.params import ApiError, text
from web.pages import TRANSLATIONS, visitor_language
from web.server import Setup

PREFIX = "/open311/v2"
PER_MINUTE = 60  # requests per key (or per address without one) a minute, per process
DEFAULT_DAYS = 90  # the spec's default range of GET requests
MAX_RESULTS = 1000
SUBMITTER = ("first_name", "last_name", "email", "phone")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def open311_setup(
    service: Open311Service,
    *,
    per_minute: int = PER_MINUTE,
    monotonic: Callable[[], float] = time.monotonic,
) -> Setup:
    def setup(app: web.Application) -> None:
        door = Open311Door(service, PerKeyWindow(per_minute, monotonic))
        add = app.router.add_route
        add("GET", f"{PREFIX}/services.{FORMAT}", door.spec(door.services))
        add("GET", PREFIX + "/services/{code}." + FORMAT, door.spec(door.definition))
        add("POST", f"{PREFIX}/requests.{FORMAT}", door.spec(door.file))
        add("GET", f"{PREFIX}/requests.{FORMAT}", door.spec(door.requests))
        add("GET", PREFIX + "/requests/{id}." + FORMAT, door.spec(door.request))
        add("GET", PREFIX + "/tokens/{token}." + FORMAT, door.spec(door.token))
        add("*", "/open311/{tail:.*}", door.not_found)

    return setup


def _status(error: Open311Refusal) -> int:
    if isinstance(error, UnknownJurisdiction):
        return 404
    if isinstance(error, DailyLimit):
        return 429
    return 400  # JurisdictionNeeded, UnknownService in a POST, NoBuilding, a bad field


class Open311Door:
    def __init__(self, service: Open311Service, window: PerKeyWindow) -> None:
        self.service = service
        self.window = window

    def spec(self, handler: Callable[[web.Request], Awaitable[web.Response]]) -> Handler:
        """``handler`` with every refusal in the spec's error format, in the format the path
        asked for."""

        async def answering(request: web.Request) -> web.StreamResponse:
            fmt = request.match_info.get("fmt", "json")
            try:
                return await handler(request)
            except ApiError as error:
                return self.error(fmt, error.status, error.key, error.args_)
            except Open311Refusal as error:
                return self.error(fmt, _status(error), error.key, error.args_)
            except ServiceError as error:
                if error.key == "input-too-long":
                    return self.error(fmt, 400, "open311-input-too-long", error.args_)
                if error.key == "not-allowed":  # the client lost what it files as
                    return self.error(fmt, 403, "open311-bad-key", {})
                return self.error(fmt, 400, error.key, error.args_)

        return answering

    def error(self, fmt: str, status: int, key: str, args: Mapping[str, object]) -> web.Response:
        translations = self.service.translations
        return errors(fmt, status, translations.get("en", key, **args))

    async def client(
        self, request: web.Request, fields: Mapping[str, str], *, required: bool
    ) -> ClientView | None:
        """The key's client, counted against its own limit; a request without a (valid) key
        counts against its address, so guessing keys is as slow as anything else."""
        client = await self.service.client(fields.get("api_key"))
        caller = f"client:{client.id}" if client else f"address:{request.remote}"
        if not self.window.allow(caller):
            raise ApiError(429, "open311-too-many")
        if client is None and required:
            raise ApiError(403, "open311-bad-key")
        return client

    async def services(self, request: web.Request) -> web.Response:
        fields = request.query
        client = await self.client(request, fields, required=False)
        community = await self.service.jurisdiction(client, text(fields, "jurisdiction_id"))
        t = _translator(request)
        rows = [views.service(t, community, c) for c in await self.service.services(community)]
        return answer(request.match_info["fmt"], rows, root="services", item="service")

    async def definition(self, request: web.Request) -> web.Response:
        fields = request.query
        client = await self.client(request, fields, required=False)
        community = await self.service.jurisdiction(client, text(fields, "jurisdiction_id"))
        code = request.match_info["code"]
        found = [c for c in await self.service.services(community) if c.code == code]
        if not found:
            raise ApiError(404, "open311-unknown-service")
        fmt = request.match_info["fmt"]
        return answer(fmt, views.definition(found[0]), root="service_definition", item="")

    async def file(self, request: web.Request) -> web.Response:
        fields = await params.read_form(request)
        client = await self.client(request, fields, required=True)
        assert client is not None
        community = await self.service.jurisdiction(client, text(fields, "jurisdiction_id"))
        service_code = text(fields, "service_code")
        if service_code is None:
            raise ApiError(400, "open311-missing", field="service_code")
        latitude, longitude = params.point(fields)
        filing = Filing(
            service_code=service_code,
            description=fields.get("description", ""),
            address_id=text(fields, "address_id"),
            address_string=text(fields, "address_string"),
            latitude=latitude,
            longitude=longitude,
            media_url=text(fields, "media_url"),
            submitter=tuple((f, fields[f]) for f in SUBMITTER if f in fields),
        )
        filed = await self.service.file(client, community, filing)
        row = {
            "service_request_id": str(filed.number),
            "token": filed.token,
            "service_notice": _translator(request)("open311-notice", number=filed.number),
            "account_id": None,
        }
        fmt = request.match_info["fmt"]
        return answer(fmt, [row], root="service_requests", item="request")

    async def requests(self, request: web.Request) -> web.Response:
        fields = request.query
        client = await self.client(request, fields, required=True)
        assert client is not None
        community = await self.service.jurisdiction(client, text(fields, "jurisdiction_id"))
        ids = params.numbers(fields, "service_request_id")
        if ids:  # the spec: the other parameters are then ignored
            wanted = TicketFilter(community.id, numbers=ids, limit=MAX_RESULTS)
        else:
            until = params.moment(fields, "end_date")
            since = params.moment(fields, "start_date")
            if until is None:
                until = self.service.clock() if since is None else since + _days()
            elif since is not None and since >= until:
                # Dates swapped by the client: said so, rather than an empty list that reads
                # as "nothing was reported".
                raise ApiError(400, "open311-bad-range")
            wanted = TicketFilter(
                community.id,
                categories=params.words(fields, "service_code"),
                since=since if since is not None else until - _days(),
                until=until,
                statuses=params.statuses(fields),
                limit=MAX_RESULTS,
            )
        found = await self.service.requests(client, community, wanted)
        t = _translator(request)
        rows = [views.request(t, view) for view in found]
        fmt = request.match_info["fmt"]
        return answer(fmt, rows, root="service_requests", item="request")

    async def request(self, request: web.Request) -> web.Response:
        fields = request.query
        client = await self.client(request, fields, required=True)
        assert client is not None
        community = await self.service.jurisdiction(client, text(fields, "jurisdiction_id"))
        number = params.number(request.match_info["id"], "id")
        found = await self.service.requests(
            client, community, TicketFilter(community.id, numbers=[number], limit=1)
        )
        if not found:
            raise ApiError(404, "open311-unknown-request", id=number)
        t = _translator(request)
        fmt = request.match_info["fmt"]
        return answer(fmt, [views.request(t, found[0])], root="service_requests", item="request")

    async def token(self, request: web.Request) -> web.Response:
        fields = request.query
        client = await self.client(request, fields, required=True)
        assert client is not None
        community = await self.service.jurisdiction(client, text(fields, "jurisdiction_id"))
        token = request.match_info["token"]
        number = await self.service.by_token(client, community, token)
        if number is None:
            raise ApiError(404, "open311-unknown-token", token=token[:40])
        row = {"service_request_id": str(number), "token": token}
        fmt = request.match_info["fmt"]
        return answer(fmt, [row], root="service_requests", item="request")

    async def not_found(self, request: web.Request) -> web.Response:
        fmt = "xml" if request.path.endswith(".xml") else "json"
        return self.error(fmt, 404, "open311-not-found", {})


def _days() -> timedelta:
    return timedelta(days=DEFAULT_DAYS)


def _translator(request: web.Request) -> Translator:
    return request.app[TRANSLATIONS].bind(visitor_language(request))


__all__ = ["Open311Door", "open311_setup"]
