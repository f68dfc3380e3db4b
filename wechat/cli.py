"""``python -m bot wechat-menu`` sets the account's custom menu (Report · My tickets · Help:
click buttons the door answers in the person's language); ``python -m bot wechat-qr`` makes
each building's parametric QR code (``qrcode/create``, scene = the building's join token) and
prints its content, or with ``--out`` the buildings' posters with it (one A4 page each).

The codes are permanent (``QR_LIMIT_STR_SCENE``): a poster hangs in a stairwell for years, and
a temporary code (30 days at most) would stop working on the wall. An account may make
100,000 permanent codes; a building needs one (making it again gives the same code's content
for the same scene), and a new join token (``rotate``) needs a new poster anyway."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.i18n import SUPPORTED_LANGUAGES, Translations, Translator
from bot.services.clock import system_clock
from bot.services.links import PayloadKind, make_payload
from storage.db import Database
from wechat.api import WeChatApi, WeChatError

COMMANDS = ("wechat-menu", "wechat-qr")
MENU = (
    ("wechat-menu-report", "report"),
    ("wechat-menu-mine", "mine"),
    ("wechat-menu-help", "help"),
)


def add_parsers(commands: Any) -> None:
    """The commands' entries in ``python -m bot``'s parser (``commands``: its subparsers)."""
    menu = commands.add_parser(
        "wechat-menu",
        help="set the WeChat account's custom menu (Report, My tickets, Help)",
        description="Set the custom menu of the WeChat Official Account (WECHAT_APP_ID): "
        "Report, My tickets and Help, named in --language (default DEFAULT_LANGUAGE).",
    )
    menu.add_argument("--language", choices=SUPPORTED_LANGUAGES, metavar="LANG")
    qr = commands.add_parser(
        "wechat-qr",
        help="make the WeChat QR codes (and posters) of a community's buildings",
        description="Make the permanent parametric QR code of each building of COMMUNITY (or "
        "only CODE …) whose scene is the building's join token: scanning it follows the "
        "account and joins the building. Prints CODE and the code's content per line; with "
        "--out, writes the posters (A4 a page) with these codes to FILE.pdf.",
    )
    qr.add_argument("community", metavar="COMMUNITY")
    qr.add_argument("codes", nargs="*", metavar="CODE")
    qr.add_argument("--out", type=Path, metavar="FILE.pdf")
    qr.add_argument("--language", choices=SUPPORTED_LANGUAGES, metavar="LANG")


def menu_buttons(t: Translator) -> list[dict[str, Any]]:
    return [{"type": "click", "name": t(key), "key": event} for key, event in MENU]


async def run(command: str, args: argparse.Namespace, config: Config, db: Database) -> int:
    """Runs one of COMMANDS; returns the exit code."""
    if not (config.wechat_enabled and config.wechat_app_id and config.wechat_app_secret):
        _out("error: the WeChat door is off: set WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN")
        return 2
    translations = Translations(default=config.default_language)
    t = translations.bind(args.language or config.default_language)
    api = WeChatApi(
        config.wechat_api_url,
        config.wechat_app_id,
        config.wechat_app_secret.get(),
        db,
        system_clock,
    )
    try:
        if command == "wechat-menu":
            await api.create_menu(menu_buttons(t))
            _out("the custom menu is set: " + " · ".join(t(key) for key, _ in MENU))
            return 0
        return await _qr(api, db, args, t, translations.bind("en"))
    except WeChatError as error:
        _out(f"error: WeChat refused: {error}")
        return 1
    finally:
        await api.close()


async def _qr(
    api: WeChatApi, db: Database, args: argparse.Namespace, t: Translator, english: Translator
) -> int:
    from bot.cli_documents import Refused, _suffix

    try:
        if args.out is not None:
            _suffix(args.out, (".pdf",))
        return await _made(api, db, args, t, english)
    except Refused as error:
        _out(f"error: {error}")
        return 2


async def _made(
    api: WeChatApi, db: Database, args: argparse.Namespace, t: Translator, english: Translator
) -> int:
    from bot.cli_documents import _write
    from bot.documents.posters import WECHAT_STEPS, posters_pdf
    from bot.services.poster_sheets import PosterSheets

    # The pages with their join payloads first (an unknown code refuses the whole run), then
    # one code per building.
    pages = await PosterSheets(db).pages(args.community, args.codes, lambda payload: payload)
    made = []
    for page in pages:
        token = page.link.removeprefix(make_payload(PayloadKind.JOIN, ""))
        made.append(dataclasses.replace(page, link=await api.qrcode(token)))
    for page in made:
        print(f"{page.code}\t{page.link}")  # noqa: T201
    if args.out is not None:
        pdf = await asyncio.to_thread(posters_pdf, t, english, made, steps=WECHAT_STEPS)
        _write(args.out, pdf)
        _out(f"{args.out}: {len(made)} poster(s)")
    return 0


def _out(line: str) -> None:
    print(line, file=sys.stderr)  # noqa: T201
