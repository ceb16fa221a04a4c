"""Who may see and do what. Anything a user may not see is reported as not found."""
from sqlalchemy import exists, or_, select

from engine.store.models import Event, HumanTask

ADMIN_ROLE = "admin"


def is_supervisor(directory, username, manifest):
    """Admins, the owner role and supervisor roles see every case; a confidential procedure names its own."""
    roles = directory.roles_of(username)
    secret = manifest.get("confidential")
    if secret is not None:
        watchers = set(secret.get("roles") or [])
    else:
        watchers = set(manifest.get("supervisor_roles", [])) | {manifest.get("owner_role"), ADMIN_ROLE}
    return bool(roles & watchers)


def can_start(directory, username, manifest):
    """The user holds one of the procedure's start roles (or is an admin)."""
    roles = directory.roles_of(username)
    return bool(roles & (set(manifest.get("start_roles", [])) | {ADMIN_ROLE}))


def can_see_case(session, directory, username, row, manifest):
    """Starter, supervisors, anyone with an open task for them, and anyone who acted on it.

    A confidential procedure shows a case only to its starter, its roles and the users its
    expressions name (row["viewers"]); doing one task of it shows that task, not the case.
    """
    if row["starter"] == username or is_supervisor(directory, username, manifest):
        return True
    if manifest.get("confidential") is not None:
        return username in (row.get("viewers") or [])
    roles = directory.roles_of(username)
    open_for_me = exists().where(HumanTask.instance_id == row["id"], or_(
        HumanTask.assignee == username, (HumanTask.assignee.is_(None) & HumanTask.role.in_(roles or {""}))))
    acted = exists().where(Event.instance_id == row["id"], Event.actor == username)
    return bool(session.scalar(select(open_for_me | acted)))


def can_cancel(directory, username, row, manifest):
    """Who may cancel a case (while it runs): its starter and the procedure's supervisors."""
    return row["starter"] == username or is_supervisor(directory, username, manifest)


def can_work_on(directory, username, task_row):
    """The assignee, or (while unclaimed) anyone holding the task's role."""
    if task_row["assignee"] is not None:
        return task_row["assignee"] == username
    if "has_role" in task_row:
        return bool(task_row["has_role"])
    return task_row["role"] in directory.roles_of(username)


def can_see_task(directory, username, task_row, manifest):
    """Who may open a task: whoever may work on it, and the procedure's supervisors."""
    return can_work_on(directory, username, task_row) or is_supervisor(directory, username, manifest)
