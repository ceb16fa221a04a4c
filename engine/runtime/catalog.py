"""Deployed versions of process packages, and their parsed specs cached per version."""
import os
import threading
from collections.abc import Callable, Iterable
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.definitions import Package, Problem, build_specs, find_packages, load_package, package_from_files
from engine.definitions.roles import role_problems
from engine.errors import Conflict, NotFound, PackageError
from engine.runtime.clocked_timers import use_our_clock
from engine.runtime.results import Activated, Deployed, DeployResult, PackageFiles, VersionInfo
from engine.runtime.spiff import ProcessSpec, SubprocessSpecs
from engine.store import Database
from engine.store.models import Activation, Definition, Role

LOADED = "the loaded organisation"
DEPLOY_ATTEMPTS = 3  # a deploy that lost a race for a version number reads again and finds the winner's row
# Where packages are: one folder (of packages, or a package itself), or several.
PackagePaths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
# Called inside a deploy's or an activation's transaction with the id of the version new cases now start on.
VersionHook = Callable[[Session, int], None]


def organisation_roles(session: Session) -> set[str] | None:
    """The role keys of the loaded organisation, or None while none is loaded."""
    return set(session.scalars(select(Role.key))) or None


def package_path(path: str, origin: str) -> str:
    """A stored file's path if it stays inside its package folder wherever it is written; PackageError otherwise.

    Deploys store relative posix paths; a stored path that is absolute, has an empty, `.` or `..` part, a
    backslash or a NUL (a tampered row) is refused, so an export never writes outside its folder.
    """
    parts = path.split("/")
    if "\\" in path or "\x00" in path or any(part in ("", ".", "..") for part in parts):
        raise PackageError([Problem.coded(origin, None, None, "not_relative_path", value=path)])
    return path


