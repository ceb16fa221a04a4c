"""A procedure's `unique` start fields: at most one case (not cancelled) per combination of their values.

A rule that spans cases ("one evaluation per supplier and year") cannot be a form rule: a form sees
one case. The manifest declares it instead, and the engine checks it when a case starts, over the
cases' `search` column (the fields must be searchable, so every save keeps them there).
"""
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.definitions import Package
from engine.errors import ValidationFailed
from engine.formrules import Translated
from engine.store.models import CaseRecord, Definition


def _lock_procedure(session: Session, process_key: str) -> None:
    """Serialise starts of one procedure (PostgreSQL row locks; SQLite writers already queue)."""
    session.execute(select(Definition.id).where(Definition.key == process_key).with_for_update())


def _clash(session: Session, process_key: str, wanted: dict[str, Any]) -> int | None:
    """The id of a running or completed case of the procedure whose fields equal `wanted`, or None."""
    query = select(CaseRecord.id, CaseRecord.search).where(CaseRecord.process_key == process_key,
                                                       CaseRecord.status != "cancelled")
    for field, value in wanted.items():
        if isinstance(value, str):  # narrow in SQL; numbers are compared below (JSON numbers differ by dialect)
            query = query.where(CaseRecord.search[field].as_string() == value)
    for case_id, search in session.execute(query.order_by(CaseRecord.id)):
        if all((search or {}).get(field) == value for field, value in wanted.items()):
            return case_id
    return None


def check_start(session: Session, package: Package, data: dict[str, Any]) -> None:
    """ValidationFailed at the first unique field when another live case has the same values."""
    rule = package.manifest.get("unique")
    if not rule:
        return
    fields = rule["fields"]
    wanted = {field: data.get(field) for field in fields}
    if any(value is None for value in wanted.values()):
        return
    _lock_procedure(session, package.key)
    case_id = _clash(session, package.key, wanted)
    if case_id is not None:
        message = {language: f"{text} (#{case_id})" for language, text in rule["message"].items()}
        raise ValidationFailed({rule.get("field") or fields[0]: Translated(message)})
