"""The inbox: my tasks and my roles' unclaimed ones; filters, sorting, paging, saved filters, bulk claim."""
import math
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from engine.errors import Conflict, Forbidden, NotFound, NotReady, ValidationFailed
from webui.auth.routes import safe_next
from webui.error_texts import localize
from webui.i18n import pick
from webui.names import choices, procedures, searchable
from webui.runtime import current_runtime
from webui.work import bp

SCOPES = {"all": _l("All"), "mine": _l("Mine"), "unclaimed": _l("Unclaimed")}
DUE_WINDOWS = {"overdue": (_l("Overdue"), None), "24h": (_l("Due within a day"), 24),
               "72h": (_l("Due within 3 days"), 72), "7d": (_l("Due within a week"), 168)}
SORTS = {"due": _l("Due date, soonest first"), "-due": _l("Due date, latest first"),
         "created": _l("Waiting longest first"), "-created": _l("Waiting shortest first"),
         "requester": _l("Requester, A to Z"), "-requester": _l("Requester, Z to A"), "priority": _l("Priority"),
         "procedure": _l("Procedure"), "title": _l("Task")}
PER_PAGE = 50


def _int(value, default=None):
    """An integer query parameter, or the default when absent or malformed."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _float(value):
    """A finite number query parameter (thousands separators allowed), or None."""
    try:
        number = float(str(value).replace(",", "")) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _matching_codes(typed, labels):
    """A choice field's codes for what was typed: the code itself (the filter's menu sends it), else every
    code whose label in the current language contains the text."""
    if typed in labels:
        return [typed]
    return sorted(code for code, label in labels.items() if typed.casefold() in pick(label).casefold())


def _search_terms(args, fields, labels):
    """The package's searchable fields as typed in the filter bar: text contains, numbers from/to,
    choice fields by their labels (a list of matching codes)."""
    terms = {}
    for spec in fields:
        name = spec["field"]
        if name in labels and (args.get(f"s.{name}") or "").strip():
            terms[name] = _matching_codes(args[f"s.{name}"].strip(), labels[name])
        elif spec.get("type") == "number":
            low, high = _float(args.get(f"s.{name}.min")), _float(args.get(f"s.{name}.max"))
            if low is not None or high is not None:
                terms[name] = {k: v for k, v in (("min", low), ("max", high)) if v is not None}
        elif (args.get(f"s.{name}") or "").strip():
            terms[name] = args[f"s.{name}"].strip()
    return terms


def read_filters(args):
    """The inbox query from the URL; unknown values fall back to defaults rather than failing."""
    process = args.get("process") or None
    fields = searchable(process) if process else []
    if fields is None:  # not a deployed procedure: no filter rather than an error
        process, fields = None, []
    fields = [spec for spec in fields if spec.get("filter", True)]
    labels = choices(process) if process else {}
    due = args.get("due") if args.get("due") in DUE_WINDOWS else None
    return {
        "scope": args.get("scope") if args.get("scope") in SCOPES else "all",
        "process": process,
        "priority": _int(args.get("priority")) if _int(args.get("priority")) in (1, 2, 3, 4) else None,
        "due": due,
        "sort": args.get("sort") if args.get("sort") in SORTS else "due",
        "page": max(_int(args.get("page"), 1), 1),
        "search": _search_terms(args, fields, labels),
        "fields": fields,
        "choices": labels,
    }


def active_filters(chosen):
    """How many filters (and a sort other than the default) the chosen query uses: the panel's badge."""
    used = [chosen["process"], chosen["due"], chosen["priority"], chosen["search"]]
    return sum(1 for value in used if value) + (chosen["sort"] != "due")


def query_of(args, **changes):
    """The current filter query string with some parameters changed (None removes one)."""
    params = {k: v for k, v in args.items(multi=False) if v not in ("", None) and k != "page"}
    params.update(changes)
    return urlencode({k: v for k, v in params.items() if v not in ("", None)})


@bp.get("/")
def home():
    """The inbox is home."""
    return redirect(url_for("work.inbox"))


@bp.get("/inbox")
def inbox():
    """The task list; an htmx request (filter change) gets only the results and the search fields."""
    runtime = current_runtime()
    chosen = read_filters(request.args)
    page = runtime.inbox(
        current_user.username, scope=chosen["scope"], process_key=chosen["process"],
        overdue=chosen["due"] == "overdue",
        due_within_hours=DUE_WINDOWS[chosen["due"]][1] if chosen["due"] else None,
        priority=chosen["priority"], search=chosen["search"] or None, sort=chosen["sort"],
        page=chosen["page"], per_page=PER_PAGE)
    context = {
        "page": page, "chosen": chosen, "active": active_filters(chosen), "scopes": SCOPES,
        "due_windows": DUE_WINDOWS, "sorts": SORTS,
        "procedures": procedures(), "saved": runtime.saved_filters(current_user.username),
        "query": query_of(request.args), "query_of": lambda **c: query_of(request.args, **c),
        "page_link": lambda n: "?" + query_of(request.args, page=n),
        "now": runtime.clock.now(),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "inbox-results":
        return render_template("work/_inbox_swap.html", **context)
    return render_template("work/inbox.html", stuck=runtime.stuck_tasks(current_user.username), **context)


@bp.post("/inbox/claim")
def bulk_claim():
    """Claim the ticked tasks; each one that someone else took meanwhile is named, the rest are claimed."""
    runtime = current_runtime()
    chosen = request.form.getlist("task")
    if not chosen:
        flash(_("Tick the tasks to claim first."), "warning")
    claimed, refused = 0, []
    for task_id in chosen:
        try:
            runtime.claim(task_id, current_user.username)
            claimed += 1
        except NotFound:
            refused.append(_("a task no longer exists"))
        except (Conflict, NotReady, Forbidden) as exc:
            refused.append(localize(exc))
    if claimed:
        flash(ngettext("Claimed %(num)d task.", "Claimed %(num)d tasks.", claimed), "success")
    for reason in refused:
        flash(_("Not claimed: %(reason)s", reason=reason), "warning")
    return redirect(safe_next(request.form.get("next")))


@bp.post("/inbox/filters")
def save_filter():
    """Save the current filter under a name (the same name replaces it)."""
    query = request.form.get("query", "")
    try:
        current_runtime().save_filter(current_user.username, request.form.get("name", ""), query)
    except ValidationFailed as exc:
        flash(_("The filter was not saved: %(reason)s", reason="; ".join(map(localize, exc.errors.values()))),
              "error")
    else:
        flash(_("Filter saved."), "success")
    return redirect(url_for("work.inbox") + ("?" + query if query else ""))


@bp.post("/inbox/filters/<int:filter_id>/delete")
def delete_filter(filter_id):
    """Forget a saved filter."""
    current_runtime().delete_filter(current_user.username, filter_id)
    flash(_("Filter deleted."), "success")
    return redirect(url_for("work.inbox"))
