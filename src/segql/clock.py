"""Reading ISO times and pinning `now` (SPEC §2.5): one place for what every layer needs.

An ISO time with an offset (or `Z`) is an instant, converted to the schema's zone; one without an offset
is wall-clock time in that zone. Wall-clock times are naive `datetime`s throughout segql.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from segql.errors import SegqlError


def parse_iso(text: str) -> dt.datetime:
    """ISO 8601 date-time (`Z` accepted for UTC); raises ValueError."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return dt.datetime.fromisoformat(text)


def check_now(now):
    """`--now` / `now=` as given, after checking that a string reads as an ISO time (E0005)."""
    if isinstance(now, str):
        try:
            parse_iso(now)
        except ValueError:
            raise SegqlError("E0005", f"--now {now!r} is not an ISO date or timestamp",
                             hints=["e.g. 2024-06-01T12:00:00Z or 2024-06-01"]) from None
    return now


def pin_now(now, tz: str) -> dt.datetime | None:
    """`--now` (an ISO string, date or datetime) as naive wall-clock time in zone `tz`; None stays None
    (relative times are then evaluated when the SQL runs)."""
    if now is None:
        return None
    if isinstance(now, str):
        now = parse_iso(check_now(now))
    elif isinstance(now, dt.date) and not isinstance(now, dt.datetime):
        now = dt.datetime(now.year, now.month, now.day)
    if not isinstance(now, dt.datetime):
        raise SegqlError("E0005", f"now must be a datetime or ISO text, not {type(now).__name__}")
    if now.tzinfo is not None:
        now = now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return now


def wall_clock_now(tz: str) -> dt.datetime:
    """The current wall-clock time in zone `tz`, to the millisecond (what a refresh records)."""
    current = dt.datetime.now(ZoneInfo(tz)).replace(tzinfo=None)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)
