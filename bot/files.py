"""A door's files as the other doors may ask for them: the console shows a ticket's photos and
voice notes, which live in Telegram under their file ids. The Telegram door implements this
(telegram/files.py); the web door uses it (web/console/media.py); neither imports the other."""

from __future__ import annotations

from typing import Protocol

# Telegram lets bots download files up to 20 MB; anything larger is refused before it is kept.
MAX_FILE = 20 * 1024 * 1024


class FileUnavailable(Exception):
    """The file cannot be had now (refused, too large, the network)."""


class FileSource(Protocol):
    async def fetch(self, file_id: str) -> bytes:
        """The file's bytes; raises FileUnavailable."""
        ...
