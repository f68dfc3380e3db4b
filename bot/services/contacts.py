"""Who a person is to the doors: administrators are named by their Telegram ids (ADMIN_IDS), so
"is this person an admin" asks their Telegram contacts; everything else is a person id."""

from __future__ import annotations

from collections.abc import Iterable

from bot.config import Config
from storage.models import Address, Channel, Person, telegram_address
from storage.repositories import PersonRepository
from storage.repositories.people import addresses_in


def is_admin(config: Config, person: Person) -> bool:
    admins = {str(admin) for admin in config.admin_ids}
    return any(address in admins for address in addresses_in(person, Channel.TELEGRAM))


async def people_and_admins(
    people: PersonRepository, config: Config, person_ids: Iterable[int]
) -> tuple[dict[int, Person], set[int]]:
    """The people found among ``person_ids`` (without their contacts) and which of them are
    administrators (``is_admin``), in one statement (none asked without ADMIN_IDS)."""
    addresses = (address.address for address in admin_addresses(config))
    return await people.get_many_marked(person_ids, Channel.TELEGRAM, addresses)


def admin_addresses(config: Config) -> list[Address]:
    """The administrators' Telegram chats, lowest id first (they may not have written yet)."""
    return [telegram_address(admin) for admin in sorted(config.admin_ids)]


async def admin_people(people: PersonRepository, config: Config) -> list[Person]:
    """The administrators who have written to the bot, lowest Telegram id first."""
    found: list[Person] = []
    for address in admin_addresses(config):
        admin = await people.by_contact(*address)
        if admin is not None and all(admin.id != p.id for p in found):
            found.append(admin)
    return found


def telegram_label(person: Person) -> str:
    """How an operator (the CLI, logs) names a person: their Telegram id, or #person id."""
    ids = addresses_in(person, Channel.TELEGRAM)
    return ids[0] if ids else f"#{person.id}"


async def distinct_recipients(
    people: PersonRepository,
    recipients: Iterable[Person | Address],
    *,
    skip: Iterable[Person | None] = (),
) -> list[Person | Address]:
    """Each recipient once, in order (an administrator's address becomes their person when they
    have written), without the people in ``skip``."""
    seen = {person.id for person in skip if person is not None}
    result: list[Person | Address] = []
    for recipient in recipients:
        if not isinstance(recipient, Person):
            recipient = await people.by_contact(*recipient) or recipient
        if isinstance(recipient, Person):
            if recipient.id in seen:
                continue
            seen.add(recipient.id)
        elif recipient in result:
            continue
        result.append(recipient)
    return result
