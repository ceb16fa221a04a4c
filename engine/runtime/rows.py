"""The facts of a case row that commands and the guard read (no workflow state): one query, or none when
an open task's row already carries them."""
from typing import cast

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.runtime.results import CaseRow, OpenTask
from engine.store.models import CaseRecord

CASES = CaseRecord.__table__
LOAD_ROW = select(CASES.c.id, CASES.c.definition_id, CASES.c.status, CASES.c.starter,
                  CASES.c.lock_version, CASES.c.process_key, CASES.c.viewers
                  ).where(CASES.c.id == bindparam("b_id"))


def load_row(session: Session, case_id: int) -> CaseRow | None:
    """The facts of a case row that commands need (no workflow blob)."""
    found = session.connection().execute(LOAD_ROW, {"b_id": case_id}).first()
    return cast(CaseRow, dict(found._mapping)) if found else None


def task_case_row(task: OpenTask) -> CaseRow:
    """The case facts of an open task row (read with it by access.open_task), as load_row gives them."""
    return {"id": task["case_id"], "definition_id": task["definition_id"], "status": task["status"],
            "starter": task["starter"], "lock_version": task["lock_version"], "process_key": task["process_key"]}
