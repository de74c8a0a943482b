"""Timestamps and dates on the wire of /api/v1: what a client may send, and
how the API writes them back.

The policy, for request bodies and query parameters alike:

- A timestamp carries its UTC offset (`2026-01-31T10:00:00+04:00`, or `Z`
  for UTC), as RFC 3339 and OpenAPI's `format: date-time` say, and the
  offset is honoured: that one is stored as 06:00 UTC. A timestamp without
  an offset is refused rather than read as UTC: guessing its zone would
  shift the data silently by hours whenever the guess is wrong.
- A date alone (`2026-01-31`), where a filter takes one, stands for the
  whole of that day in the request's timezone (`X-Odoo-Timezone`, else
  the user's, else UTC: see parse_timezone), from its first instant to
  the first instant of the next day. A date field (an invoice's date) is
  a day already and is compared as such, in no timezone.
- Years 1900 to 9999 only, offsets -12:00 to +14:00 (every zone on earth):
  anything else is a typo or garbage, and Odoo's string conversions do not
  survive years before 1000.
- Answers carry UTC with `Z`, to the second: `2026-01-31T06:00:00Z`.

Pure Python (no Odoo import), so that tests/unit checks it on its own.
"""

import datetime
import functools
import re
import zoneinfo
from dataclasses import dataclass

import pytz

UTC = datetime.timezone.utc
MIN_TIMESTAMP = datetime.datetime(1900, 1, 1)
MAX_TIMESTAMP = datetime.datetime(9999, 12, 31, 23, 59, 59, 999999)
MIN_OFFSET = datetime.timedelta(hours=-12)
MAX_OFFSET = datetime.timedelta(hours=14)
EXAMPLE = "2026-01-31T06:00:00Z"

_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIMESTAMP_RE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ]"
    r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"(?P<offset>[Zz]|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)
_ONE_SECOND = datetime.timedelta(seconds=1)
TIMEZONE_HEADER = "X-Odoo-Timezone"
# How every timestamp filter (date_from, scheduled_to, updated_since...)
# reads its value, in the words of the OpenAPI document and the docs page:
# one sentence for all of them, so that no resource tells it otherwise.
DATE_FILTER_RULE = (
    "A timestamp with its UTC offset (Z or +HH:MM) is that exact instant (one without an "
    "offset is refused); a date alone is the whole day in the request's timezone "
    f"({TIMEZONE_HEADER}, else the user's, else UTC)"
)


def date_filter_description(what, lower, upper):
    """The description of a timestamp filter of a pair (`lower`, `upper`:
    its query names): `what` it bounds, DATE_FILTER_RULE, and an example."""
    return f"{what}. {DATE_FILTER_RULE}: {lower}=2026-01-31&{upper}=2026-01-31 is that day."


TIMEZONE_MAX_LENGTH = 64
# Every IANA name has this form (Area/Location[/Sublocation], EST5EDT,
# Etc/GMT+4): what the OpenAPI document declares of the header.
TIMEZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+\-]{0,29}(?:/[A-Za-z0-9_+\-]{1,30}){0,2}$"
_TIMEZONE_RE = re.compile(TIMEZONE_PATTERN.strip("^$"), re.ASCII)


class TimestampError(ValueError):
    """A value that is not an acceptable timestamp or date.

    `issue` is the machine-readable reason (invalid_format, missing_offset,
    out_of_range); str() is the rest of a sentence that starts with the
    name of the field: f"{name} {error}".
    """

    def __init__(self, issue, message):
        super().__init__(message)
        self.issue = issue


@dataclass(frozen=True)
class Span:
    """The instants a filter value stands for, as naive UTC datetimes:
    every instant from `start` (included) to `end` (excluded; None when
    nothing comes after it). A timestamp stands for its whole second, as
    Odoo compares datetimes to the second; a date for its whole day."""

    start: datetime.datetime
    end: datetime.datetime | None


def _range_error():
    return TimestampError(
        "out_of_range",
        f"must lie between {MIN_TIMESTAMP:%Y-%m-%d} and {MAX_TIMESTAMP:%Y-%m-%d} (UTC)",
    )


def _format_error(what):
    return TimestampError("invalid_format", f"must be {what}")


def _check_range(value):
    if isinstance(value, datetime.datetime):
        low, high = MIN_TIMESTAMP, MAX_TIMESTAMP
    else:
        low, high = MIN_TIMESTAMP.date(), MAX_TIMESTAMP.date()
    if not low <= value <= high:
        raise _range_error()
    return value


