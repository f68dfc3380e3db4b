"""Who looks at a console page (re-exported for page authors: see web/console/__init__.py)."""

from __future__ import annotations

from bot.services.console import Viewer

__all__ = ["Viewer"]
