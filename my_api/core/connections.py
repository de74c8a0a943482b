"""The private pool of autocommit connections behind side_execute.

Owns `_BookkeepingConnections` and its one instance per process. Private to
my_api.core.bookkeeping (tests aside): everyone else runs side statements
through `side_execute`, which falls back to Odoo's pool when this one is
full or under the test suite. Imports nothing of my_api.
"""

import os
import threading
import time

import psycopg2

from odoo import sql_db


class _BookkeepingConnections:
    """Autocommit connections for one-statement bookkeeping writes.

    A rate-limit hit, a request-log line or a key's last use is a single
    statement that must commit whatever the request does. On a connection
    in autocommit mode that is one round trip, where a cursor borrowed from
    Odoo's pool costs a reset, a BEGIN, the statement, a COMMIT and a
    rollback on close. Each process (never sharing them across a fork)
    keeps at most MAX_IDLE idle connections per database, closes those idle
    for IDLE_TIMEOUT, and opens at most MAX_OPEN in all: beyond, `execute`
    answers None and the caller uses Odoo's pool instead.
    """

    MAX_IDLE = 8  # per database: a threaded server's concurrent requests
    MAX_OPEN = 16  # per process, all databases
    IDLE_TIMEOUT = 600  # seconds, as Odoo's own pool

    def __init__(self):
        self._lock = threading.Lock()
        self._idle = {}  # dbname -> [(connection, last used)]
        self._open = 0  # connections of this process, idle or in use
        self._pid = os.getpid()

    def _take(self, dbname, fresh=False):
        """An idle connection (a new one if `fresh` or none is idle), or
        None when MAX_OPEN are open."""
        now = time.monotonic()
        stale = []
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's sockets are not ours
                self._idle, self._open, self._pid = {}, 0, os.getpid()
            for name, idle in self._idle.items():
                keep = []
                for cnx, used in idle:
                    old = fresh and name == dbname
                    (stale if old or now - used > self.IDLE_TIMEOUT else keep).append((cnx, used))
                idle[:] = keep
            self._open -= len(stale)
            idle = self._idle.setdefault(dbname, [])
            cnx = idle.pop()[0] if idle else None
            if cnx is None:
                if self._open >= self.MAX_OPEN:
                    return None
                self._open += 1
        for old, _used in stale:
            old.close()
        if cnx is None:
            try:
                _db, info = sql_db.connection_info_for(dbname)
                cnx = psycopg2.connect(**info)
                cnx.autocommit = True
            except Exception:
                self._forget()
                raise
        return cnx

    def _forget(self):
        with self._lock:
            self._open -= 1

    def _give_back(self, dbname, cnx):
        with self._lock:
            idle = self._idle.setdefault(dbname, [])
            if not cnx.closed and len(idle) < self.MAX_IDLE and self._pid == os.getpid():
                idle.append((cnx, time.monotonic()))
                return
        self._discard(cnx)

    def _discard(self, cnx):
        cnx.close()
        self._forget()

    def close_all(self):
        with self._lock:
            idle, self._idle = self._idle, {}
            self._open -= sum(len(connections) for connections in idle.values())
        for connections in idle.values():
            for cnx, _used in connections:
                cnx.close()

    def execute(self, dbname, query, fetch):
        """Run `query`; return (first row or None,), or None when no
        connection may be opened now."""
        for attempt in (1, 2):
            # after a lost connection, the idle ones of that database are
            # likely lost too (server restart): retry on a new one
            cnx = self._take(dbname, fresh=attempt == 2)
            if cnx is None:
                return None
            try:
                with cnx.cursor() as cur:
                    cur.execute(query.code, query.params)
                    row = cur.fetchone() if fetch else None
            except psycopg2.Error:
                if not cnx.closed:  # autocommit: the connection is still usable
                    self._give_back(dbname, cnx)
                    raise
                self._discard(cnx)
                if attempt == 1:
                    continue  # closed by the server (restart, terminated backend)
                raise
            except Exception:
                self._discard(cnx)
                raise
            self._give_back(dbname, cnx)
            return (row,)
        return None


_bookkeeping = _BookkeepingConnections()
