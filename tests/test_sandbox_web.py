"""The server stays responsive while a hostile script runs in another request."""
import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from tests import webapp
from tests.browser.live import serving
from tests.test_sandbox_commands import SWALLOWING_LOOP, approval_task, minimal_with, start_minimal


def _opener():
    """A URL opener that keeps the session cookie."""
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _post(opener, url, fields):
    """POST a form; the status code (errors included)."""
    try:
        return opener.open(url, urllib.parse.urlencode(fields).encode(), timeout=60).status
    except urllib.error.HTTPError as exc:
        return exc.code


def _form_token(opener, url):
    """The CSRF token of the form on a page."""
    page = opener.open(url, timeout=60).read().decode("utf-8")
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _get_status(url):
    """GET a page; its status code (errors included)."""
    try:
        return urllib.request.urlopen(url, timeout=60).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_healthz_answers_while_a_hostile_script_runs_in_another_request(tmp_path):
    (tmp_path / "template").mkdir()
    template = webapp.prepare_database(tmp_path / "template")
    with serving(template, tmp_path) as server:
        server.runtime.deploy([minimal_with(tmp_path, SWALLOWING_LOOP)])
        task = approval_task(server.runtime, start_minimal(server.runtime))
        opener = _opener()
        signed_in = _post(opener, f"{server.url}/login", {
            "username": task["assignee"], "password": webapp.demo_password(task["assignee"]),
            "csrf_token": _form_token(opener, f"{server.url}/login")})
        assert signed_in == 200
        token = _form_token(opener, f"{server.url}/tasks/{task['id']}")
        statuses = []
        hostile = threading.Thread(target=lambda: statuses.append(
            _post(opener, f"{server.url}/tasks/{task['id']}", {"decision": "approve", "csrf_token": token})))
        hostile.start()
        time.sleep(0.3)
        began = time.monotonic()
        health = _get_status(f"{server.url}/healthz")
        answered = time.monotonic() - began
        still_running = hostile.is_alive()
        hostile.join()
        print(f"/healthz answered {health} in {answered * 1000:.0f} ms while the hostile request ran")
        assert health in (200, 503) and still_running, "/healthz waited for the hostile request"
        assert statuses == [500], "the hostile request ends on the 'procedure could not continue' page"