def _parse_day(text):
    match = _DATE_RE.fullmatch(text)
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _parse_offset(text):
    if text in "Zz":
        return datetime.timedelta(0)
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if minutes >= 60:
        raise _format_error(f"an ISO 8601 timestamp with a valid UTC offset, e.g. {EXAMPLE}")
    offset = sign * datetime.timedelta(hours=hours, minutes=minutes)
    if not MIN_OFFSET <= offset <= MAX_OFFSET:
        raise TimestampError("out_of_range", "has a UTC offset outside -12:00 to +14:00")
    return offset


def parse_timestamp(text):
    """`text` (ISO 8601 with a UTC offset) as a naive UTC datetime."""
    if not isinstance(text, str):
        raise _format_error(f"a string, an ISO 8601 timestamp such as {EXAMPLE}")
    text = text.strip()
    match = _TIMESTAMP_RE.fullmatch(text)
    if not match:
        if _DATE_RE.fullmatch(text):
            raise _format_error(f"a timestamp, not a date alone, e.g. {text}T00:00:00Z")
        raise _format_error(f"an ISO 8601 timestamp with a UTC offset, e.g. {EXAMPLE}")
    day = _parse_day(match["date"])
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    try:
        if day is None:
            raise ValueError
        local = datetime.datetime.combine(
            day,
            datetime.time(
                int(match["hour"]), int(match["minute"]), int(match["second"] or 0), int(fraction)
            ),
        )
    except ValueError:
        raise _format_error(f"a valid date and time, e.g. {EXAMPLE}") from None
    if match["offset"] is None:
        raise TimestampError(
            "missing_offset",
            f"must carry its UTC offset (Z or +HH:MM), e.g. {text}Z if it is UTC",
        )
    _check_range(local)
    try:
        moment = local - _parse_offset(match["offset"])
    except OverflowError:
        raise _range_error() from None
    return _check_range(moment)


def parse_date(text):
    """`text` (YYYY-MM-DD) as a date."""
    day = _parse_day(text.strip()) if isinstance(text, str) else None
    if day is None:
        raise _format_error("a date, YYYY-MM-DD, e.g. 2026-01-31")
    return _check_range(day)


def day_span(day, tz="UTC"):
    """The Span of a whole day in timezone `tz` (an IANA name)."""
    zone = zoneinfo.ZoneInfo(tz)

    def first_instant(value):
        local = datetime.datetime.combine(value, datetime.time.min, tzinfo=zone)
        return local.astimezone(UTC).replace(tzinfo=None)

    try:
        end = first_instant(day + datetime.timedelta(days=1))
    except OverflowError:
        end = None
    return Span(max(first_instant(day), MIN_TIMESTAMP), end)


def parse_span(text, tz="UTC"):
    """A filter value, a timestamp (with offset) or a date, as a Span."""
    if isinstance(text, str) and _DATE_RE.fullmatch(text.strip()):
        return day_span(parse_date(text), tz)
    moment = parse_timestamp(text).replace(microsecond=0)
    try:
        end = moment + _ONE_SECOND
    except OverflowError:
        end = None
    return Span(moment, end)


@functools.cache
def _known_timezones():
    """The names both Odoo (pytz: a context `tz` outside them is UTC to
    `_read_group`) and the standard library (day_span) know."""
    return frozenset(pytz.all_timezones_set & zoneinfo.available_timezones())


def parse_timezone(text):
    """`text` as an IANA timezone name (exactly as the database spells it:
    `Asia/Dubai`), or a TimestampError: invalid_format for what is no
    timezone name at all, not_found for a well-formed name of no zone
    (`Mars/Olympus`)."""
    if (
        not isinstance(text, str)
        or len(text) > TIMEZONE_MAX_LENGTH
        or not _TIMEZONE_RE.fullmatch(text)
    ):
        raise _format_error("an IANA timezone name, e.g. Asia/Dubai or UTC")
    if text not in _known_timezones():
        raise TimestampError(
            "not_found", f"names no known timezone ({text}); use an IANA name, e.g. Asia/Dubai"
        )
    return text


def is_timezone(text):
    """Whether `text` is a timezone parse_timezone accepts."""
    return isinstance(text, str) and text in _known_timezones()


def format_timestamp(value, precise=False):
    """A datetime (naive UTC, as Odoo keeps them, or aware) as ISO 8601
    UTC with Z: to the second, or to the microsecond when `precise`."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    timespec = "auto" if precise else "seconds"
    return value.isoformat(timespec=timespec) + "Z"
