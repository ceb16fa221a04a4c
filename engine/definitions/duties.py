"""Checks of who may do which step: `candidates`, `exclude` and `separate_duties` in process.yaml."""
from engine.definitions.expressions import expression_error


def duty_problems(model, manifest):
    """Pool and exclusion expressions compile; `separate_duties` names user tasks with a form entry."""
    entries = manifest.data.get("tasks") or {}
    problems = []
    for task_id, entry in entries.items():
        sources = [(("candidates",), entry.get("candidates"))]
        sources += [(("exclude", index), source) for index, source in enumerate(entry.get("exclude") or [])]
        problems += [manifest.problem(("tasks", task_id) + path, f"does not compile: {error}")
                     for path, source in sources if source and (error := expression_error(source))]
    user_tasks = {task.get("id") for _, task in model.elements("userTask")}
    for index, group in enumerate(manifest.data.get("separate_duties") or []):
        problems += [manifest.problem(("separate_duties", index, position),
                                      f"{key!r} is not a user task of this process (separate_duties names steps)")
                     for position, key in enumerate(group) if key not in user_tasks]
    return problems
