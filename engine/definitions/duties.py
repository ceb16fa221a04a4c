"""Checks of `separate_duties` in process.yaml (`candidates` and `exclude` are checked with the other
task expressions in crossref.py and references.py)."""
from engine.definitions.documents import Model
from engine.definitions.model import Problem
from engine.definitions.yamlfile import YamlFile


def duty_problems(model: Model, manifest: YamlFile) -> list[Problem]:
    """`separate_duties` names user tasks of the process."""
    problems = []
    user_tasks = {task.get("id") for _, task in model.elements("userTask")}
    for index, group in enumerate(manifest.data.get("separate_duties") or []):
        problems += [manifest.problem(("separate_duties", index, position), "duties_not_user_task", key=key)
                     for position, key in enumerate(group) if key not in user_tasks]
    return problems
