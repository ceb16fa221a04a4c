"""The employee's inbox page: filtered, sorted and paged task rows with the counts of the tabs, and saved filters.

Every read is plain SQL on indexed columns: counts are COUNT queries, a page is found by task id
first (sorted and cut on the task table, joined to the cases only to filter or sort on them) and only
its rows are joined to their cases.
"""
import math
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, CursorResult, Select, and_, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import Conflict, FieldError, NotFound, ValidationFailed
from engine.org import Directory
from engine.runtime import access
from engine.runtime.access import TASK_COLUMNS
from engine.runtime.context import Component
from engine.runtime.results import InboxCounts, InboxPage, InboxTask, SavedInboxFilter, SearchField
from engine.store.models import CaseRecord, Definition, HumanTask, SavedFilter, User

SCOPES = ("all", "mine", "unclaimed")
Scope = Literal["all", "mine", "unclaimed"]
_DUE_ORDER = (HumanTask.due_at.is_(None), HumanTask.due_at)
# The requester's full name (their username when the directory has none), for sorting by who asked.
_REQUESTER = func.coalesce(select(User.name).where(User.username == CaseRecord.starter).scalar_subquery(),
                           CaseRecord.starter)
SORTS = {
    "due": _DUE_ORDER,
    "-due": (HumanTask.due_at.is_(None), HumanTask.due_at.desc()),
    "created": (HumanTask.created_at,),
    "-created": (HumanTask.created_at.desc(),),
    "priority": (HumanTask.priority,) + _DUE_ORDER,
    "procedure": (HumanTask.process_key,) + _DUE_ORDER,
    "title": (HumanTask.title_en,) + _DUE_ORDER,
    "requester": (_REQUESTER,) + _DUE_ORDER,
    "-requester": (_REQUESTER.desc(),) + _DUE_ORDER,
}
CASE_SORTS = {"requester", "-requester"}  # sorts on the case's starter: the page query joins the cases
TIE_BREAK = (HumanTask.created_at, HumanTask.id)  # equal sort keys keep one order, so pages never overlap
DUE_SOON = timedelta(hours=24)
MAX_HOURS = 24 * 366  # the widest due window a filter may ask for
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000  # a page number past this would overflow the OFFSET; the page is clamped anyway
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
WHOLE = re.compile(r"^-?[0-9]+$")
MAX_FILTER_NAME, MAX_FILTER_QUERY = 100, 2000


