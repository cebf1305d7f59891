"""Date filters of a query (`date:2023-05`, `date:[2021 to 2022]`, `date:>2023`, `date:2021..2022`), read at the
precision given and in the post's own wall-clock time (the index's date order is the post's date as written,
without its zone). The ranking filters sections by them with numpy; Whoosh's parser never sees them."""

from __future__ import annotations

import re
from datetime import datetime

from .errors import QueryError

EPOCH = datetime(1970, 1, 1)
DAY = r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?"
DATE_FILTER = re.compile(r"(?i)(?<![\w:])date:(\[[^\]]*\]?|[^\s()]*)")  # a closing ) ends it
RANGE = re.compile(rf"\[\s*({DAY})?\s+to\s*({DAY})?\s*\]|\[\s*to\s+({DAY})\s*\]", re.IGNORECASE)
DOTS = re.compile(rf"({DAY})?\.\.({DAY})?")
COMPARED = re.compile(rf"(>=|<=|>|<)({DAY})")
FORMS = (
    "date:2023, date:2023-05, date:2023-05-17, date:[2021 to 2022], date:[2023-05 to], date:[to 2021-06], "
    "date:>2023, date:>=2023-05, date:<2024, date:2021..2022"
)

Span = tuple[int, int]  # seconds since 1970 of the first moment in, and of the first moment after
OPEN_START, OPEN_END = -(2**62) + 1, 2**62  # open ends; undated posts (schema.UNDATED, -2**62) stay outside


def extract_dates(text: str) -> tuple[str, tuple[Span, ...]]:
    """The query without its date filters, and the spans they ask for (each must hold a post's date)."""
    spans: list[Span] = []

    def take(match: re.Match[str]) -> str:
        spans.append(span_of(match[1], text))
        return " "

    rest = DATE_FILTER.sub(take, text)
    return (rest if spans else text), tuple(spans)


def span_of(value: str, query: str) -> Span:
    """The span a date filter's value stands for; QueryError, listing the accepted forms, for anything else."""
    if re.fullmatch(DAY, value):
        return period(value)
    ranged = RANGE.fullmatch(value)
    dotted = DOTS.fullmatch(value)
    if ranged or (dotted and (dotted[1] or dotted[2])):
        low, high = (ranged[1], ranged[2] or ranged[3]) if ranged else (dotted[1], dotted[2]) if dotted else ("", "")
        return (period(low)[0] if low else OPEN_START), (period(high)[1] if high else OPEN_END)
    compared = COMPARED.fullmatch(value)
    if compared:
        start, end = period(compared[2])
        return {">": (end, OPEN_END), ">=": (start, OPEN_END), "<": (OPEN_START, start), "<=": (OPEN_START, end)}[compared[1]]
    raise QueryError(query, f"Cannot read the date filter 'date:{value}': use one of {FORMS}.")


def period(value: str) -> Span:
    """The year, month or day a date of that precision names."""
    parts = [int(part) for part in value.split("-")]
    try:
        month, day = (parts[1:] + [1, 1])[:2]
        start = datetime(parts[0], month, day)
        if len(parts) == 1:
            end = datetime(parts[0] + 1, 1, 1)
        elif len(parts) == 2:
            end = datetime(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        else:
            end = datetime.fromordinal(start.toordinal() + 1)
    except (ValueError, OverflowError) as error:
        raise QueryError(value, f"There is no date {value} ({error}).") from error
    return seconds(start), seconds(end)


def seconds(moment: datetime) -> int:
    """A wall-clock time as the index's date order stores it."""
    return int((moment - EPOCH).total_seconds())
