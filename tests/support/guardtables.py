"""A stand-in for Kamailio's htables in the web UI tests that run without Kamailio: the
password guard (vpbx.edge.password_guard_rpc) counts and bans in a dict instead."""
import threading

from vpbx.edge.password_guard_rpc import GuardUnavailable


class MemoryTables:
    """KamailioTables' methods on dicts (items never expire); `away = True` makes every
    call fail as when Kamailio's control socket does not answer."""

    def __init__(self):
        self.items: dict[tuple[str, str], int] = {}
        self.away = False
        self._lock = threading.Lock()

    def _check(self):
        if self.away:
            raise GuardUnavailable("Kamailio's control socket does not answer (test)")

    def get(self, table, key):
        self._check()
        return self.items.get((table, key), 0)

    def set(self, table, key, value):
        self._check()
        self.items[(table, key)] = value

    def increment(self, table, key):
        self._check()
        with self._lock:
            self.items[(table, key)] = self.items.get((table, key), 0) + 1
            return self.items[(table, key)]

    def delete(self, table, key):
        self._check()
        self.items.pop((table, key), None)
