"""The task page: instructions, the form, drafts, claim/release/reassign, and the case around it."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from engine.errors import ValidationFailed
from engine.templates import as_html
from webui.auth.routes import safe_next
from webui.i18n import package_language, task_title
from webui.names import person, with_department_names
from webui.runtime import current_runtime
from webui.work import bp
from webui.work.formflow import fields_for, read_posted, row_again
from webui.work.history import failure_reason, timeline


def _prefill(schema, data):
    """The case data a form already has values for (a revision form shows what was sent before)."""
    declared = (schema or {}).get("properties") or {}
    return {name: data[name] for name in declared if name in data}


def render_task(task_id, values=None, errors=None, status=200):
    """The task page, from the runtime's one read of it; `values`/`errors` re-show a submitted form."""
    runtime = current_runtime()
    page = runtime.task_page(task_id, current_user.username, package_language(), shown=values)
    task, draft, case, repair = page["task"], page["draft"], page["case"], page["repair"]
    if values is None:
        values = draft["data"] if draft else _prefill(task["schema"], task["data"])
    if repair:
        repair = dict(repair, reason=failure_reason(repair["failure"]),
                      targets=with_department_names(repair["targets"]))
    # The package template was rendered autoescaped in the sandbox, then read as Markdown without raw HTML.
    task["instructions"] = Markup(as_html(task["instructions"]))
    fields = fields_for(task["schema"], values, errors, page["attachments"], page["people"]) if task["schema"] else []
    return render_template(
        "work/task.html", task=task, actions=page["actions"], draft=draft, case=case, repair=repair,
        candidates=with_department_names(page["candidates"]), history=timeline(case) if case else [],
        fields=fields, errors=errors or {}, now=runtime.clock.now()), status


@bp.get("/tasks/<task_id>")
def task(task_id):
    """Show a task (404 for anyone the engine does not let see it; a clear message when it is done)."""
    return render_task(task_id)


@bp.post("/tasks/<task_id>")
def submit_task(task_id):
    """Complete the task, save a draft, or add/remove a row of a repeating group (without JavaScript)."""
    runtime = current_runtime()
    user = current_user.username
    task = runtime.task(task_id, user, package_language())
    submission = read_posted(task["schema"] or {})
    # Only the pressed button is posted, so a draft never comes with a row button.
    if request.form.get("action") == "draft":
        runtime.save_draft(task_id, user, submission.raw)
        flash(_("Draft saved. Nothing is sent until you complete the task."), "success")
        return redirect(url_for("work.task", task_id=task_id))
    again = row_again(submission)
    if again:
        return render_task(task_id, *again)
    try:
        outcome = runtime.complete(task_id, user, submission.data, input_errors=submission.errors)
    except ValidationFailed as exc:
        return render_task(task_id, submission.raw, exc.errors, 422)
    flash(_("Done: %(task)s (case #%(case)s).", task=task_title(task), case=outcome["case_id"]), "success")
    return redirect(url_for("work.inbox"))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id):
    """Take a role task into my inbox."""
    current_runtime().claim(task_id, current_user.username)
    flash(_("The task is yours now."), "success")
    if request.form.get("next"):
        return redirect(safe_next(request.form["next"]))
    return redirect(url_for("work.task", task_id=task_id))


@bp.post("/tasks/<task_id>/release")
def release(task_id):
    """Give a claimed task back to its pool (its role, or the people the procedure names)."""
    current_runtime().release(task_id, current_user.username)
    flash(_("The task is back for someone else to take."), "success")
    return redirect(url_for("work.inbox"))


@bp.post("/tasks/<task_id>/reassign")
def reassign(task_id):
    """A supervisor hands the task to someone else."""
    return _hand_to_chosen(task_id, current_runtime().reassign)


@bp.post("/tasks/<task_id>/repair")
def repair(task_id):
    """A supervisor gives a task that went to nobody to someone who may do the step."""
    return _hand_to_chosen(task_id, current_runtime().repair_assignment)


def _hand_to_chosen(task_id, command):
    """Reassign and repair: run `command` for the person the form chose, or ask for one (strangers get 404)."""
    to_user = request.form.get("to_user", "").strip()
    if not to_user:
        current_runtime().task_actions(task_id, current_user.username)  # strangers get 404, not a hint
        flash(_("Choose who should do the task."), "error")
    else:
        command(task_id, current_user.username, to_user)
        flash(_("The task is now assigned to %(user)s.", user=person(to_user)), "success")
    return redirect(url_for("work.task", task_id=task_id))


@bp.post("/tasks/<task_id>/draft/discard")
def discard_draft(task_id):
    """Throw the draft away and start from the case data again."""
    current_runtime().discard_draft(task_id, current_user.username)
    flash(_("Draft discarded."), "info")
    return redirect(url_for("work.task", task_id=task_id))
