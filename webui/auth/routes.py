"""Account pages. Sign-in and the password check are rate-limited per client address and per account."""
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from engine.errors import ValidationFailed
from webui.auth.forms import LoginForm, PasswordChangeForm, TokenForm
from webui.config import current_web_settings
from webui.error_texts import localize
from webui.i18n import COOKIE, COOKIE_MAX_AGE, LANGUAGES
from webui.runtime import current_runtime
from webui.security import Account, limiter

bp = Blueprint("auth", __name__)


def safe_next(target, default="work.inbox"):
    """A local path to go back to; anything pointing elsewhere falls back to the inbox."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for(default)


def _login_limit():
    """The configured sign-in limit (OPSFLOW_LOGIN_RATE_LIMIT)."""
    return current_web_settings().login_rate_limit


def _username_key():
    """Rate-limit key of the username being tried, so spreading over addresses does not help."""
    return "user:" + (request.form.get("username") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_username_key)
def login():
    """Sign in with a local account."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        facts = current_runtime().authenticate(form.username.data.strip(), form.password.data)
        if facts is None:
            current_app.logger.info("failed sign-in for %r from %s", form.username.data, request.remote_addr)
            form.password.errors.append(_("Wrong username or password."))
        else:
            # A fresh session on sign-in: nothing from before (or planted) carries over.
            session.clear()
            login_user(Account(facts))
            return redirect(safe_next(form.next.data))
    status = 401 if form.is_submitted() and not form.errors.get("csrf_token") and form.errors else 200
    return render_template("auth/login.html", form=form), status


def _account_key():
    """Rate-limit key of the signed-in user whose current password is being checked."""
    return "password:" + (getattr(current_user, "username", None) or get_remote_address())


@bp.post("/logout")
def logout():
    """Sign out everywhere: this session and every other one of the user end (a copied cookie too)."""
    if current_user.is_authenticated:
        current_runtime().end_sessions(current_user.username)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_account_key)
def change_password():
    """Change one's own password (the current one is asked again, as often as sign-in allows guesses).

    Every other session of the user ends; this one is issued again under the new session generation.
    """
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            facts = current_runtime().change_password(current_user.username, form.old_password.data,
                                                      form.new_password.data)
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                getattr(form, name, form.new_password).errors.append(localize(message))
        else:
            login_user(Account(facts))
            flash(_("Your password is changed."), "success")
            return redirect(url_for("work.inbox"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """The signed-in user's personal API tokens: the list, and a form making one whose secret shows this once.

    The secret is in this response only (never in the session or a redirect); the list shows prefixes.
    """
    runtime = current_runtime()
    form = TokenForm()
    made = None
    if form.validate_on_submit():
        days = form.expires_in_days.data
        expires_at = runtime.clock.now() + timedelta(days=days) if days else None
        try:
            made = runtime.create_token(current_user.username, form.name.data, expires_at)
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                field = form.name if name == "name" else form.expires_in_days
                field.errors = [*field.errors, localize(message)]
        else:
            form = TokenForm(formdata=None)
    return render_template("auth/tokens.html", form=form, made=made,
                           tokens=runtime.tokens(current_user.username)), 422 if form.errors else 200


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    """Revoke one of one's own tokens (404 for anyone else's); the API refuses it from the next request on."""
    current_runtime().revoke_token(current_user.username, token_id)
    flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.tokens"))


@bp.post("/language")
def language():
    """Switch the UI language; the choice is kept in a cookie for a year."""
    chosen = request.form.get("lang")
    response = redirect(safe_next(request.form.get("next")))
    if chosen in LANGUAGES:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response
