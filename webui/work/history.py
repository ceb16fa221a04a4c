"""A case's history as a timeline people read: who did what, when, with the values they entered."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.formfields import LABEL, items_of, json_type, kind_of
from webui.i18n import package_language, pick
from webui.names import people
from webui.runtime import current_runtime
from webui.schema_forms import format_value

# Event kind -> sentence; %(actor)s is the person, %(task)s the step's title.
SENTENCES = {
    "case_started": _l("%(actor)s started the case"),
    "task_claimed": _l("%(actor)s claimed “%(task)s”"),
    "task_released": _l("%(actor)s gave “%(task)s” back for someone else to take"),
    "task_reassigned": _l("%(actor)s assigned “%(task)s” to %(target)s"),
    "task_unassigned": _l("“%(task)s” went back to be taken by someone else: %(target)s did a step "
                          "that must be kept apart from it"),
    "task_completed": _l("%(actor)s completed “%(task)s”"),
    "task_escalated": _l("“%(task)s” was overdue and went to %(target)s"),
    "sla_breached": _l("“%(task)s” passed its due time"),
    "timer_fired": _l("A timer fired: %(task)s"),
    "case_completed": _l("The case ended"),
    "case_cancelled": _l("%(actor)s cancelled the case"),
    "task_withdrawn": _l("“%(task)s” closed without being done"),
    "comment": _l("%(actor)s commented"),
    "attachment_added": _l("%(actor)s attached a file"),
    "assignment_failed": _l("“%(task)s” could not be given to the person the procedure names"),
    "assignment_repaired": _l("%(actor)s assigned “%(task)s”, which nobody could take, to %(target)s"),
    "due_failed": _l("The due time of “%(task)s” could not be worked out"),
    "priority_failed": _l("The priority of “%(task)s” could not be worked out"),
    "incident": _l("A timer could not fire and is held; the case waits until someone acts"),
    "incident_retried": _l("%(actor)s retried the held timer"),
}
SYSTEM = _l("opsflow")


def _form_of(package, event):
    """The form an event's values came from: the start form, or its task's form."""
    if event["kind"] == "case_started":
        return package.start_form() or {}
    return package.form_for(event["task_key"]) if event["task_key"] else {}


def _table(rows, prop, attachments):
    """A repeating group (line items, say) as {columns, rows} of shown values."""
    columns = items_of(prop).get("properties") or {}
    language = package_language()
    return {"columns": [pick(p.get(LABEL)) or name for name, p in columns.items()],
            "rows": [[format_value(row.get(name), p, language, attachments) if row.get(name) not in (None, "") else ""
                      for name, p in columns.items()] for row in rows if isinstance(row, dict)]}


def _values(form, values, attachments):
    """(label, shown value, table or None) of a submitted form, in the form's order."""
    declared = ((form or {}).get("schema") or {}).get("properties") or {}
    language = package_language()
    shown = []
    for name, prop in declared.items():
        if name not in values or values[name] in (None, "", []):
            continue
        label = pick(prop.get(LABEL)) or name
        if kind_of(prop) == "group" and json_type(items_of(prop)) == "object":
            shown.append((label, "", _table(values[name], prop, attachments)))
        else:
            shown.append((label, format_value(values[name], prop, language, attachments), None))
    return shown


def _claims_before_completion(history):
    """Indexes of 'claimed' events that only open a completion by the same person (the engine claims then)."""
    quiet = set()
    for index, event in enumerate(history[:-1]):
        after = history[index + 1]
        if (event["kind"] == "task_claimed" and after["kind"] == "task_completed"
                and after["task_id"] == event["task_id"] and after["actor"] == event["actor"]):
            quiet.add(index)
    return quiet


def timeline(case):
    """Entries newest last: {at, actor, kind, sentence, shown, text, file} for the template."""
    runtime = current_runtime()
    package = runtime.catalog.get(case["definition_id"]).package
    everyone = people()
    attachments = {a["id"]: a for a in case.get("attachments", [])}
    entries = []
    quiet = _claims_before_completion(case["history"])
    for index, event in enumerate(case["history"]):
        if index in quiet:
            continue
        data = event.get("data") or {}
        form = _form_of(package, event)
        task = pick((form or {}).get("title")) or event.get("task_key") or ""
        target = data.get("assignee") or data.get("to") or data.get("was") or ""
        sentence = SENTENCES.get(event["kind"], event["kind"])
        entries.append({
            "at": event["at"], "actor": event["actor"], "kind": event["kind"],
            "sentence": sentence % {"actor": everyone.get(event["actor"], event["actor"]) or SYSTEM, "task": task,
                                    "target": everyone.get(target, target)},
            "shown": _values(form, data.get("form") or {}, attachments) if "form" in data else [],
            "text": failure_reason(data) if event["kind"] == "assignment_failed" else
            data.get("text") or data.get("reason") or "",
            "file": attachments.get(data.get("id")) if event["kind"] == "attachment_added" else None,
        })
    return entries


def failure_reason(data):
    """Why a step could not be given to the person its procedure names (an assignment_failed event's data)."""
    found = data.get("result")
    name = found.strip("'") if isinstance(found, str) else None
    name = people().get(name, name) if name else None
    if data.get("reason") == "excluded from this step":
        return _("The procedure names %(person)s, who may not do this step.", person=name)
    if data.get("reason"):
        return _("The procedure's assignee expression failed: %(reason)s", reason=data["reason"])
    if name:
        return _("The procedure names %(person)s, who is not an active user.", person=name)
    if "result" in data:
        return _("The procedure's assignee expression names nobody.")
    return _("None of the people the step was given to is an active user any more.")
