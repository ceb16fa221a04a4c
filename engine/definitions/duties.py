"""Checks of `separate_duties` in process.yaml (`candidates` and `exclude` are checked with the other
task expressions in crossref.py and references.py)."""


def duty_problems(model, manifest):
    """`separate_duties` names user tasks of the process."""
    problems = []
    user_tasks = {task.get("id") for _, task in model.elements("userTask")}
    for index, group in enumerate(manifest.data.get("separate_duties") or []):
        problems += [manifest.problem(("separate_duties", index, position), "duties_not_user_task", key=key)
                     for position, key in enumerate(group) if key not in user_tasks]
    return problems
