"""Dates as posts and site configs write them: read into datetimes, and shown as the author's wall-clock time."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M %z",
    "%Y-%m-%d %H:%M:%S.%f %z",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%b %d, %Y",
)


def as_datetime(value: Any) -> datetime | None:
    """A datetime from the date forms real sites use; None when it cannot be read."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def local_naive(moment: datetime | None) -> datetime | None:
    """A datetime as the author's wall-clock time without zone, as sites show it and build urls from it."""
    return moment.replace(tzinfo=None) if moment is not None else None
