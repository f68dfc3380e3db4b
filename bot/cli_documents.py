"""``python -m bot export-tickets | report-month | posters``: the office's documents from the
command line. Every argument is checked, and the document made in full, before the output file
is written: a refusal (an unknown community or code, a malformed month) is one line on stderr,
exit code 2, and no file."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.i18n import SUPPORTED_LANGUAGES, Translations
from bot.services.errors import ServiceError
from storage.db import PRIVATE_FILE, Database
from storage.models import OPEN_STATUSES, TicketStatus

COMMANDS = ("export-tickets", "report-month", "posters")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Refused(Exception):
    """A usage error: one line, exit code 2."""


def add_parsers(commands: Any) -> None:
    """The commands' entries in ``python -m bot``'s parser (``commands``: its subparsers)."""
    export = commands.add_parser(
        "export-tickets",
        help="write a community's tickets to a CSV or XLSX file",
        description="Write the tickets of COMMUNITY to FILE (.csv or .xlsx, by its name): one "
        "row per ticket, times in the community's time zone, reporters named only as each "
        "ticket's consent allows. --status (repeatable or comma-separated: new, taken, "
        "resolved, reopened, closed, withdrawn, or open for the first three and reopened) "
        "and --from/--to (local dates YYYY-MM-DD, both included) select tickets.",
    )
    export.add_argument("community", metavar="COMMUNITY")
    export.add_argument("file", type=Path, metavar="FILE")
    export.add_argument("--status", action="append", default=[], metavar="STATUS")
    export.add_argument("--from", dest="first", metavar="DATE")
    export.add_argument("--to", dest="last", metavar="DATE")
    _language(export)
    report = commands.add_parser(
        "report-month",
        help="write the monthly report (XLSX) for the street office",
        description="Write the report of COMMUNITY for the month YYYY-MM to FILE (.xlsx): per "
        "building, per category and per building and category, tickets new and resolved, "
        "response, resolution and satisfaction rates and median times (the digest's "
        "definitions), with a totals row.",
    )
    report.add_argument("community", metavar="COMMUNITY")
    report.add_argument("month", metavar="YYYY-MM")
    report.add_argument("file", type=Path, metavar="FILE")
    _language(report)
    posters = commands.add_parser(
        "posters",
        help="write the join posters of a community's buildings to one PDF (A4 a page)",
        description="Write one A4 poster per building of COMMUNITY (or only the buildings "
        "CODE …) to FILE.pdf: the names, the QR code of the building's join link and how to "
        "use it.",
    )
    posters.add_argument("community", metavar="COMMUNITY")
    posters.add_argument("codes", nargs="*", metavar="CODE")
    posters.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    _language(posters)


def _language(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--language",
        metavar="LANG",
        help="zh-hans or en (default: DEFAULT_LANGUAGE)",
    )


async def run(
    command: str,
    args: argparse.Namespace,
    config: Config,
    db: Database,
    bot_username: Callable[[Config], Awaitable[str]],
) -> int:
    """Runs one of COMMANDS; returns the exit code."""
    # Here, not at the top: ``python -m bot run`` imports this module and needs none of them.
    from bot.documents.pdf import PdfUnavailable
    from bot.documents.posters import posters_pdf
    from bot.services.clock import system_clock
    from bot.services.exports import TicketExports, tickets_csv, tickets_xlsx
    from bot.services.links import poster_link
    from bot.services.monthly import MonthlyReports, monthly_xlsx
    from bot.services.poster_sheets import PosterSheets

    translations = Translations(default=config.default_language)
    try:
        language = _checked_language(args.language or config.default_language)
        if command == "export-tickets":
            _suffix(args.file, (".csv", ".xlsx"))
            statuses = _statuses(args.status)
            first, last = _day(args.first, "--from"), _day(args.last, "--to")
            rows = await TicketExports(db, translations).rows(
                args.community, language, statuses=statuses, first=first, last=last
            )
            t = translations.bind(language)
            xlsx = args.file.suffix.lower() == ".xlsx"
            data = tickets_xlsx(t, rows) if xlsx else tickets_csv(t, rows)
            _write(args.file, data, private=True)  # names and phones of residents
            _out(f"{args.file}: {len(rows)} ticket(s)")
        elif command == "report-month":
            _suffix(args.file, (".xlsx",))
            month = _month(args.month)
            reports = MonthlyReports(db, translations, system_clock)
            figures = await reports.figures(args.community, month, language)
            _write(args.file, monthly_xlsx(translations.bind(language), figures))
            count = len(figures.buildings)
            _out(f"{args.file}: {figures.community} {month:%Y-%m}, {count} building(s)")
        elif command == "posters":
            _suffix(args.out, (".pdf",))
            # A public WEB_BASE_URL: the QR codes open the web twin, no Telegram needed; with
            # no Telegram door at all, the local twin (as the console's posters do).
            telegram = config.bot_username or config.telegram_enabled
            username = await bot_username(config) if telegram and not config.public_base else None
            pages = await PosterSheets(db).pages(
                args.community,
                args.codes,
                lambda payload: poster_link(
                    payload,
                    public_base=config.public_base,
                    bot_username=username,
                    local_base=config.console_base,
                ),
            )
            pdf = await asyncio.to_thread(
                posters_pdf, translations.bind(language), translations.bind("en"), pages
            )
            _write(args.out, pdf)
            _out(f"{args.out}: {len(pages)} poster(s)")
    except Refused as error:
        _out(f"error: {error}", err=True)
        return 2
    except ServiceError as error:
        text = Translations(default="en").get("en", error.key, **error.args_)
        _out(f"error: {text}", err=True)
        return 2
    except PdfUnavailable as error:
        _out(f"error: {error}", err=True)
        return 1
    return 0


def _checked_language(language: str) -> str:
    if language not in SUPPORTED_LANGUAGES:
        raise Refused(f"--language {language!r}: expected {' or '.join(SUPPORTED_LANGUAGES)}")
    return language


def _suffix(path: Path, allowed: tuple[str, ...]) -> None:
    if path.suffix.lower() not in allowed:
        raise Refused(f"{path}: the file name must end in {' or '.join(allowed)}")
    if not path.parent.is_dir():
        raise Refused(f"{path}: the directory {path.parent} does not exist")


def _statuses(values: list[str]) -> tuple[TicketStatus, ...]:
    found: dict[TicketStatus, None] = {}
    for value in ",".join(values).split(","):
        word = value.strip().lower()
        if not word:
            continue
        if word == "open":
            found |= dict.fromkeys(OPEN_STATUSES)
            continue
        try:
            found[TicketStatus(word)] = None
        except ValueError:
            known = ", ".join([s.value for s in TicketStatus] + ["open"])
            raise Refused(f"--status {word!r}: expected one of {known}") from None
    return tuple(found)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass  # 2026-02-30
    raise Refused(f"{option} {value!r}: expected a date as YYYY-MM-DD")


def _month(value: str) -> date:
    match = MONTH.match(value)
    if match and 1 <= int(match[2]) <= 12 and int(match[1]) >= 2000:
        return date(int(match[1]), int(match[2]), 1)
    raise Refused(f"month {value!r}: expected YYYY-MM, e.g. 2026-11")


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """All or nothing: a temporary file beside the target, renamed over it when complete."""
    partial = path.with_name(f".{path.name}.partial")
    mode = PRIVATE_FILE if private else 0o644
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.chmod(partial, mode)  # whatever the umask, and a leftover from an earlier run
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise Refused(f"cannot write {path}: {error.strerror}") from None


def _out(line: str, *, err: bool = False) -> None:
    print(line, file=sys.stderr if err else sys.stdout)  # noqa: T201
