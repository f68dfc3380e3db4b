"""``python -m bot import-flats FILE`` and ``export-vote ID FILE``: the flats of buildings with
their floor areas (the electorate of building votes), and a vote's tally for the street
office's paper file.

The export lists every flat with its area and whether it took part (a column left empty for
the owner's signature), because the street office files the participating flats' signatures;
it never shows what a flat chose: only the tallies per option."""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import Any

from bot.cli_documents import Refused, _checked_language, _out, _suffix, _write
from bot.config import Config
from bot.i18n import Translations
from bot.services.errors import ServiceError
from storage.db import Database

COMMANDS = ("import-flats", "export-vote", "vote-rules")
HEADER = ["building", "flat", "area"]


def add_parsers(commands: Any) -> None:
    flats = commands.add_parser(
        "import-flats",
        help="create or update the flats of buildings (with floor areas) from a CSV file",
        description="Read a CSV file with the header building,flat,area (building code, flat "
        "number, floor area in m² such as 89.5); create or update flats by building and flat "
        "(idempotent). Every row is checked before anything is written.",
    )
    flats.add_argument("file", type=Path, metavar="FILE")
    export = commands.add_parser(
        "export-vote",
        help="write a building vote's tally and turnout to a CSV or XLSX file",
        description="Write vote ID to FILE (.csv or .xlsx): the question, the rule, each "
        "threshold against its figure, the tally per option and every flat with its area and "
        "whether it took part (never what it chose), with a column for signatures.",
    )
    export.add_argument("vote", type=int, metavar="ID")
    export.add_argument("file", type=Path, metavar="FILE")
    export.add_argument("--language", metavar="LANG", help="zh-hans or en")
    rules = commands.add_parser(
        "vote-rules",
        help="list, add or retire a community's own vote rules",
        description="List COMMUNITY's own vote rules (besides the presets major and ordinary); "
        "--add NAME with --turnout and --approve (2/3, 3/4, 51%%) adds one, --retire ID hides "
        "one from new votes. A rule is never changed: votes keep the thresholds they opened "
        "with.",
    )
    rules.add_argument("community", metavar="COMMUNITY")
    rules.add_argument("--add", metavar="NAME")
    rules.add_argument("--turnout", metavar="SHARE", default="")
    rules.add_argument("--approve", metavar="SHARE", default="")
    rules.add_argument("--strict", action="store_true", help='approval "more than" the share')
    rules.add_argument("--turnout-strict", action="store_true", help='turnout "more than"')
    rules.add_argument("--retire", type=int, metavar="ID")


def read_flats(path: Path) -> list[Any]:
    from bot.services.flat_claims import FlatRow

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise Refused(f"cannot read {path}: {error}") from None
    reader = csv.reader(io.StringIO(text))
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    if not rows or [c.strip().lower() for c in rows[0]] != HEADER:
        raise Refused(f"{path}: the first line must be {','.join(HEADER)}")
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 3:
            raise Refused(f"{path}: line {number}: expected 3 fields, found {len(row)}")
        out.append(FlatRow(row[0].strip(), row[1].strip(), row[2].strip()))
    return out


async def run(command: str, args: argparse.Namespace, config: Config, db: Database) -> int:
    from bot.documents.vote_sheet import export_table, to_csv, to_xlsx
    from bot.services.clock import system_clock
    from bot.services.flat_claims import FlatService
    from bot.services.votes import VoteService

    translations = Translations(default=config.default_language)
    votes = VoteService(config, db, translations, system_clock)
    try:
        if command == "import-flats":
            rows = read_flats(args.file)
            changed = await FlatService(config, db, translations, system_clock).import_flats(rows)
            _out(f"{len(rows)} flat(s) read, {changed} created or changed")
        elif command == "export-vote":
            _suffix(args.file, (".csv", ".xlsx"))
            t = translations.bind(_checked_language(args.language or config.default_language))
            table = export_table(t, *await votes.export_rows(args.vote))
            xlsx = args.file.suffix.lower() == ".xlsx"
            _write(args.file, to_xlsx(table) if xlsx else to_csv(table))
            _out(f"{args.file}: vote {args.vote}")
        elif command == "vote-rules":
            await _vote_rules(args, config, db, translations)
    except Refused as error:
        _out(f"error: {error}", err=True)
        return 2
    except ServiceError as error:
        text = Translations(default="en").get("en", error.key, **error.args_)
        _out(f"error: {text}", err=True)
        return 2
    return 0


async def _vote_rules(
    args: argparse.Namespace, config: Config, db: Database, translations: Translations
) -> None:
    """The operator's: an admin's coverage, by the community's name."""
    from bot.services.access import Coverage
    from bot.services.clock import system_clock
    from bot.services.vote_rule_book import VoteRuleBook
    from bot.services.vote_view import rule_text
    from storage.repositories import CommunityRepository

    async with db.session() as session:
        community = await CommunityRepository(session).by_name(args.community)
    if community is None:
        raise Refused(f"no community called {args.community!r}")
    book, seen = VoteRuleBook(config, db, system_clock), Coverage(admin=True)
    if args.add is not None:
        row = await book.define(
            seen,
            None,
            community.id,
            args.add,
            args.turnout,
            args.approve,
            approve_strict=args.strict,
            turnout_strict=args.turnout_strict,
        )
        _out(f"added rule {row.id}: {row.name}")
    if args.retire is not None:
        row = await book.retire(seen, args.retire, community.id)
        _out(f"retired rule {row.id}: {row.name}")
    t = translations.bind("en")
    for line in await book.listed(seen, community.id):
        retired = " (retired)" if line.row.retired_at else ""
        _out(f"{line.row.id}\t{rule_text(t, line.rule)}{retired}\tvotes: {line.votes}")
