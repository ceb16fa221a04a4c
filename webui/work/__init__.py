"""The employee's pages: inbox, tasks, starting procedures, my requests and case pages."""
from flask import Blueprint
from flask_login import login_required

bp = Blueprint("work", __name__)


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in user (Flask-Login redirects to the sign-in page)."""


from webui.work import cases, inbox, tasks  # noqa: E402,F401  (routes register on bp)

__all__ = ["bp"]


@bp.app_context_processor
def _names():
    """person(username) and role_name(key) for templates, read once per request."""
    from flask import g

    from webui import current_runtime
    from webui.i18n import package_language

    def directory():
        """Users and roles of the organisation, cached on the request."""
        if "directory" not in g:
            runtime = current_runtime()
            g.directory = ({u["username"]: u["name"] for u in runtime.users()},
                           {r["key"]: r for r in runtime.roles()})
        return g.directory

    def person(username):
        """A user's full name (the username when unknown)."""
        return directory()[0].get(username, username) if username else ""

    def role_name(key):
        """A role's name in the current language."""
        role = directory()[1].get(key)
        if role is None:
            return key or ""
        return role["name_zh"] if package_language() == "zh-Hant" else role["name_en"]

    max_upload_mb = current_runtime().settings.max_attachment_bytes // 2**20
    return {"person": person, "role_name": role_name, "max_upload_mb": max_upload_mb}
