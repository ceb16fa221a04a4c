"""Phase B's leftovers: the sentences engine/runtime's service, case and workspace modules still raise
without a code, matched and translated here. Every other error is translated by its code
(webui/error_texts.py); once those modules raise codes too, this module goes.
"""
import re
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from webui.i18n import when

_ID = r"(?P<{}>[\w.:-]+)"
_SENTENCES = [
    (r"write a comment first", _l("write a comment first")),
    (r"must be at most (?P<n>[\d.]+) characters", _l("must be at most %(n)s characters")),
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
    (rf"{_ID.format('user')} may not cancel case {_ID.format('case')}",
     _l("Only the person who started case #%(case)s or a supervisor of the procedure may cancel it.")),
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
