"""A process-wide alarm clock: run a callback at a given time, once per key.

The delivery worker leaves the delivery cron a trigger at the next retry
time, but Odoo's cron workers only look at a trigger in the future when
they poll the database (about once a minute) or are notified. The worker
sets an alarm that notifies them at that time, so that a retry due in a
second is attempted in a second. The alarm lives in the worker's process:
if the process ends first, the trigger is still there and the next poll
runs it, a minute late at most.
"""

import logging
import threading
import time

_logger = logging.getLogger(__name__)


class AlarmClock:
    """At most one pending alarm per key: the earliest asked for."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._lock = threading.Lock()
        self._alarms = {}  # key -> (when, timer)

    def set(self, key, when, callback):
        """Call `callback()` at `when` (a `clock()` time) in a thread of its
        own, unless an alarm of `key` rings at or before then (an alarm set
        for later is moved to `when`). Returns whether an alarm was set."""
        with self._lock:
            current = self._alarms.get(key)
            if current is not None:
                if current[0] <= when:
                    return False
                current[1].cancel()
            timer = threading.Timer(
                max(0.0, when - self._clock()), self._ring, (key, when, callback)
            )
            timer.daemon = True
            self._alarms[key] = (when, timer)
            timer.start()
            return True

    def pending(self, key):
        """When the alarm of `key` rings, or None."""
        with self._lock:
            current = self._alarms.get(key)
            return current[0] if current else None

    def _ring(self, key, when, callback):
        with self._lock:
            current = self._alarms.get(key)
            if current is not None and current[0] == when:
                del self._alarms[key]
        try:
            callback()
        except Exception:
            # a missed wake-up costs a minute (the cron's next poll), no data
            _logger.info("Alarm %s could not ring", key, exc_info=True)
