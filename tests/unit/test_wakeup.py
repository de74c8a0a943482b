import threading
import time

from conftest import load_lib

wakeup = load_lib("my_webhooks", "wakeup")


def ringing(log, name):
    event = threading.Event()

    def ring():
        log.append((name, time.monotonic()))
        event.set()

    return ring, event


def test_an_alarm_rings_once_at_its_time():
    clock, log = wakeup.AlarmClock(time.monotonic), []
    ring, rang = ringing(log, "a")
    start = time.monotonic()
    assert clock.set("db", start + 0.2, ring)
    assert not clock.set("db", start + 0.2, ring)  # the same alarm, set once
    assert rang.wait(2)
    assert 0.15 <= log[0][1] - start < 1
    time.sleep(0.2)
    assert len(log) == 1 and clock.pending("db") == []


def test_a_later_alarm_still_rings_after_an_earlier_one():
    """A wake-up for later must not be lost because one for sooner is set:
    the sooner one may come before anything is due."""
    clock, log = wakeup.AlarmClock(time.monotonic), []
    sooner, _ = ringing(log, "sooner")
    later, rang_later = ringing(log, "later")
    start = time.monotonic()
    assert clock.set("db", start + 0.1, sooner)
    assert clock.set("db", start + 0.4, later)
    assert clock.pending("db") == [start + 0.1, start + 0.4]
    assert rang_later.wait(2)
    assert [name for name, _ in log] == ["sooner", "later"]
    assert log[1][1] - start >= 0.35


def test_keys_are_independent_and_a_failing_callback_is_contained():
    clock, log = wakeup.AlarmClock(time.monotonic), []

    def broken():
        raise RuntimeError("no database")

    ring, rang = ringing(log, "other")
    now = time.monotonic()
    clock.set("db1", now + 0.05, broken)
    clock.set("db2", now + 0.1, ring)
    assert rang.wait(2)
    assert clock.pending("db1") == []