class Catalog:
    """Deploys packages as immutable versions and hands out (package, spec) per version."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._versions: dict[int, DeployedVersion] = {}
        self._lock = threading.Lock()

    @staticmethod
    def load_paths(paths: PackagePaths, roles: set[str] | None = None, where: str = LOADED) -> list[Package]:
        """Load and validate every package under `paths`, reporting all problems at once.

        Given `roles` (those of the organisation `where` names), a role a manifest names outside them is a problem.
        """
        packages: list[Package] = []
        problems = []
        for folder in find_packages(paths):
            try:
                package = load_package(folder)
                build_specs(package)
            except PackageError as exc:
                problems.extend(exc.problems)
                continue
            missing = role_problems(package, roles, where) if roles is not None else []
            problems.extend(missing)
            if not missing:
                packages.append(package)
        if problems:
            raise PackageError(problems)
        return packages

    def deploy(self, paths: PackagePaths, actor: str | None = None,
               on_new_version: VersionHook | None = None) -> list[DeployResult]:
        """Store a new version of each package whose content changed and make it active; return what happened.

        `on_new_version(session, definition_id)` runs in the same transaction for each new version.
        A role the loaded organisation lacks refuses the package; while none is loaded, each result
        says `roles_checked: False` and loading an organisation later names what is missing.
        Two deploys of the same new content at once both report the one version the first stored.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._deploy_all(paths, actor, on_new_version)
            except IntegrityError as exc:
                if attempt == DEPLOY_ATTEMPTS:
                    raise Conflict("deploy_race") from exc

    def _deploy_all(self, paths: PackagePaths, actor: str | None,
                    on_new_version: VersionHook | None) -> list[DeployResult]:
        """One attempt at a deploy, in one transaction (a unique-key race raises IntegrityError)."""
        results: list[DeployResult] = []
        try:
            with self.db.write() as session:
                roles = organisation_roles(session)
                for package in self.load_paths(paths, roles):
                    result: DeployResult = {**self._deploy_one(session, package, actor),
                                            "roles_checked": roles is not None}
                    results.append(result)
                    if result["created"] and on_new_version is not None:
                        on_new_version(session, result["id"])
        except BaseException:
            for result in results:
                self._versions.pop(result["id"], None)
            raise
        return results

    def _deploy_one(self, session: Session, package: Package, actor: str | None) -> Deployed:
        """Insert and activate one version unless the same content is already deployed."""
        same = session.scalar(select(Definition).where(Definition.key == package.key,
                                                       Definition.content_hash == package.content_hash))
        if same is not None:
            active = self._active_version(session, package.key)
            return {"key": package.key, "version": same.version, "created": False, "id": same.id,
                    "active": active == same.version, "active_version": active}
        latest = session.scalar(select(func.max(Definition.version)).where(Definition.key == package.key)) or 0
        row = Definition(key=package.key, version=latest + 1, content_hash=package.content_hash,
                         process_id=package.process_id, manifest=package.manifest,
                         files={path: data.decode("utf-8") for path, data in package.files.items()},
                         deployed_at=self.clock.now(), deployed_by=actor)
        session.add(row)
        session.flush()
        session.add(Activation(process_key=package.key, definition_id=row.id, activated_at=row.deployed_at,
                               activated_by=actor))
        return {"key": package.key, "version": row.version, "created": True, "id": row.id,
                "active": True, "active_version": row.version}

    def activate(self, key: str, version: int, actor: str | None = None,
                 on_activate: VersionHook | None = None) -> Activated:
        """Make a deployed version the one new cases of `key` start on (a rollback or roll forward), recorded.

        `on_activate(session, definition_id)` runs in the same transaction (scheduled starts follow it).
        """
        with self.db.write() as session:
            found = session.scalar(select(Definition.id).where(Definition.key == key, Definition.version == version))
            if found is None:
                raise NotFound("no_version", procedure=key, version=version)
            was = self._active_version(session, key)
            if was != version:
                session.add(Activation(process_key=key, definition_id=found, activated_at=self.clock.now(),
                                       activated_by=actor))
                if on_activate is not None:
                    on_activate(session, found)
        return {"key": key, "version": version, "was": was, "changed": was != version}

    def versions(self, session: Session, key: str) -> list[VersionInfo]:
        """Every deployed version of a procedure, newest first, each saying whether it is the active one."""
        active = self._active_version(session, key)
        rows = session.execute(select(Definition.version, Definition.deployed_at, Definition.deployed_by,
                                      Definition.content_hash).where(Definition.key == key)
                               .order_by(Definition.version.desc())).all()
        if not rows:
            raise NotFound("no_procedure", procedure=key)
        return [{"version": r.version, "deployed_at": r.deployed_at, "deployed_by": r.deployed_by,
                 "content_hash": r.content_hash, "active": r.version == active} for r in rows]

    def package_files(self, session: Session, key: str, version: int | None = None) -> PackageFiles:
        """The files of a deployed version (default: the active one) byte for byte as deployed, each path checked."""
        active = self._active_version(session, key)
        if active is None:
            raise NotFound("no_procedure", procedure=key)
        wanted = active if version is None else version
        row = session.scalar(select(Definition).where(Definition.key == key, Definition.version == wanted))
        if row is None:
            raise NotFound("no_version", procedure=key, version=wanted)
        origin = f"{key} v{wanted}"
        files = {package_path(path, origin): text.encode("utf-8") for path, text in sorted(row.files.items())}
        return {"key": key, "version": wanted, "content_hash": row.content_hash, "active": wanted == active,
                "files": files}

    def active_id(self, session: Session, key: str) -> int:
        """Id of the version new cases of a procedure start on, or NotFound."""
        found = session.scalar(select(Activation.definition_id).where(Activation.process_key == key)
                               .order_by(Activation.id.desc()).limit(1))
        if found is None:
            raise NotFound("no_procedure", procedure=key)
        return found

    @staticmethod
    def version_id(session: Session, key: str, version: int) -> int:
        """Id of a deployed version of a procedure, or NotFound."""
        found = session.scalar(select(Definition.id).where(Definition.key == key, Definition.version == version))
        if found is None:
            raise NotFound("no_version", procedure=key, version=version)
        return found

    @staticmethod
    def _active_version(session: Session, key: str) -> int | None:
        """The version number new cases of `key` start on (None before its first deploy)."""
        return session.scalar(select(Definition.version).join(Activation, Activation.definition_id == Definition.id)
                              .where(Activation.process_key == key).order_by(Activation.id.desc()).limit(1))

    def get(self, definition_id: int, session: Session | None = None) -> "DeployedVersion":
        """(package, spec, subprocess_specs, version) of a deployed version, parsed once per process."""
        cached = self._versions.get(definition_id)
        if cached is not None:
            return cached
        with self._lock:
            if definition_id not in self._versions:
                self._versions[definition_id] = self._load(definition_id, session)
        return self._versions[definition_id]

    def _load(self, definition_id: int, session: Session | None) -> "DeployedVersion":
        """Rebuild a version's package and specs from the stored files."""
        if session is None:
            with self.db.read() as own:
                return self._load(definition_id, own)
        row = session.get(Definition, definition_id)
        if row is None:
            raise NotFound("no_definition", definition=definition_id)
        package = package_from_files({p: t.encode("utf-8") for p, t in row.files.items()},
                                     origin=f"{row.key} v{row.version}", strict=False)
        spec, subprocess_specs = build_specs(package)
        use_our_clock(spec, subprocess_specs)
        spec.opsflow_definition_id = definition_id
        return DeployedVersion(package, spec, subprocess_specs, row.version, definition_id)

    def specs_for(self, definition_id: int) -> tuple[ProcessSpec, SubprocessSpecs]:
        """The serializer's hook: specs of a stored version."""
        deployed = self.get(definition_id)
        return deployed.spec, deployed.subprocess_specs


class DeployedVersion(NamedTuple):
    """A parsed deployed version: its package, its process's spec and those of the processes it calls."""

    package: Package
    spec: ProcessSpec
    subprocess_specs: SubprocessSpecs
    version: int
    definition_id: int
