"""The office of this computer (the no-token run's coordinator, signed in by ``console-link``)
is named in the community's default language (DEFAULT_LANGUAGE), as the console greets it."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.local_office import LOCAL_OFFICE, LocalOffice
from storage.db import Database
from storage.models import Contact, Person
from tests.conftest import FakeClock
from tests.factories import BUILDINGS
from tests.test_console import Http, http

__all__ = ["http"]  # fixture


def office_of(config: Config, services: Services, db: Database, clock: FakeClock) -> LocalOffice:
    translations = Translations(default=config.default_language)
    return LocalOffice(config, db, translations, clock, services.community, services.console)


async def office_name(db: Database) -> str:
    async with db.session() as session:
        name = await session.scalar(
            select(Person.display_name)
            .join(Contact, Contact.person_id == Person.id)
            .where(Contact.channel == LOCAL_OFFICE.channel, Contact.address == LOCAL_OFFICE.address)
        )
    assert name is not None
    return name


async def test_the_console_greets_the_local_office_in_chinese(
    config: Config, services: Services, db: Database, clock: FakeClock, http: Http
) -> None:
    office = office_of(config, services, db, clock)
    assert await office.seed_example(BUILDINGS) == "塘中社区"
    signed = await office.sign_in(None)
    path = signed.url.removeprefix(config.console_base)
    opened = await http.post(path, allow_redirects=False)
    assert opened.status == 303
    page = await (await http.get("/console/tickets")).text()
    assert "社区办公室（本机）" in page and "Office (this computer)" not in page
    assert await office_name(db) == "社区办公室（本机）"


async def test_an_english_community_gets_an_english_name(
    config: Config, services: Services, db: Database, clock: FakeClock
) -> None:
    office = office_of(replace(config, default_language="en"), services, db, clock)
    await services.community.import_buildings(BUILDINGS)
    await office.appoint("塘中社区")
    assert await office_name(db) == "Office (this computer)"
