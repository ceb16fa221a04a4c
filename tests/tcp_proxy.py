"""A TCP proxy on 127.0.0.1 that a test cuts and restores, to play a database outage."""
import contextlib
import socket
import threading


class TcpProxy:
    """Forwards every connection to `target`; while cut, drops open connections and refuses new ones."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.lock = threading.Lock()
        self.open = set()
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def _accept(self):
        """Take connections until closed; while cut, close each at once (the client sees the server gone)."""
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        """Copy bytes one way until either side closes."""
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._drop(source, sink)

    def _drop(self, *sockets):
        """Close sockets (both ends of a pair) once."""
        for sock in sockets:
            with self.lock:
                self.open.discard(sock)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def cut(self):
        """Start an outage: drop every open connection, refuse new ones."""
        self.up = False
        with self.lock:
            sockets = list(self.open)
        self._drop(*sockets)

    def restore(self):
        """End the outage: forward new connections again."""
        self.up = True

    def close(self):
        """Stop listening and drop everything."""
        self.cut()
        self.listener.close()
