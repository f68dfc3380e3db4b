"""``python -m bot open311-key``: issue or revoke the API key of an Open311 client (a hotline
system, a civic app). The key is printed once, on its own line of standard output; only its
hash is kept, so a lost key is replaced by issuing a new one (the old one stops working)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.config import Config
from bot.i18n import Translations
from bot.services.clock import system_clock
from bot.services.errors import ServiceError
from bot.services.open311_keys import DEFAULT_DAILY_LIMIT, Open311Keys
from storage.db import Database

COMMAND = "open311-key"


def add_open311_parser(commands: Any) -> None:
    """The subcommand's entry in ``python -m bot``'s parser (``commands``: its subparsers)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        COMMAND,
        help="issue (or revoke) the API key of an Open311 client",
        description="Print a new Open311 GeoReport v2 API key for CLIENT (a name such as "
        "12345-hotline), once: only its hash is kept. Issuing again for the same CLIENT "
        "replaces its key (the old one stops working). --community limits the key to one "
        "community (its jurisdiction_id); without it the key serves every community. "
        "--revoke CLIENT stops the client's key at once.",
    )
    parser.add_argument("client", metavar="CLIENT")
    parser.add_argument("--community", metavar="NAME", help="the only community it may use")
    parser.add_argument(
        "--daily-limit",
        type=int,
        default=DEFAULT_DAILY_LIMIT,
        metavar="N",
        help=f"new tickets it may file in 24 hours (default {DEFAULT_DAILY_LIMIT})",
    )
    parser.add_argument("--revoke", action="store_true", help="revoke CLIENT's key")


async def open311_key(config: Config, db: Database, args: argparse.Namespace) -> int:
    t = Translations(default="en")
    keys = Open311Keys(db, system_clock)
    if args.revoke:
        if not await keys.revoke_key(args.client):
            raise ServiceError("open311-no-client", client=args.client)
        _out(t.get("en", "open311-key-revoked", client=args.client))
        return 0
    issued = await keys.issue_key(args.client, args.community, args.daily_limit)
    _out(t.get("en", "open311-key-issued", client=issued.name), err=True)
    _out(issued.key)
    where = issued.community or "every community"
    _out(f"# {where}; at most {issued.daily_limit} new tickets a day", err=True)
    return 0


def _out(line: str, *, err: bool = False) -> None:
    print(line, file=sys.stderr if err else sys.stdout)  # noqa: T201
