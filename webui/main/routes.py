"""/healthz tells a load balancer the app can reach its database."""
from flask import Blueprint, current_app
from sqlalchemy.exc import SQLAlchemyError

from webui import current_runtime

bp = Blueprint("main", __name__)


@bp.get("/healthz")
def healthz():
    """Answer ok once a trivial query succeeded, 503 when the database cannot be reached."""
    try:
        current_runtime().ping()
    except SQLAlchemyError as exc:
        current_app.logger.exception("health check failed")
        return {"status": "error", "reason": type(exc).__name__}, 503
    return {"status": "ok"}
