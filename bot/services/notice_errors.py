"""The notices' refusals (bot/services/notices.py): typed, so the doors' one error handler reads
each to the person in their language, and nothing changes."""

from __future__ import annotations

from bot.services.errors import ServiceError


class NotAuthor(ServiceError):
    """Only heads, coordinators and admins write notices; only to buildings they cover now (a
    forged button naming another building lands here too)."""

    def __init__(self) -> None:
        super().__init__("notice-not-allowed")


class NoticeTooLong(ServiceError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__("notice-too-long", length=length, max=limit)


class TooManyPhotos(ServiceError):
    def __init__(self, limit: int) -> None:
        super().__init__("notice-too-many-photos", max=limit)


class BadTime(ServiceError):
    """A time that cannot be read, or one already past."""

    def __init__(self) -> None:
        super().__init__("notice-bad-time")


class NoticeGone(ServiceError):
    """Not the caller's notice, or no longer in a state for this (already sent, cancelled,
    withdrawn): an old button."""

    def __init__(self) -> None:
        super().__init__("notice-gone")


class NotMember(ServiceError):
    """A mute for a building the person does not belong to (a forged button)."""

    def __init__(self) -> None:
        super().__init__("notice-not-member")
