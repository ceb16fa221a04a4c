"""The JSON API under /api/v1, a blueprint beside the HTML ones over the same runtime calls.

Errors are problem details (RFC 9457, problems.py) carrying the engine's error code, never an HTML page
or a redirect to the sign-in page. A caller is the user of a personal API token it presents
(`Authorization: Bearer SECRET`, webui/security.py; the token alone decides, a session beside it is not
read), or else the signed-in user of the web session. The API answers GET only, so CSRF (checked on every
POST of the app) does not concern it yet.
"""
from flask import Blueprint, request
from flask_login import current_user
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from webui import errors
from webui.api import problems
from webui.security import bearer_secret

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
problems.register(bp)


@bp.before_request
def _signed_in():
    """Every API call needs a caller: 401 as a problem with a Bearer challenge, never a redirect.

    A presented token that opens nothing (unknown, revoked, expired, its user inactive) is `invalid_token`.
    """
    if not current_user.is_authenticated:
        challenge = WWWAuthenticate("bearer", {"error": "invalid_token"} if bearer_secret() is not None else None)
        raise Unauthorized(www_authenticate=challenge)


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