class Inbox(Component):
    """The inbox: one reader with filters, sorts and pages, the searchable fields it filters on, and saved filters."""

    def inbox(self, user: str, *, scope: str = "all", process_key: str | None = None, overdue: bool = False,
              due_within_hours: float | str | None = None, priority: int | str | None = None,
              search: dict[str, Any] | None = None, sort: str = "due", page: int | str = 1,
              per_page: int | str = 50) -> InboxPage:
        """One page of the user's open tasks (theirs and their roles' unclaimed ones) with the tabs' counts."""
        if scope not in SCOPES:
            raise ValidationFailed({"scope": FieldError("not_one_of", choices=", ".join(SCOPES))})
        if sort not in SORTS:
            raise ValidationFailed({"sort": FieldError("not_one_of", choices=", ".join(SORTS))})
        task_filters = self._task_filters(process_key, overdue, due_within_hours, priority)
        case_filters = self._search_filters(search)
        size, number = page_size(per_page), whole_number(page, "page")
        with self.db.read() as session:
            roles = Directory(session).roles_of(user)
            counts = self._inbox_counts(session, user, roles)
            pick = _Page([_scope(user, roles, scope), *task_filters], case_filters, SORTS[sort], size,
                         join_cases=sort in CASE_SORTS)
            known = None if task_filters or case_filters else counts[cast(Scope, scope)]
            ids, total, number = pick.ids(session, number, known)
            rows = _task_rows(session, ids)
        return {"tasks": rows, "total": total, "page": number, "pages": page_count(total, size),
                "per_page": size, "counts": counts}

    def _task_filters(self, process_key: str | None, overdue: bool, due_within_hours: float | str | None,
                      priority: int | str | None) -> list[ColumnElement[bool]]:
        """WHERE clauses of the filters on the task row itself."""
        now = self.clock.now()
        filters = [HumanTask.process_key == process_key] if process_key else []
        if overdue:
            filters.append(HumanTask.due_at < now)
        if due_within_hours not in (None, ""):
            hours = _number(due_within_hours, "due_within_hours")
            if not 0 <= hours <= MAX_HOURS:
                raise ValidationFailed({"due_within_hours": FieldError("hours_out_of_range", most=MAX_HOURS)})
            # Not yet overdue, as the 'due soon' count: overdue tasks have a filter of their own.
            filters.append(and_(HumanTask.due_at >= now, HumanTask.due_at <= now + timedelta(hours=hours)))
        if priority not in (None, ""):
            level = whole_number(priority, "priority")
            if not 1 <= level <= 4:
                raise ValidationFailed({"priority": FieldError("not_a_priority")})
            filters.append(HumanTask.priority == level)
        return filters

    def _search_filters(self, search: object) -> list[ColumnElement[bool]]:
        """Clauses on the case's searchable fields: text contains (any case), numbers within min/max."""
        if not search:
            return []
        if not isinstance(search, dict):
            raise ValidationFailed({"search": FieldError("search_not_mapping")})
        clauses: list[ColumnElement[bool]] = []
        for field, value in search.items():
            if not isinstance(field, str) or not FIELD_NAME.match(field):
                raise ValidationFailed({"search": FieldError("not_field_name", value=field)})
            if isinstance(value, str):
                if value.strip():
                    clauses.append(CaseRecord.search[field].as_string().icontains(value.strip(), autoescape=True))
            elif isinstance(value, dict):
                clauses += self._range(field, value)
            elif isinstance(value, list):  # any of these stored codes (a choice field searched by its labels)
                clauses.append(CaseRecord.search[field].as_string().in_([str(code) for code in value]))
            elif value is not None:
                raise ValidationFailed({f"search.{field}": FieldError("search_value_kind")})
        return clauses

    def _range(self, field: str, bounds: dict[str, Any]) -> list[ColumnElement[bool]]:
        """min/max clauses on a numeric field; a case whose value is no number matches no range."""
        unknown = set(bounds) - {"min", "max"}
        if unknown:
            raise ValidationFailed({f"search.{field}": FieldError("unknown_bound", bound=sorted(unknown)[0])})
        number = self._json_number(field)
        clauses: list[ColumnElement[bool]] = []
        for key, compare in (("min", number.__ge__), ("max", number.__le__)):
            if bounds.get(key) not in (None, ""):
                clauses.append(compare(_number(bounds[key], f"search.{field}.{key}")))
        return clauses

    def _json_number(self, field: str) -> ColumnElement[float | None]:
        """SQL for the numeric value of a case field, NULL when it holds no number (never a cast error)."""
        if self.db.is_sqlite:
            numeric: ColumnElement[bool] = func.json_type(CaseRecord.search, f'$."{field}"').in_(("integer", "real"))
        else:
            numeric = func.json_typeof(CaseRecord.search[field]) == "number"
        return case((numeric, CaseRecord.search[field].as_float()))

    def _inbox_counts(self, session: Session, user: str, roles: set[str]) -> InboxCounts:
        """Tab counts over the user's whole inbox, filters ignored: one COUNT query."""
        now = self.clock.now()
        row = session.execute(select(
            func.count(),
            func.count(case((HumanTask.assignee == user, 1))),
            func.count(case((HumanTask.assignee.is_(None), 1))),
            func.count(case((HumanTask.due_at < now, 1))),
            func.count(case((and_(HumanTask.due_at >= now, HumanTask.due_at <= now + DUE_SOON), 1))),
        ).where(_scope(user, roles, "all"))).one()
        everything, mine, unclaimed, overdue, due_soon = row
        return {"all": everything, "mine": mine, "unclaimed": unclaimed, "overdue": overdue, "due_soon": due_soon}

    def search_fields(self, process_key: str) -> list[SearchField]:
        """The newest version's searchable fields: [{field, type, label: {en, zh-Hant}}]; NotFound if unknown."""
        with self.db.read() as session:
            manifest = session.scalar(select(Definition.manifest).where(Definition.key == process_key)
                                      .order_by(Definition.version.desc()).limit(1))
        if manifest is None:
            raise NotFound("no_procedure", procedure=process_key)
        return list(manifest.get("searchable") or [])

    def saved_filters(self, user: str) -> list[SavedInboxFilter]:
        """The user's saved inbox filters, by name: [{id, name, query}]."""
        with self.db.read() as session:
            rows = session.execute(select(SavedFilter.id, SavedFilter.name, SavedFilter.query)
                                   .where(SavedFilter.username == user).order_by(SavedFilter.name)).all()
        return [cast(SavedInboxFilter, dict(r._mapping)) for r in rows]

    def save_filter(self, user: str, name: object, query: object) -> int:
        """Save an inbox filter under a name (the same name replaces its query); return its id."""
        name, query = _filter_fields(name, query)
        try:
            with self.db.write() as session:
                found = session.scalar(select(SavedFilter.id).where(SavedFilter.username == user,
                                                                    SavedFilter.name == name))
                if found is not None:
                    session.execute(update(SavedFilter).where(SavedFilter.id == found).values(query=query))
                    return found
                row = SavedFilter(username=user, name=name, query=query, created_at=self.clock.now())
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError as exc:
            raise Conflict("filter_name_taken", name=name) from exc

    def delete_filter(self, user: str, filter_id: int | str) -> None:
        """Delete one of the user's saved filters (NotFound for anyone else's)."""
        try:
            filter_id = int(filter_id)
        except (TypeError, ValueError):
            raise NotFound("no_saved_filter", filter=filter_id) from None
        if not 0 < filter_id < 2**31:
            raise NotFound("no_saved_filter", filter=filter_id)
        with self.db.write() as session:
            gone = cast(CursorResult[Any], session.execute(
                delete(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.username == user)))
            if gone.rowcount != 1:
                raise NotFound("no_saved_filter", filter=filter_id)


