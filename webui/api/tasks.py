"""GET /api/v1/tasks: the signed-in user's inbox as JSON, through the same runtime read as the inbox page."""
from flask import request
from flask_login import current_user

from webui.api import bp
from webui.runtime import current_runtime

PER_PAGE = 50


@bp.get("/tasks")
def tasks():
    """One page of the caller's open tasks (theirs and their pools'), with the scope counts.

    Query: scope (all, mine, unclaimed), process, sort (as the inbox page), page, per_page (at most 200).
    """
    args = request.args
    page = current_runtime().inbox(
        current_user.username, scope=args.get("scope", "all"), process_key=args.get("process") or None,
        sort=args.get("sort", "due"), page=args.get("page", 1), per_page=args.get("per_page", PER_PAGE))
    return {"tasks": [task_json(row) for row in page["tasks"]], "total": page["total"], "page": page["page"],
            "pages": page["pages"], "per_page": page["per_page"], "counts": page["counts"]}


def task_json(row):
    """An inbox row as the API gives it: titles in both languages, times in ISO 8601, the case's search fields."""
    return {"id": row["id"], "case_id": row["case_id"], "process_key": row["process_key"],
            "task_key": row["task_key"], "title": {"en": row["title_en"], "zh-Hant": row["title_zh"]},
            "lane": row["lane"], "role": row["role"], "assignee": row["assignee"], "pool": row["pool"],
            "candidates": row["candidates"], "priority": row["priority"], "starter": row["starter"],
            "fields": row["search"] or {}, "created_at": _iso(row["created_at"]), "due_at": _iso(row["due_at"]),
            "escalated_at": _iso(row["escalated_at"])}


def _iso(moment):
    """A time as ISO 8601 text (None stays None)."""
    return moment.isoformat() if moment is not None else None
