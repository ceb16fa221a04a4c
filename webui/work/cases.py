"""Starting a procedure, my requests, and the case page (diagram, history, comments, attachments)."""
import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from engine.errors import ValidationFailed
from engine.templates import as_html
from webui.error_texts import localize
from webui.i18n import STATUS, number, package_language, pick
from webui.names import version_choices, version_searchable
from webui.runtime import current_runtime
from webui.schema_forms import format_value
from webui.work import bp
from webui.work.formflow import fields_for, read_posted, row_again
from webui.work.history import timeline

# Content types a browser may show inline; everything else is downloaded, so an uploaded page cannot run.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"}


@bp.get("/start")
def catalogue():
    """The procedures my roles may start."""
    return render_template("work/catalogue.html", procedures=current_runtime().startable(current_user.username))


def render_start(key, values=None, errors=None, status=200):
    """The start form of a procedure (404 when it is unknown or not mine to start)."""
    form = current_runtime().start_form(key, current_user.username, package_language())
    form["instructions"] = Markup(as_html(form["instructions"]))  # sandboxed and escaped, then Markdown
    fields = fields_for(form["schema"], values, errors) if form["schema"] else []
    return render_template("work/start.html", form=form, fields=fields, errors=errors or {}), status


@bp.get("/start/<key>")
def start(key):
    """Show a start form."""
    return render_start(key)


@bp.post("/start/<key>")
def submit_start(key):
    """Start a case; errors come back per field with everything typed kept."""
    runtime = current_runtime()
    form = runtime.start_form(key, current_user.username, package_language())
    submission = read_posted(form["schema"] or {})
    again = row_again(submission)
    if again:
        return render_start(key, *again)
    try:
        case_id = runtime.start(key, current_user.username, submission.data, input_errors=submission.errors)
    except ValidationFailed as exc:
        return render_start(key, submission.raw, exc.errors, 422)
    return redirect(url_for("work.started", case_id=case_id))


@bp.get("/cases/<int:case_id>/started")
def started(case_id):
    """The confirmation: the case number and where it goes next."""
    case = current_runtime().case(case_id, current_user.username, package_language())
    return render_template("work/started.html", case=case)


@bp.get("/requests")
def requests():
    """Cases I started: status, where each waits and since when."""
    status = request.args.get("status") if request.args.get("status") in STATUS else None
    try:
        page = max(int(request.args.get("page", 1)), 1)
    except ValueError:
        page = 1
    runtime = current_runtime()
    found = runtime.requests(current_user.username, status=status, page=page)
    return render_template("work/requests.html", found=found, status=status, now=runtime.clock.now(),
                           page_link=lambda n: url_for("work.requests", status=status, page=n))


def _summary(case):
    """(label, value) of the procedure's searchable fields: what the case is about at a glance."""
    runtime = current_runtime()
    start_form = runtime.catalog.get(case["definition_id"]).package.start_form() or {}
    declared = (start_form.get("schema") or {}).get("properties") or {}
    shown = []
    labels = version_choices(case["definition_id"])
    for spec in version_searchable(case["definition_id"]):
        value = (case.get("search") or {}).get(spec["field"])
        if value in (None, ""):
            continue
        label = pick(spec.get("label")) or spec["field"]
        if spec["field"] in labels:
            shown.append((label, pick(labels[spec["field"]].get(str(value))) or value))
        elif spec["field"] in declared:
            shown.append((label, format_value(value, declared[spec["field"]], package_language())))
        else:  # worked out by the procedure (a total, say): shown as a number with the language's grouping
            shown.append((label, number(value) if spec.get("type") == "number" else value))
    return shown


def render_case(case_id, comment="", comment_error=None, status=200):
    """The case page; a refused comment is shown again with its reason."""
    runtime = current_runtime()
    case = runtime.case(case_id, current_user.username, package_language())
    user = current_user.username
    return render_template("work/case.html", case=case, history=timeline(case), summary=_summary(case), comment=comment,
                           comment_error=comment_error, stuck=runtime.stuck_in_case(case["id"], user),
                           incidents=runtime.case_incidents(case["id"], user), now=runtime.clock.now()), status


