"""A procedure's standard operating procedure: the page people are trained on, generated from what runs."""
import re
from datetime import timedelta

from flask import render_template, request
from flask_babel import format_timedelta
from flask_login import current_user

from webui.i18n import package_language
from webui.runtime import current_runtime
from webui.work import bp

# The durations a due time is usually written in (P2D, PT4H, P1W, P1DT12H); others are shown as written.
SIMPLE_DURATION = re.compile(r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
                             r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?)?")


def _version():
    """The version asked for with ?version=N, or None for the active one (a non-number is the active one too)."""
    return request.args.get("version", type=int)


def duration_words(text):
    """An ISO 8601 duration in words of the current language ("2 days"), or the text itself when not a simple one."""
    found = SIMPLE_DURATION.fullmatch(text or "")
    if not found or not any(found.groupdict().values()):
        return text
    return " ".join(format_timedelta(timedelta(**{unit: int(value)}))
                    for unit, value in found.groupdict().items() if value)


@bp.get("/procedures/<key>/sop")
def sop(key):
    """The SOP of a procedure's active version (or ?version=N), printable (404 for someone who may not read it)."""
    read = current_runtime().sop(key, current_user.username, _version(), package_language())
    other = "en" if package_language() == "zh-Hant" else "zh-Hant"
    return render_template("work/sop.html", sop=read, other=other, duration_words=duration_words)


@bp.get("/procedures/<key>/sop/diagram.json")
def sop_diagram(key):
    """The SOP's diagram for the bpmn-js viewer: the process with nothing marked."""
    read = current_runtime().sop(key, current_user.username, _version(), package_language())
    return {"xml": read["diagram"], "done": [], "current": [], "waiting": [], "labels": {}}
