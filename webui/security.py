"""Sign-in sessions, CSRF, rate limits and security headers for every response."""
from flask import g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFProtect

from webui.runtime import current_runtime

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)

# Scripts and styles come only from our own static files; frames, plugins and other sites' forms are refused.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class Account(UserMixin):
    """The signed-in user as the engine describes them (runtime.account)."""

    def __init__(self, facts):
        self.facts = facts
        self.username = facts["username"]
        self.name = facts["name"]
        self.roles = set(facts.get("roles") or [])
        self.generation = facts["session_generation"]

    def get_id(self):
        """Flask-Login keeps `username:generation` in the session, so raising the generation ends the session."""
        return f"{self.username}:{self.generation}"


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS (directly or via a trusted proxy)."""

    def get_cookie_secure(self, app):
        """Secure when configured so, or when this request is HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))


def bearer_secret():
    """The secret of an `Authorization: Bearer SECRET` header on a JSON API request ("" for any other
    Authorization header there), else None: only /api/v1 reads tokens, never an HTML page."""
    header = request.headers.get("Authorization")
    if request.blueprint != "api" or header is None:
        return None
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def _load_user(session_id):
    """Flask-Login's loader: the active account the session names, or None (signed out) once the user is
    deactivated, signed out elsewhere or changed their password. An API request that presents a token is
    the token's alone (`_load_token_user`): its session, if any, is not read."""
    if bearer_secret() is not None:
        return None
    if "account" not in g:
        username, _, generation = session_id.rpartition(":")
        facts = current_runtime().account(username) if username and generation.isdigit() else None
        g.account = Account(facts) if facts and facts["session_generation"] == int(generation) else None
    return g.account


def _load_token_user(_request):
    """Flask-Login's request loader: on /api/v1, the active account of a valid Bearer token, else None.

    Nothing is written to the session, so a token never turns into a session cookie.
    """
    secret = bearer_secret()
    if not secret:
        return None
    username = current_runtime().user_for_token(secret)
    facts = current_runtime().account(username) if username else None
    return Account(facts) if facts else None


def _add_headers(response):
    """Security headers on every response; pages that show case data are never cached."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html" or request.endpoint not in (None, "static"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app):
    """Wire Flask-Login, Flask-WTF's CSRF protection, Flask-Limiter and the headers into `app`."""
    app.session_interface = HttpsAwareSessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # A lazy text, made a plain string in the request's language before Flask-Login flashes it.
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.localize_callback = str
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    login_manager.request_loader(_load_token_user)
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(_add_headers)