@bp.get("/cases/<int:case_id>")
def case(case_id):
    """A case as the user may see it."""
    return render_case(case_id)


@bp.post("/cases/<int:case_id>/incidents/<int:incident_id>/retry")
def retry_incident(case_id, incident_id):
    """A supervisor retries a held timer once its cause is fixed: the worker fires it on its next poll."""
    current_runtime().retry_incident(case_id, incident_id, current_user.username)
    flash(_("The held timer is armed again; the worker fires it within seconds."), "success")
    return redirect(url_for("work.case", case_id=case_id))


@bp.get("/cases/<int:case_id>/diagram.json")
def diagram(case_id):
    """The case's BPMN diagram with done, current and waiting steps, for the bpmn-js viewer."""
    shown = current_runtime().case(case_id, current_user.username, package_language())["diagram"]
    return {"xml": shown["xml"], "done": shown["done"], "current": shown["current"], "waiting": shown["waiting"],
            "labels": {"done": _("Done"), "current": _("Waiting for a person"),
                       "waiting": _("Waiting for a time or event")}}


@bp.post("/cases/<int:case_id>/comments")
def comment(case_id):
    """Add a comment to the case's history."""
    text = request.form.get("text", "")
    try:
        current_runtime().add_comment(case_id, current_user.username, text)
    except ValidationFailed as exc:
        return render_case(case_id, text, localize(exc.errors.get("text", "")), 422)
    flash(_("Comment added."), "success")
    back = request.form.get("back")
    if back and back.startswith("/tasks/"):
        return redirect(back + "#history")
    return redirect(url_for("work.case", case_id=case_id) + "#history")


@bp.post("/cases/<int:case_id>/attachments")
def upload(case_id):
    """Attach a file to a running case."""
    upload = request.files.get("file")
    chosen = upload is not None and bool(upload.filename)
    try:
        # Without a file the engine still checks the case (404 for strangers), then refuses the empty upload.
        current_runtime().add_attachment(current_user.username, upload.filename if chosen else "",
                                         (upload.mimetype or "") if chosen else "",
                                         upload.stream if chosen else io.BytesIO(), case_id=case_id)
    except ValidationFailed as exc:
        reason = "; ".join(map(localize, exc.errors.values())) if chosen else _("choose a file first")
        flash(_("The file was not attached: %(reason)s", reason=reason), "error")
    else:
        flash(_("File attached."), "success")
    return redirect(url_for("work.case", case_id=case_id) + "#attachments")


@bp.get("/attachments/<attachment_id>")
def attachment(attachment_id):
    """Download a file, only for who may see its case (or its uploader, before it joins one).

    The bytes come from the runtime's file store as a stream, so any store (local disk, an object store) serves.
    """
    meta, stream = current_runtime().open_attachment(attachment_id, current_user.username)
    inline = meta["content_type"] in INLINE_TYPES and request.args.get("download") != "1"
    response = send_file(stream, mimetype=meta["content_type"] if inline else "application/octet-stream",
                         as_attachment=not inline, download_name=meta["filename"], max_age=0, etag=meta["sha256"])
    if response.status_code == 200:
        response.content_length = meta["size"]
    return response


@bp.route("/cases/<int:case_id>/cancel", methods=["GET", "POST"])
def cancel(case_id):
    """Confirm, then cancel a case (its starter or a supervisor)."""
    runtime = current_runtime()
    if request.method == "POST":
        runtime.cancel(case_id, current_user.username, request.form.get("reason", "").strip())
        flash(_("Case #%(id)d is cancelled.", id=case_id), "success")
        return redirect(url_for("work.case", case_id=case_id))
    case = runtime.case(case_id, current_user.username, package_language())
    return render_template("work/cancel.html", case=case)
