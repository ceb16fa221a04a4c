"""/healthz tells a load balancer or a monitor whether the database answers and timers still fire."""
from flask import Blueprint

from webui.runtime import current_runtime

bp = Blueprint("main", __name__)


@bp.get("/healthz")
def healthz():
    """JSON of the database's reachability and the newest worker heartbeat; 503 when either is down or stale."""
    report = current_runtime().health()
    return report, 200 if report["status"] == "ok" else 503