class _Page:
    """Finds one page of task ids: sorted and cut on human_tasks, joined to the cases only to filter on them."""

    def __init__(self, task_where: list[ColumnElement[bool]], case_where: list[ColumnElement[bool]],
                 order: tuple[Any, ...], per_page: int, join_cases: bool = False) -> None:
        self.task_where, self.case_where = task_where, case_where
        self.order, self.per_page = (*order, *TIE_BREAK), per_page
        self.join_cases = join_cases or bool(case_where)

    def _query(self, *columns: Any) -> Select[Any]:
        """SELECT columns FROM human_tasks [JOIN cases] WHERE every clause."""
        query = select(*columns).select_from(HumanTask)
        if self.join_cases:
            query = query.join(CaseRecord, CaseRecord.id == HumanTask.case_id)
        return query.where(*self.task_where, *self.case_where)

    def ids(self, session: Session, page: int, total: int | None = None) -> tuple[Sequence[str], int, int]:
        """(ids, total, page within range): with a known total one query; else the total rides along
        (COUNT(*) OVER ()), and a page past the end costs one COUNT more."""
        if total is not None:
            page = clamp_page(page, total, self.per_page)
            return session.scalars(self._cut(self._query(HumanTask.id), page)).all(), total, page
        page = min(max(page, 1), MAX_PAGE)
        rows = session.execute(self._cut(self._query(HumanTask.id, func.count().over()), page)).all()
        if rows or page == 1:
            return [r[0] for r in rows], rows[0][1] if rows else 0, page
        return self.ids(session, page, session.scalar(self._query(func.count())))

    def _cut(self, query: Select[Any], page: int) -> Select[Any]:
        """The query sorted (ties broken by creation and id, so pages never overlap) and cut to one page."""
        return query.order_by(*self.order).limit(self.per_page).offset((page - 1) * self.per_page)


def _task_rows(session: Session, ids: Sequence[str]) -> list[InboxTask]:
    """The inbox rows of these task ids, in this order, with their case's starter and search fields and the
    candidates of a named pool."""
    if not ids:
        return []
    rows = session.execute(select(*TASK_COLUMNS, HumanTask.pool, CaseRecord.starter, CaseRecord.search)
                           .join(CaseRecord, CaseRecord.id == HumanTask.case_id).where(HumanTask.id.in_(ids))).all()
    by_id = {r.id: dict(r._mapping) for r in rows}
    return cast(list[InboxTask], access.candidates_of(session, [by_id[i] for i in ids if i in by_id]))


def _scope(user: str, roles: set[str], scope: str) -> ColumnElement[bool]:
    """Tasks assigned to the user, unclaimed tasks they may take, or both (the rule lives in access.open_to)."""
    return access.open_to(user, roles, scope)


def page_size(per_page: int | str) -> int:
    """Rows per page: a whole number, held within 1..200."""
    return min(max(whole_number(per_page, "per_page"), 1), MAX_PER_PAGE)


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill; an empty result still has one page."""
    return max(1, math.ceil(total / per_page))


def clamp_page(page: int, total: int, per_page: int) -> int:
    """The page number held within 1..pages."""
    return min(max(page, 1), page_count(total, per_page))


def whole_number(value: object, name: str) -> int:
    """An integer from an int or digit text, else ValidationFailed."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and WHOLE.match(value.strip()) and len(value.strip()) <= 18:
        return int(value)
    raise ValidationFailed({name: FieldError("not_whole_number")})


def _number(value: Any, name: str) -> float:
    """A finite number from a number or numeric text (anything a request gave), else ValidationFailed."""
    try:
        number = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        number = float("nan")
    if not math.isfinite(number):
        raise ValidationFailed({name: FieldError("not_a_number")})
    return number


def _filter_fields(name: object, query: object) -> tuple[str, str]:
    """A saved filter's name (stripped, 1..100 characters) and query (text up to 2000 characters)."""
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= MAX_FILTER_NAME:
        raise ValidationFailed({"name": FieldError("name_length", most=MAX_FILTER_NAME)})
    if not isinstance(query, str) or len(query) > MAX_FILTER_QUERY:
        raise ValidationFailed({"query": FieldError("text_too_long", most=MAX_FILTER_QUERY)})
    return name, query
