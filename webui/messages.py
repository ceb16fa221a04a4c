"""The engine's sentences (form errors, refusals) in the user's language.

The engine speaks plain English so the CLI and logs read well; the web UI matches each known
sentence here and shows its translation, with the names and numbers it carries. A sentence not
listed is shown as the engine wrote it.
"""
import re
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from webui.i18n import package_language, when

_ID = r"(?P<{}>[\w.:-]+)"
_SENTENCES = [
    (r"this field is required", _l("this field is required")),
    (r"choose one of the offered values", _l("choose one of the offered values")),
    (r"enter a date \(YYYY-MM-DD\)", _l("enter a date (YYYY-MM-DD)")),
    (r"enter a date and a time", _l("enter a date and a time")),
    (r"enter an e-mail address", _l("enter an e-mail address")),
    (r"enter a whole number", _l("enter a whole number")),
    (r"enter a number", _l("enter a number")),
    (r"enter text", _l("enter text")),
    (r"must be at least (?P<n>[\d.]+) characters", _l("must be at least %(n)s characters")),
    (r"must be at most (?P<n>[\d.]+) characters", _l("must be at most %(n)s characters")),
    (r"must be at least (?P<n>[\d.-]+)", _l("must be at least %(n)s")),
    (r"must be at most (?P<n>[\d.-]+)", _l("must be at most %(n)s")),
    (r"must be more than (?P<n>[\d.-]+)", _l("must be more than %(n)s")),
    (r"must be less than (?P<n>[\d.-]+)", _l("must be less than %(n)s")),
    (r"needs at least (?P<n>\d+) entries", _l("needs at least %(n)s entries")),
    (r"takes at most (?P<n>\d+) entries", _l("takes at most %(n)s entries")),
    (r"does not have the expected form", _l("does not have the expected form")),
    (r"lists the same entry twice", _l("lists the same entry twice")),
    (r"unknown attachment", _l("unknown attachment: upload the file again")),
    (r"is larger than (?P<mb>[\d.]+) MB", _l("is larger than %(mb)s MB")),
    (r"is empty", _l("is empty")),
    (r"write a comment first", _l("write a comment first")),
    (r"is not your current password", _l("is not your current password")),
    (r"must differ from your current password", _l("must differ from your current password")),
    (r"must be (?P<low>\d+) to (?P<high>\d+) characters", _l("must be %(low)s to %(high)s characters")),
    (rf"task {_ID.format('task')} was already completed by {_ID.format('user')} at (?P<at>[\d: -]+)",
     _l("This task was already completed by %(user)s at %(at)s. Nothing you entered was saved.")),
    (rf"case {_ID.format('case')} was cancelled; task {_ID.format('task')} can no longer be done",
     _l("Case #%(case)s was cancelled, so this task can no longer be done. Nothing you entered was saved.")),
    (rf"task {_ID.format('task')} is already claimed by {_ID.format('user')}",
     _l("%(user)s has already claimed this task.")),
    (rf"task {_ID.format('task')} is no longer waiting; reload the case",
     _l("This task is no longer waiting; reload the case.")),
    (rf"task {_ID.format('task')} of case {_ID.format('case')} is no longer open",
     _l("This task of case #%(case)s is no longer open.")),
    (rf"case {_ID.format('case')} is already (?P<status>\w+)", _l("Case #%(case)s is already %(status)s.")),
    (rf"case {_ID.format('case')} was changed by someone else; reload it and try again",
     _l("Someone changed case #%(case)s at the same moment; reload it and try again.")),
    (rf"task {_ID.format('task')} changed meanwhile; reload it", _l("The task changed meanwhile; reload it.")),
    (r"the database stayed busy with other changes for (?P<s>[\d.]+) s; nothing was saved, try again in a moment",
     _l("The database stayed busy with other people's changes for %(s)s seconds. Nothing was saved; "
        "try again in a moment.")),
    (r"the database stayed busy with other changes; nothing was saved, try again in a moment",
     _l("The database stayed busy with other people's changes. Nothing was saved; try again in a moment.")),
    (r"another change to the same data was saved at the same moment; reload and try again",
     _l("Someone saved a change to the same data at the same moment; reload and try again.")),
    (rf"{_ID.format('user')} may not cancel case {_ID.format('case')}",
     _l("Only the person who started case #%(case)s or a supervisor of the procedure may cancel it.")),
    (rf"{_ID.format('user')} does not supervise {_ID.format('procedure')}, so may not retry its incidents",
     _l("Only a supervisor of the procedure may retry its incidents.")),
    (rf"incident {_ID.format('incident')} of case {_ID.format('case')} was retried already by {_ID.format('user')}",
     _l("%(user)s has already retried this incident of case #%(case)s.")),
    (rf"case {_ID.format('case')} is (?P<status>\w+); only a running case's incident can be retried",
     _l("Case #%(case)s is %(status)s; only a running case's incident can be retried.")),
    (rf"the timer of incident {_ID.format('incident')} is gone \(its task ended\); nothing to retry",
     _l("The step this incident held has ended; there is nothing to retry.")),
    (rf"the timer of incident {_ID.format('incident')} is pending already",
     _l("This incident's timer is already waiting for the worker.")),
    (rf"{_ID.format('user')} does not supervise {_ID.format('procedure')}",
     _l("Only a supervisor of the procedure may reassign its tasks.")),
    (rf"{_ID.format('user')} does not hold role {_ID.format('role')} of task {_ID.format('task')}",
     _l("This task belongs to a role you do not hold.")),
    (rf"{_ID.format('user')} is not one of the people who may take task {_ID.format('task')}",
     _l("This task is for people the procedure names, and you are not one of them.")),
    (rf"{_ID.format('user')} may not do step {_ID.format('step')} of case {_ID.format('case')} "
     r"\(separation of duties\)",
     _l("You may not do this step of case #%(case)s: the procedure keeps it apart from what you requested or did.")),
    (rf"{_ID.format('user')} may not do step {_ID.format('step')} of case {_ID.format('case')}",
     _l("%(user)s may not do this step of case #%(case)s: choose someone from the list.")),
    (rf"{_ID.format('user')} has not claimed task {_ID.format('task')}", _l("You have not claimed this task.")),
    (rf"nobody else may take task {_ID.format('task')}, so it stays with {_ID.format('user')}",
     _l("Nobody else may do this task, so it stays with you.")),
    (rf"task {_ID.format('task')} is assigned to {_ID.format('owner')}, not {_ID.format('user')}",
     _l("This task is assigned to someone else.")),
]
_COMPILED = [(re.compile(f"^{pattern}$"), text) for pattern, text in _SENTENCES]


def _local_time(text):
    """The engine's 'YYYY-MM-DD HH:MM' (UTC) in the UI's time zone and language."""
    try:
        moment = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    except ValueError:
        return text
    return when(moment)


def localize(sentence, people=None):
    """The engine's sentence in the current language (unknown ones unchanged); `people` names usernames."""
    translations = getattr(sentence, "translations", None)
    if translations:
        return translations.get(package_language()) or str(sentence)
    text = str(sentence)
    for pattern, translated in _COMPILED:
        found = pattern.match(text)
        if found:
            values = found.groupdict()
            if people and values.get("user"):
                values["user"] = people.get(values["user"], values["user"])
            if values.get("at"):
                values["at"] = _local_time(values["at"])
            return str(translated) % values
    return text


def localize_errors(errors):
    """A field -> message mapping with each message localized."""
    return {path: localize(message) for path, message in (errors or {}).items()}
