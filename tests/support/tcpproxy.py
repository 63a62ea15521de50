"""A TCP forwarder between the platform and MariaDB that a test can cut, to play a database
that goes away (and comes back) for one platform instance only, or stall, to play one that
stops answering without closing anything (overloaded, locked, a network that drops)."""
import socket
import threading
import time


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = None
        self.port = None
        self.connections = []
        self.lock = threading.Lock()
        self.stalled = threading.Event()

    def start(self, port: int = 0) -> "TcpProxy":
        """Listen on 127.0.0.1:port (a free one the first time, the same one after a cut)."""
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port or self.port or 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                while self.stalled.is_set():        # held back, not lost: a late answer
                    time.sleep(0.02)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stall(self) -> None:
        """The database stops answering: connections stay open, nothing goes through."""
        self.stalled.set()

    def resume(self) -> None:
        """What was held back goes through, and everything after it."""
        self.stalled.clear()

    def cut(self) -> None:
        """The database goes away: stop listening and drop every open connection."""
        try:
            self.listener.shutdown(socket.SHUT_RDWR)    # wakes the thread blocked in accept()
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for sock in self.connections:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass
            self.connections = []
