"""Photos and voice notes for the console: a ticket's files live in Telegram (its file ids), a
browser cannot fetch them from there without the bot's token, and the token must never reach a
page. So the console asks a ``FileSource`` (the Telegram door's getFile and download, wired in
bot/__main__.py) once and keeps the bytes on disk (MEDIA_CACHE_DIR), served only through the
ticket's page route to staff who cover the ticket. There is never a public URL of a file."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from pathlib import Path

from bot.files import MAX_FILE, FileSource, FileUnavailable


class MediaCache:
    """Files by their file id, fetched once from ``source`` and kept under ``directory``
    (readable by the bot's user only: residents' pictures and voices)."""

    def __init__(self, directory: Path, source: FileSource) -> None:
        self.directory = directory
        self.source = source
        self._locks: dict[str, asyncio.Lock] = {}

    def _path(self, file_id: str) -> Path:
        # A file id is Telegram's string: hashed, it is a safe file name of fixed length.
        return self.directory / hashlib.sha256(file_id.encode()).hexdigest()

    async def get(self, file_id: str) -> bytes:
        path = self._path(file_id)
        # Two viewers opening the same photo at once fetch it once.
        lock = self._locks.setdefault(file_id, asyncio.Lock())
        try:
            async with lock:
                try:
                    return await asyncio.to_thread(path.read_bytes)
                except FileNotFoundError:
                    pass
                data = await self.source.fetch(file_id)
                if len(data) > MAX_FILE:
                    raise FileUnavailable("too large")
                await asyncio.to_thread(_write_private, path, data)
                return data
        finally:
            self._locks.pop(file_id, None)


def _write_private(path: Path, data: bytes) -> None:
    """Written whole or not at all (a crash leaves no half photo to serve)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(partial, path)
