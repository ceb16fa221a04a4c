"""The organisation: departments, roles, users and managers, loaded from a YAML file."""
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any, TypedDict

import yaml
from jsonschema import Draft202012Validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.definitions.limits import MAX_ORG_FILE_BYTES, MAX_ORG_YAML_NODES, size_text
from engine.definitions.model import Problem
from engine.definitions.roles import missing_roles
from engine.definitions.yamlfile import YamlFile, dotted, read_yaml, schema_problems
from engine.errors import OpsflowError
from engine.passwords import hash_password, verify_password
from engine.store.models import Department, Role, User, UserRole, active_definitions

ORG_VALIDATOR = Draft202012Validator(
    yaml.safe_load((Path(__file__).parent / "definitions" / "org_schema.yaml").read_text("utf-8"))
)


class OrgLoaded(TypedDict):
    """What loading an organisation did: how many of each it holds now, and its warnings (one line each)."""

    departments: int
    roles: int
    users: int
    warnings: list[str]


class OrgError(OpsflowError):
    """The organisation file cannot be loaded; `problems` lists each located reason (each with its code)."""

    kind = "org"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("org_invalid", problems="\n".join(str(problem) for problem in self.problems))


def _read_document(path: str | Path) -> YamlFile:
    """The organisation file as a YamlFile, refused (OrgError) when unreadable, too big or not a mapping."""
    file = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_ORG_FILE_BYTES:
            raise OrgError([Problem.coded(file, None, None, "org_file_too_large", size=size_text(size),
                                          limit=size_text(MAX_ORG_FILE_BYTES))])
        data = Path(path).read_bytes()
    except OSError as exc:
        raise OrgError([Problem.coded(file, None, None, "org_unreadable", reason=exc.strerror or str(exc))]) from exc
    document = read_yaml(file, data, MAX_ORG_YAML_NODES)
    if isinstance(document, Problem):
        raise OrgError([document])
    if document.data is None:
        document.data = {}
    if not isinstance(document.data, dict):
        raise OrgError([Problem.coded(file, 1, None, "org_not_mapping")])
    return document


def _duplicate_problems(document: YamlFile, section: str, key: str) -> list[Problem]:
    """Entries of one section whose key an earlier entry already declared."""
    seen: set[str] = set()
    problems: list[Problem] = []
    for index, entry in enumerate(document.data.get(section, [])):
        if entry[key] in seen:
            problems.append(document.problem((section, index, key), "org_declared_twice", key=key, value=entry[key]))
        seen.add(entry[key])
    return problems


def _name_problems(document: YamlFile) -> list[Problem]:
    """Managers, heads, departments and roles that name nothing the file declares."""
    doc = document.data
    declared = {section: {entry[key] for entry in doc.get(section, [])}
                for section, key in (("users", "username"), ("roles", "key"), ("departments", "key"))}
    problems = []
    for index, user in enumerate(doc.get("users", [])):
        if user.get("manager") and user["manager"] not in declared["users"]:
            problems.append(document.problem(("users", index, "manager"), "org_manager_unknown",
                                             manager=user["manager"]))
        if user.get("department") and user["department"] not in declared["departments"]:
            problems.append(document.problem(("users", index, "department"), "org_department_unknown",
                                             department=user["department"]))
        problems += [document.problem(("users", index, "roles", at), "org_role_unknown", role=role)
                     for at, role in enumerate(user.get("roles", [])) if role not in declared["roles"]]
    for index, dept in enumerate(doc.get("departments", [])):
        if dept.get("head") and dept["head"] not in declared["users"]:
            problems.append(document.problem(("departments", index, "head"), "org_head_unknown", head=dept["head"]))
    return problems


def read_org_file(path: str | Path) -> dict[str, Any]:
    """Parse, shape-check and cross-check an organisation file, returning its dict (OrgError, located, if not)."""
    document = _read_document(path)
    problems = schema_problems(ORG_VALIDATOR, document)
    if not problems:
        problems = [*_duplicate_problems(document, "users", "username"), *_duplicate_problems(document, "roles", "key"),
                    *_duplicate_problems(document, "departments", "key"), *_name_problems(document)]
    if problems:
        raise OrgError(problems)
    return document.data


