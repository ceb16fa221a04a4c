"""A live opsflow server and Debian's Chromium, shared by the browser tests' fixtures and make_screenshots.py."""
import importlib.util
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import got_request_exception
from werkzeug.serving import WSGIRequestHandler, make_server

from engine.clock import ManualClock
from tests import webapp

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def missing():
    """Why browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)"
    return None


def launch(playwright):
    """Headless Chromium from Debian (never a downloaded one: no `playwright install`)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)


def build_app(db_file, folder, clock):
    """The real app on `db_file` as a browser meets it: CSRF on and errors handled, not raised to the test."""
    return webapp.build_app(db_file, folder, clock, TESTING=False, WTF_CSRF_ENABLED=True,
                            SECRET_KEY="browser-test-secret")


class _QuietHandler(WSGIRequestHandler):
    """No access log lines; errors are still logged."""

    def log_request(self, *args, **kwargs):
        """Skip the per-request line."""


@dataclass
class LiveServer:
    """A running app: its base URL, runtime, clock, and the exceptions it raised while serving."""

    url: str
    app: object
    clock: ManualClock
    exceptions: list = field(default_factory=list)

    @property
    def runtime(self):
        """The engine behind the server (for setting up cases a test is not about)."""
        return self.app.extensions["opsflow"]


@contextmanager
def serving(template_db, folder, clock=None):
    """Serve the app on a copy of `template_db` on 127.0.0.1 and a free port, in a daemon thread."""
    db_file = Path(folder) / "opsflow.db"
    shutil.copy(template_db, db_file)
    clock = clock or ManualClock()
    app = build_app(db_file, folder, clock)
    # Port 0: the system picks a free port while binding, so parallel test processes never collide.
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    live = LiveServer(f"http://127.0.0.1:{server.server_port}", app, clock)
    got_request_exception.connect(lambda _sender, exception, **_: live.exceptions.append(exception), app,
                                  weak=False)
    thread = threading.Thread(target=server.serve_forever, name=f"opsflow-{server.server_port}", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        live.runtime.db.dispose()


class PageWatch:
    """Collects what must not happen on any page of a test: JS errors, CSP violations, broken loads, 5xx."""

    def __init__(self, server):
        self.server = server
        self.seen_exceptions = len(server.exceptions)
        self.problems = []
        self.pages = []

    def watch(self, page, who):
        """Listen to one page's console, errors and responses."""
        self.pages.append((who, page))
        page.on("console", lambda message: self._console(who, page, message))
        page.on("pageerror", lambda error: self.problems.append(f"{who}: JavaScript error on {page.url}: {error}"))
        page.on("response", lambda response: self._response(who, response))

    def _console(self, who, page, message):
        """Console errors: CSP violations, script errors, failed subresources (not the page's own status)."""
        if message.type != "error":
            return
        text = message.text
        location = (message.location or {}).get("url", "")
        # A page answered 409 or 422 on purpose logs "Failed to load resource" for the document itself.
        if text.startswith("Failed to load resource") and location.split("#")[0] == page.url.split("#")[0]:
            return
        self.problems.append(f"{who}: console error on {page.url}: {text} ({location})")

    def _response(self, who, response):
        """A server error on any request, document or not."""
        if response.status >= 500:
            self.problems.append(f"{who}: HTTP {response.status} for {response.request.method} {response.url}")

    def report(self):
        """Everything that went wrong so far on the watched pages and inside the server."""
        return self.problems + [f"server exception: {exc!r}" for exc in self.server.exceptions[self.seen_exceptions:]]

    def check(self):
        """Raise when anything went wrong on a watched page or inside the server."""
        problems = self.report()
        if problems:
            raise AssertionError("the browser or the server reported problems:\n" + "\n".join(problems))
