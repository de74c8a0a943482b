"""A process-wide alarm clock: run callbacks at given times, in one thread.

The delivery worker leaves the delivery cron a trigger at the next retry
time, but Odoo's cron workers only look at a trigger in the future when
they poll the database (about once a minute) or are notified. The worker
sets an alarm that notifies them at that time, so that a retry due in a
second is attempted in a second. The alarms live in the worker's process:
if the process ends first, the trigger is still there and the next poll
runs it, a minute late at most.
"""

import heapq
import itertools
import logging
import threading
import time

_logger = logging.getLogger(__name__)


class AlarmClock:
    """Every alarm rings at its time (an alarm of the same key at the same
    time is set once); one daemon thread, started with the first alarm."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._changed = threading.Condition()
        self._heap = []  # (when, order, key, callback)
        self._pending = set()  # (key, when)
        self._order = itertools.count()
        self._thread = None

    def set(self, key, when, callback):
        """Call `callback()` at `when` (a `clock()` time), from the clock's
        thread. Returns False if an alarm of `key` is set for that time."""
        with self._changed:
            if (key, when) in self._pending:
                return False
            self._pending.add((key, when))
            heapq.heappush(self._heap, (when, next(self._order), key, callback))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="alarm-clock", daemon=True)
                self._thread.start()
            self._changed.notify()
            return True

    def pending(self, key):
        """The times the alarms of `key` ring, in order."""
        with self._changed:
            return sorted(when for pending_key, when in self._pending if pending_key == key)

    def _run(self):
        while True:
            with self._changed:
                while not self._heap or self._heap[0][0] > self._clock():
                    self._changed.wait(self._heap[0][0] - self._clock() if self._heap else None)
                when, _order, key, callback = heapq.heappop(self._heap)
                self._pending.discard((key, when))
            try:
                callback()
            except Exception:
                # a missed wake-up costs a minute (the cron's next poll), no data
                _logger.info("Alarm %s could not ring", key, exc_info=True)
