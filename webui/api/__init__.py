"""The JSON API under /api/v1, a blueprint beside the HTML ones over the same runtime calls.

Errors are problem details (RFC 9457, problems.py) carrying the engine's error code, never an HTML page
or a redirect to the sign-in page. Callers are signed in by the web session for now; the API answers
GET only, so CSRF (checked on every POST of the app) does not concern it yet.
"""
from flask import Blueprint, request
from flask_login import current_user
from werkzeug.exceptions import Unauthorized

from webui import errors
from webui.api import problems

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
problems.register(bp)


@bp.before_request
def _signed_in():
    """Every API call needs a signed-in user: 401 as a problem, never a redirect."""
    if not current_user.is_authenticated:
        raise Unauthorized()


def init_app(app):
    """Register the API, and answer URLs under it that no API route matches with problems too."""
    app.register_blueprint(bp)
    for code in (404, 405):
        app.register_error_handler(code, _unmatched)


def _unmatched(exc):
    """A 404 or 405 before any blueprint was chosen: a problem under /api/v1, the error page elsewhere."""
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        return problems.http_problem(exc)
    return errors.http_error(exc)


from webui.api import tasks  # noqa: E402,F401  (routes register on bp)

__all__ = ["bp", "init_app"]