def load_org(session: Session, doc: dict[str, Any], hash_cost: int = 2**14) -> OrgLoaded:
    """Replace the organisation in the database with `doc` (one transaction, passwords hashed)."""
    existing = {u.username: (u.password_hash, u.session_generation) for u in session.scalars(select(User))}
    for table in (UserRole, User, Role, Department):
        session.execute(delete(table))
    for dept in doc.get("departments", []):
        session.add(Department(key=dept["key"], name_en=dept["name"]["en"], name_zh=dept["name"]["zh-Hant"],
                               head=dept.get("head")))
    for role in doc.get("roles", []):
        session.add(Role(key=role["key"], name_en=role["name"]["en"], name_zh=role["name"]["zh-Hant"]))
    session.flush()
    for u in doc.get("users", []):
        old, generation = existing.get(u["username"], (None, 0))
        kept = bool(old) and verify_password(u["password"], old)
        password_hash = old if kept else hash_password(u["password"], hash_cost)
        # Sessions survive a reload, but not a password the file replaced (nor come back after a sign-out).
        session.add(User(username=u["username"], name=u.get("name", u["username"]), email=u.get("email"),
                         department=u.get("department"), manager=u.get("manager"), password_hash=password_hash,
                         active=u.get("active", True), session_generation=generation + (0 if kept or not old else 1)))
    session.flush()
    for u in doc.get("users", []):
        session.add_all(UserRole(username=u["username"], role=r) for r in u.get("roles", []))
    return {"departments": len(doc.get("departments", [])), "roles": len(doc.get("roles", [])),
            "users": len(doc.get("users", [])),
            "warnings": deployed_role_warnings(session, {role["key"] for role in doc.get("roles", [])})}


def deployed_role_warnings(session: Session, roles: Collection[str]) -> list[str]:
    """One line per role the active version of a procedure names and `roles` lacks.

    Loading still succeeds: the organisation is the company's truth, and the lines say which
    procedures to fix (or which roles to declare) before their tasks reach nobody.
    """
    return [f"{row.key} v{row.version}: {dotted(path)} names role {role!r}, which this organisation lacks"
            for row in session.execute(active_definitions()) for path, role in missing_roles(row.manifest, roles)]


class Directory:
    """Organisation look-ups for one command (each answer fetched once, then remembered)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._users: dict[str | None, User | None] = {}
        self._roles: dict[str, set[str]] = {}
        self._heads: dict[str, str | None] | None = None

    def user(self, username: str | None) -> User | None:
        """The User row, or None."""
        if username not in self._users:
            self._users[username] = self.session.get(User, username) if username else None
        return self._users[username]

    def roles_of(self, username: str) -> set[str]:
        """The set of role keys a user holds."""
        if username not in self._roles:
            rows = self.session.scalars(select(UserRole.role).where(UserRole.username == username))
            self._roles[username] = set(rows)
        return self._roles[username]

    def is_active(self, username: str) -> bool:
        """True for a known user whose account is active."""
        user = self.user(username)
        return user is not None and user.active

    def manager_of(self, username: str) -> str | None:
        """The user's manager's username, or None."""
        user = self.user(username)
        return user.manager if user else None

    def department_of(self, username: str) -> str | None:
        """The user's department key, or None."""
        user = self.user(username)
        return user.department if user else None

    def head_of(self, department: str) -> str | None:
        """The head of a department, or None."""
        if self._heads is None:
            self._heads = dict(self.session.execute(select(Department.key, Department.head)).all())
        return self._heads.get(department)

    def users_with_role(self, role: str) -> list[str]:
        """Usernames holding a role, sorted."""
        rows = self.session.scalars(select(UserRole.username).where(UserRole.role == role).order_by(UserRole.username))
        return list(rows)

    def functions(self) -> dict[str, Callable[..., Any]]:
        """The organisation functions that assignee expressions may call."""
        return {"manager_of": self.manager_of, "department_of": self.department_of,
                "head_of": self.head_of, "users_with_role": self.users_with_role}
