"""/metrics for operators: the engine's figures and request latencies in Prometheus's text format.

The figures (cases, open and overdue tasks, due timers, worker lag) come from `Runtime.figures()`, counted
in SQL at every scrape, so every web process answers the same numbers. Request latencies are a histogram
per URL rule and method, counted in the process that served the request; under `opsflow serve` gunicorn's
processes write them to files in PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode) and any
process's scrape adds all of them up.

Only loopback clients, or a client presenting `Authorization: Bearer <OPSFLOW_METRICS_TOKEN>`, get an
answer; anyone else gets 404, as for a page that does not exist.
"""
import hmac
import ipaddress
import os
import time

from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from webui.config import MULTIPROCESS_DIR, current_web_settings
from webui.runtime import current_runtime
from webui.security import csrf

# Methods labelled by name; any other (a client may send any word) counts as "other", so labels stay few.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # the endpoint label of a request no URL rule matched (a 404, whatever its path)

bp = Blueprint("metrics", __name__)


class OperationsCollector(Collector):
    """Gauges of the engine's figures, read anew at every scrape (nothing is kept between scrapes)."""

    def __init__(self, runtime):
        self.runtime = runtime

    def collect(self):
        """One read of the runtime's figures, as gauge families."""
        figures = self.runtime.figures()
        up = GaugeMetricFamily("opsflow_database_up", "1 when the database answered this scrape's read, else 0")
        up.add_metric([], 1 if figures["database_ok"] else 0)
        yield up
        if not figures["database_ok"]:
            return
        cases = GaugeMetricFamily("opsflow_cases", "Cases by procedure and status", labels=["procedure", "status"])
        for row in figures["cases"]:
            cases.add_metric([row["process_key"], row["status"]], row["count"])
        open_tasks = GaugeMetricFamily("opsflow_open_tasks", "Open user tasks by procedure", labels=["procedure"])
        overdue = GaugeMetricFamily("opsflow_overdue_tasks", "Open user tasks past their due time, by procedure",
                                    labels=["procedure"])
        for row in figures["tasks"]:
            open_tasks.add_metric([row["process_key"]], row["open"])
            overdue.add_metric([row["process_key"]], row["overdue"])
        by_role = GaugeMetricFamily("opsflow_open_tasks_by_role",
                                    'Open user tasks by role ("" for tasks offered to named people)', labels=["role"])
        for row in figures["tasks_by_role"]:
            by_role.add_metric([row["role"]], row["open"])
        due = GaugeMetricFamily("opsflow_timers_due", "Unfired timers whose due time has come, by kind",
                                labels=["kind"])
        for row in figures["timers_due"]:
            due.add_metric([row["kind"]], row["count"])
        yield from (cases, open_tasks, overdue, by_role, due)
        if figures["worker_lag_seconds"] is not None:
            lag = GaugeMetricFamily("opsflow_worker_lag_seconds",
                                    "Seconds since the newest timer worker heartbeat's last successful poll")
            lag.add_metric([], figures["worker_lag_seconds"])
            yield lag


@bp.get("/metrics")
def metrics():
    """The exposition for an allowed client; 404 for anyone else."""
    if not _allowed():
        abort(404)
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_DIR):
        MultiProcessCollector(registry)  # every gunicorn process's latencies, this one's included
    else:
        registry.register(current_app.extensions["opsflow_latency"])
    registry.register(OperationsCollector(current_runtime()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _allowed():
    """A loopback client, or one presenting the configured metrics token."""
    token = current_web_settings().metrics_token
    if token and hmac.compare_digest(_bearer_token().encode(), token.encode()):
        return True
    return _from_loopback(proxies_trusted=current_web_settings().proxy_count > 0)


def _bearer_token():
    """The token of an `Authorization: Bearer ...` header, or "" without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _from_loopback(proxies_trusted):
    """Whether the client is this machine itself.

    A request that a proxy forwarded (X-Forwarded-For or Forwarded) comes from elsewhere unless the proxies
    are trusted (OPSFLOW_PROXY_COUNT), in which case ProxyFix has put the real client's address in place.
    """
    if not proxies_trusted and ("X-Forwarded-For" in request.headers or "Forwarded" in request.headers):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:  # a Unix socket's path, or nothing
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return (mapped or address).is_loopback


def _start_clock():
    """Note when the request began."""
    g.metrics_started = time.perf_counter()


def _observe_latency(response):
    """Count the request's duration under its URL rule (never its raw path) and method."""
    started = g.pop("metrics_started", None)
    if started is not None:
        rule = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        method = request.method if request.method in KNOWN_METHODS else "other"
        current_app.extensions["opsflow_latency"].labels(endpoint=rule, method=method).observe(
            time.perf_counter() - started)
    return response


def init_app(app):
    """Register /metrics and the latency hooks; the histogram is the app's own (no global registry)."""
    app.extensions["opsflow_latency"] = Histogram(
        "opsflow_http_request_duration_seconds", "Time to answer a request, by URL rule and method",
        ["endpoint", "method"], registry=None)
    app.before_request(_start_clock)
    app.after_request(_observe_latency)
    csrf.exempt(bp)
    app.register_blueprint(bp)
