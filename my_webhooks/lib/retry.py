"""When a failed webhook is tried again: one policy for both directions.

A retry schedule is data: the seconds to wait after attempt 1, 2, ...,
whose last delay repeats past its end (`retry_delay`).

- Outbound deliveries (webhook.delivery) follow their endpoint's schedule
  (DEFAULT_SCHEDULE unless an administrator set one), spread by +-JITTER
  so that failed bursts do not retry in lockstep, and wait longer when a
  receiver's Retry-After asks for it (up to MAX_RETRY_AFTER).
- Inbound events (webhook.event) follow INBOUND_SCHEDULE, without jitter:
  they wait in our own database, no receiver sees them come back.

This module imports nothing from Odoo.
"""

import random

# Seconds to wait after attempt 1, 2, ...: 1 min, 5 min, 30 min, 2 h, 8 h,
# 16 h, 24 h, so 8 attempts spread over about two days (51 h).
DEFAULT_SCHEDULE = (60, 300, 1800, 7200, 28800, 57600, 86400)
JITTER = 0.2  # +-20 % of each delay, so that failed bursts do not retry in lockstep
# Seconds to wait before inbound attempt n + 1 after attempt n failed:
# 30 s, 2 min, 10 min, 1 h, 4 h, 12 h.
INBOUND_SCHEDULE = (30, 120, 600, 3600, 4 * 3600, 12 * 3600)
MAX_RETRY_AFTER = 86400


def parse_schedule(text):
    """`"60, 300, 1800"` -> (60, 300, 1800); empty or invalid -> default."""
    try:
        delays = tuple(max(0, int(float(part))) for part in (text or "").split(",") if part.strip())
    except (ValueError, OverflowError):  # "x", "inf"
        return DEFAULT_SCHEDULE
    return delays or DEFAULT_SCHEDULE


def scheduled_delay(attempt, schedule):
    """The schedule's delay after attempt number `attempt` (1-based; past
    the end of the schedule its last delay repeats)."""
    return schedule[min(max(attempt, 1), len(schedule)) - 1]


def retry_delay(attempt, schedule=DEFAULT_SCHEDULE, jitter=JITTER, retry_after=None, rng=random):
    """Seconds to wait after failed attempt number `attempt` (1-based).

    The schedule's delay, spread by +-`jitter` (a fraction; 0: exactly the
    schedule). A receiver's `Retry-After` (seconds) is honoured when it
    asks for more than that, up to a day.
    """
    base = scheduled_delay(attempt, schedule)
    delay = base * (1 + rng.uniform(-jitter, jitter)) if base and jitter else float(base)
    if retry_after:
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
    return delay


def describe_schedule(schedule, max_attempts):
    """`"now, 1 min, 5 min, ..."`: when each attempt happens after the event."""
    total = 0
    parts = ["now"]
    for attempt in range(1, max(max_attempts, 1)):
        total += scheduled_delay(attempt, schedule)
        parts.append(_human(total))
    return ", ".join(parts)


def _human(seconds):
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400 or seconds % 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds // 86400} d"
