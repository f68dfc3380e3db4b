"""The set-up commands on a machine with no Telegram door (no BOT_TOKEN, no BOT_USERNAME), as
the no-token run's operator uses them: ``import-buildings`` and ``join-link`` print each
building's web twin (the page the bot serves at /b/<token>, the same token as the Telegram link)
instead of a ``https://t.me/?start=…`` that would open nothing, and so do the ``posters`` (as
the console's do); ``invite`` refuses in one line, writing no invitation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.test_cli import EXAMPLE, cli_env, run_cli
from tests.test_documents_pdf import _pdf_problem
from tests.test_e2e import query

WEB_TWIN = re.compile(r"^http://127\.0\.0\.1:8080/b/[A-Za-z0-9_-]{22}$")


def no_telegram(db: Path) -> dict[str, str]:
    return cli_env(db, BOT_USERNAME=None, BOT_TOKEN=None, WEB_LISTEN="127.0.0.1:8080")


def test_import_and_join_link_print_web_twins(tmp_path: Path) -> None:
    db = tmp_path / "louzhang.db"
    imported = run_cli("import-buildings", EXAMPLE, cwd=tmp_path, env=no_telegram(db))
    assert imported.returncode == 0, imported.stderr
    lines = imported.stdout.splitlines()
    assert len(lines) == 36 and "t.me" not in imported.stdout
    first = lines[0].split("\t")
    assert first[1] == "TZ-A01" and WEB_TWIN.match(first[3]), first
    [(token,)] = query(db, "SELECT join_token FROM buildings WHERE code = 'TZ-A01'")
    assert first[3].endswith(f"/b/{token}")  # the page the poster's QR opens

    again = run_cli("join-link", "TZ-A01", cwd=tmp_path, env=no_telegram(db))
    assert again.returncode == 0, again.stderr
    assert again.stdout == first[3] + "\n"
    public = cli_env(db, BOT_USERNAME=None, WEB_BASE_URL="https://louzhang.example.org")
    shared = run_cli("join-link", "TZ-A01", cwd=tmp_path, env=public)
    assert shared.stdout == f"https://louzhang.example.org/b/{token}\n"


def test_invite_refuses_without_telegram_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "louzhang.db"
    assert run_cli("import-buildings", EXAMPLE, cwd=tmp_path, env=no_telegram(db)).returncode == 0
    refused = run_cli("invite", "head", "TZ-A01", cwd=tmp_path, env=no_telegram(db))
    assert refused.returncode == 2 and refused.stdout == ""
    assert "invitations are opened in Telegram: set BOT_TOKEN" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert query(db, "SELECT count(*) FROM invitations") == [(0,)]


def test_posters_hold_the_local_web_twin(tmp_path: Path) -> None:
    if (problem := _pdf_problem()) is not None:
        pytest.skip(f"PDFs cannot be made here: {problem}")
    db = tmp_path / "louzhang.db"
    assert run_cli("import-buildings", EXAMPLE, cwd=tmp_path, env=no_telegram(db)).returncode == 0
    out = tmp_path / "a01.pdf"
    env = no_telegram(db)
    result = run_cli("posters", "塘中社区", "TZ-A01", "--out", out, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    [page] = PdfReader(out).pages
    text = page.extract_text()
    assert "http://127.0.0.1:8080/b/" in text and "t.me" not in text
