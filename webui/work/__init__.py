"""The employee's pages: inbox, tasks, starting procedures, my requests and case pages."""
from flask import Blueprint
from flask_login import login_required

from webui.runtime import current_runtime

bp = Blueprint("work", __name__)


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in user (Flask-Login redirects to the sign-in page)."""


@bp.app_context_processor
def _upload_limit():
    """The attachment limit in MB, for upload forms."""
    return {"max_upload_mb": current_runtime().settings.max_attachment_bytes // 2**20}


from webui.work import cases, inbox, procedures, tasks  # noqa: E402,F401  (routes register on bp)

__all__ = ["bp"]
