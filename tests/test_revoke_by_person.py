"""``python -m bot revoke`` for someone without Telegram: the office of this computer (the
no-token run's coordinator) or a head only in WeChat has no Telegram id to name. The list of
holders a wrong id prints shows them as ``#ID``, and ``--person ID`` removes them the same way;
naming nobody, or both ways at once, is a usage error that changes nothing."""

from __future__ import annotations

from pathlib import Path

from bot.config import Config
from bot.i18n import Translations
from bot.services.local_office import LOCAL_OFFICE, LocalOffice
from storage.repositories import PersonRepository
from tests.conftest import FakeClock
from tests.test_cli import cli_env, run_cli_async
from tests.test_ticket_handling import OFFICE, Town, client, town

__all__ = ["client", "town"]  # fixtures

COMMUNITY = "塘中社区"


async def local_office(town: Town, config: Config, clock: FakeClock) -> int:
    """The office of this computer made coordinator of the community, as console-link does."""
    services = town.world.services
    translations = Translations(default=config.default_language)
    office = LocalOffice(config, town.db, translations, clock, services.community, services.console)
    await office.appoint(COMMUNITY)
    async with town.db.session() as session:
        person = await PersonRepository(session).by_contact(*LOCAL_OFFICE)
    assert person is not None
    return person.id


async def coordinates(town: Town, person_id: int) -> bool:
    async with town.db.session() as session:
        return bool(await PersonRepository(session).coordinator_areas(person_id))


async def test_the_local_office_is_removed_by_its_person_id(
    town: Town, config: Config, clock: FakeClock, tmp_path: Path
) -> None:
    office = await local_office(town, config, clock)
    env = cli_env(Path(config.database_url.removeprefix("sqlite+aiosqlite:///")))

    code, out, err = await run_cli_async(
        "revoke", "coordinator", "999", COMMUNITY, cwd=tmp_path, env=env
    )
    assert code == 1 and f"社区办公室（本机） (#{office})" in err  # how to name it
    for wrong in (
        ("revoke", "coordinator", COMMUNITY),  # nobody named
        ("revoke", "coordinator", "300", COMMUNITY, "--person", str(office)),  # both
    ):
        code, out, err = await run_cli_async(*wrong, cwd=tmp_path, env=env)
        assert code == 2 and "--person ID" in err and out == ""
    code, out, err = await run_cli_async(
        "revoke", "coordinator", "--person", "x1", COMMUNITY, cwd=tmp_path, env=env
    )
    assert code == 2 and "is not a person's id" in err
    assert await coordinates(town, office)

    code, out, err = await run_cli_async(
        "revoke", "coordinator", "--person", str(office), COMMUNITY, cwd=tmp_path, env=env
    )
    assert code == 0, err
    assert out.strip().startswith(
        f"社区办公室（本机） (#{office}) is no longer coordinator of 塘中社区"
    )
    assert not await coordinates(town, office)
    assert await coordinates(town, town.ids[OFFICE])  # the other coordinator stays


async def test_a_person_id_that_holds_nothing_there_is_refused(
    town: Town, config: Config, tmp_path: Path
) -> None:
    env = cli_env(Path(config.database_url.removeprefix("sqlite+aiosqlite:///")))
    office = town.ids[OFFICE]
    code, out, err = await run_cli_async(
        "revoke", "head", "--person", str(office), "A1", cwd=tmp_path, env=env
    )
    assert code == 1 and out == "" and f"#{office} is not building head of 塘中新村1栋" in err
    assert await coordinates(town, office)
