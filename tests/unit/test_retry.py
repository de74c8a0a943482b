"""One retry policy for inbound events and outbound deliveries: each
direction's delays are what its own function computed before."""

import random

import pytest
from conftest import load_lib

retry = load_lib("my_webhooks", "retry")


def old_inbound_delay(attempts):
    """webhook.event's retry_delay before the shared policy."""
    delays = (30, 120, 600, 3600, 4 * 3600, 12 * 3600)
    return delays[min(max(attempts, 1), len(delays)) - 1]


def old_outbound_delay(attempt, schedule, jitter, retry_after, rng):
    """lib/outbound.py's retry_delay before the shared policy."""
    base = schedule[min(max(attempt, 1), len(schedule)) - 1]
    delay = base * (1 + rng.uniform(-jitter, jitter)) if base else 0.0
    if retry_after:
        delay = max(delay, min(float(retry_after), 86400))
    return delay


@pytest.mark.parametrize("attempts", range(-2, 12))
def test_inbound_delays_are_the_inbound_schedule_without_jitter(attempts):
    delay = retry.retry_delay(attempts, retry.INBOUND_SCHEDULE, jitter=0)
    assert delay == old_inbound_delay(attempts)


def test_inbound_delays_draw_no_randomness():
    class NoDice:
        def uniform(self, low, high):
            raise AssertionError("no jitter, no draw")

    assert retry.retry_delay(3, retry.INBOUND_SCHEDULE, jitter=0, rng=NoDice()) == 600


@pytest.mark.parametrize("schedule", [retry.DEFAULT_SCHEDULE, (0, 5), (100,)])
@pytest.mark.parametrize("retry_after", [None, 0, 3, 120, 10**9])
def test_outbound_delays_are_unchanged(schedule, retry_after):
    new, old = random.Random(11), random.Random(11)
    for attempt in range(-1, 12):
        assert retry.retry_delay(
            attempt, schedule, retry_after=retry_after, rng=new
        ) == old_outbound_delay(attempt, schedule, retry.JITTER, retry_after, old)


def test_scheduled_delay_repeats_the_last_and_starts_at_the_first():
    assert [retry.scheduled_delay(n, (1, 2, 3)) for n in (-5, 0, 1, 2, 3, 4, 99)] == [
        1,
        1,
        1,
        2,
        3,
        3,
        3,
    ]


def test_described_schedule_adds_the_delays_up():
    assert retry.describe_schedule(retry.INBOUND_SCHEDULE, 4) == "now, 30 s, 2 min, 12 min"
    assert retry.describe_schedule((60,), 1) == "now"
