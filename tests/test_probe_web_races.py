"""Completion races over HTTP: N sessions of the manager post the same task form to a live `opsflow serve`
(gunicorn, several processes and threads, real sockets, CSRF on). One post completes the task, every other
gets the 409 page with the engine's sentence, and the case goes on as the winner decided."""
import html
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.cookiejar import CookieJar
from itertools import repeat
from threading import Barrier

import pytest

from tests.conftest import PACKAGES, make_runtime
from tests.probe_support import MANAGER, Attempt, judge_round, new_round, sizes
from tests.webapp import demo_password

ROUNDS = sizes({2: 3, 10: 2}, {2: 150, 10: 60})
CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
HEADLINE = re.compile(r"<h1>(.*?)</h1>", re.S)
DETAIL = re.compile(r'class="errorpage__detail">(.*?)</p>', re.S)


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Hand a redirect back as the answer: a completion answers 302, a refusal 409."""

    def redirect_request(self, *args, **kwargs):
        """Follow nothing."""
        return None


class Browser:
    """One signed-in session over real HTTP: its own cookies, CSRF tokens read from the pages it opens."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _KeepRedirects)

    def request(self, path, form=None):
        """(status, body) of a GET, or of a POST when `form` is given."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers={"Accept-Language": "en"})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def token(self, path):
        """The CSRF token of the form on a page."""
        status, page = self.request(path)
        assert status == 200, f"GET {path}: {status}"
        return CSRF_FIELD.search(page).group(1)

    def sign_in(self, username):
        """Sign in through the login form."""
        form = {"csrf_token": self.token("/login"), "username": username, "password": demo_password(username)}
        assert self.request("/login", form)[0] == 302, f"sign-in of {username} failed"
        return self


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def live_serve(url, folder):
    """`opsflow serve --no-worker` on `url`: 2 gunicorn processes x 4 threads; yields its base URL."""
    port = free_port()
    env = dict(os.environ, OPSFLOW_DATABASE_URL=url, OPSFLOW_SECRET_KEY=secrets.token_hex(16),
               OPSFLOW_WEB_WORKERS="2", OPSFLOW_WEB_THREADS="4", OPSFLOW_LOGIN_RATE_LIMIT="10000 per minute",
               OPSFLOW_ATTACHMENTS_PATH=str(folder / "attachments"))
    server = subprocess.Popen([sys.executable, "-m", "webui.cli", "serve", "--no-worker", "--port", str(port)],
                              cwd=folder, env=env, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not (_listening(port) and Browser(base).request("/login")[0] == 200):
            assert server.poll() is None and time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        _, err = server.communicate(timeout=60)
    assert "Traceback" not in err, err


def _listening(port):
    """True once something accepts connections on the port."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def http_attempt(browser, task_id, decision, barrier):
    """Open the task page (its CSRF token), wait for every contender, then post the decision."""
    token = browser.token(f"/tasks/{task_id}")
    barrier.wait()
    status, page = browser.request(f"/tasks/{task_id}", {"csrf_token": token, "decision": decision})
    if status == 302:
        return Attempt(decision, True)
    headline, detail = (html.unescape(found.group(1).strip()) if found else "?"
                        for found in (HEADLINE.search(page), DETAIL.search(page)))
    return Attempt(decision, False, f"{status} {headline}: {detail}")


@pytest.mark.parametrize("rounds", ROUNDS)
def test_http_posts_to_a_live_server_complete_a_task_once(db_url, clock, tmp_path, rounds):
    runtime = make_runtime(db_url, clock)
    runtime.deploy([PACKAGES / "expense"])
    with live_serve(db_url, tmp_path) as base, ThreadPoolExecutor(10) as pool:
        browsers = [Browser(base).sign_in(MANAGER) for _ in range(10)]
        for contenders in (2, 10):
            for _ in range(rounds[contenders]):
                case, task_id, decisions = new_round(runtime, contenders)
                attempts = list(pool.map(http_attempt, browsers, repeat(task_id), decisions,
                                         repeat(Barrier(contenders))))
                judge_round(runtime, case, task_id, attempts)
    runtime.db.dispose()
