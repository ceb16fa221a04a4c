"""Every failure becomes a page that says what happened and what to do next; never a bare 500."""
from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import Busy, Conflict, Forbidden, NotFound, NotReady, ScriptError, ValidationFailed
from webui.error_texts import localize
from webui.runtime import current_runtime

# Engine error -> HTTP status and a headline in the user's language; the error's text (by its code) follows it.
ENGINE_ERRORS = {
    NotFound: (404, _l("Not found")),
    Forbidden: (403, _l("Not allowed")),
    Busy: (503, _l("The system is busy")),
    Conflict: (409, _l("Someone got there first")),
    NotReady: (409, _l("This can no longer be done")),
    ValidationFailed: (422, _l("Please check what you entered")),
    ScriptError: (500, _l("The procedure could not continue")),
}

BUSY_RETRY_AFTER_SECONDS = 5  # what a busy page tells browsers and proxies to wait before retrying

HTTP_HEADLINES = {
    400: _l("Bad request"),
    404: _l("Not found"),
    405: _l("Not allowed"),
    413: _l("The upload is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
}

HTTP_ADVICE = {
    404: _l("The page or item does not exist, or you may not see it."),
    413: _l("Files may be at most %(mb)s MB; nothing was saved. Go back and choose a smaller file."),
    429: _l("Wait a minute before trying again."),
    500: _l("Nothing was changed. Try again; if it keeps happening, tell the process owner."),
}


def error_page(status, headline, detail="", advice=""):
    """Render the error page with a status code."""
    return render_template("error.html", status=status, headline=headline, detail=detail, advice=advice), status


def _engine_error(exc):
    """An engine refusal as a page: its kind as the headline, its reason as the detail."""
    for kind, (status, headline) in ENGINE_ERRORS.items():
        if isinstance(exc, kind):
            # A stranger's 404 says nothing about what exists.
            detail = "" if isinstance(exc, NotFound) else localize(exc)
            advice = HTTP_ADVICE[404] if isinstance(exc, NotFound) else ""
            page, status = error_page(status, headline, detail, advice)
            return page, status, {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)} if isinstance(exc, Busy) else {}
    raise exc


def _csrf_error(exc):
    """A form older than the session (signed out meanwhile) or posted from elsewhere."""
    return error_page(400, _l("This form has expired"),
                      advice=_l("Your session changed since the page was opened; nothing was saved. "
                                "Go back, reload the page and submit again."))


def http_error(exc):
    """Werkzeug's HTTP errors in our layout."""
    if exc.code is None or request.blueprint == "static":
        return exc
    headline = HTTP_HEADLINES.get(exc.code, exc.name)
    advice = HTTP_ADVICE.get(exc.code, "")
    if exc.code == 413:
        advice = str(advice) % {"mb": current_runtime().settings.max_attachment_bytes // 2**20}
    return error_page(exc.code, headline, advice=advice)


def init_app(app):
    """Register the handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    for kind in ENGINE_ERRORS:
        app.register_error_handler(kind, _engine_error)
    app.register_error_handler(HTTPException, http_error)
