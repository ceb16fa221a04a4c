"""Problem details (RFC 9457) for the API: every refusal as application/problem+json with the engine's code.

Engine errors get the same statuses as the HTML pages (webui/errors.py): NotFound 404, Forbidden 403,
Conflict and NotReady 409, ValidationFailed 422 with `errors` (one {field, code, params, message} per
field), Busy 503 with Retry-After. Such a problem carries the error's `kind` (its class: not_found,
conflict, ...), its `code` (one of engine/error_codes.py, the same as `type`'s last part) and its `params`,
for clients that word the message themselves; `title` and `detail` are in the caller's language. A 404
says nothing beyond it: it reads as the HTTP one does (`code` not_found, no params, no detail), so a
thing the caller may not see looks like a thing that does not exist. HTTP errors keep their status
(401 not signed in, 413 too large, 429 too many requests) and name it as their `code` (HTTP_CODES, which
no engine code shares).
"""
import json

from flask import Response, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import Busy, NotFound, OpsflowError, ValidationFailed
from webui.error_texts import localize
from webui.errors import BUSY_RETRY_AFTER_SECONDS, ENGINE_ERRORS, HTTP_HEADLINES

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:opsflow:problem:"
# HTTP errors by status: their `code` in a problem (the engine's errors bring their own, and a 404 this one).
HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 429: "too_many_requests", 500: "internal"}
UNAUTHENTICATED = _l("Sign in first")


def register(bp):
    """Answer the blueprint's errors (engine refusals, HTTP errors, a refused CSRF token) as problems."""
    bp.register_error_handler(OpsflowError, engine_problem)
    bp.register_error_handler(CSRFError, http_problem)
    bp.register_error_handler(HTTPException, http_problem)


def problem(status, code, title, detail="", params=None, headers=None, **members):
    """A problem+json response: type, title, status, detail and instance, plus code, params and `members`."""
    body = {"type": TYPE_PREFIX + code, "title": str(title), "status": status}
    if detail:
        body["detail"] = detail
    body.update(instance=request.path, code=code, params=params or {}, **members)
    return Response(json.dumps(body, ensure_ascii=False, default=_plain), status=status, mimetype=MEDIA_TYPE,
                    headers=headers)


def _plain(value):
    """A param JSON has no type for: a date or time in ISO 8601, anything else as its text."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def engine_problem(exc):
    """An engine refusal as a problem with its kind, code and params (a 404's stay unsaid)."""
    status, title = next(((s, t) for kind, (s, t) in ENGINE_ERRORS.items() if isinstance(exc, kind)),
                         (500, HTTP_HEADLINES[500]))
    if isinstance(exc, NotFound):
        return problem(status, HTTP_CODES[404], title)
    members = {"kind": exc.kind}
    if isinstance(exc, ValidationFailed):
        members["errors"] = [field_problem(path, reason) for path, reason in exc.errors.items()]
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)} if isinstance(exc, Busy) else None
    return problem(status, exc.code, title, localize(exc), exc.params, headers, **members)


def field_problem(path, reason):
    """One field's refusal: its path, the code and params of its FieldError, and its text in the caller's language.

    A package's own rule message (code form_rule) also gives every language it was written in.
    """
    entry = {"field": path, "code": getattr(reason, "code", None), "params": getattr(reason, "params", {}),
             "message": localize(reason)}
    translations = getattr(reason, "translations", None)
    if translations:
        entry["translations"] = translations
    return entry


def http_problem(exc):
    """A Werkzeug HTTP error (or a refused CSRF token) as a problem; its headers (Retry-After, Allow) are kept."""
    status = exc.code or 500
    code = "csrf" if isinstance(exc, CSRFError) else HTTP_CODES.get(status, f"http_{status}")
    title = UNAUTHENTICATED if status == 401 else HTTP_HEADLINES.get(status, exc.name)
    kept = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    return problem(status, code, title, headers=kept)
