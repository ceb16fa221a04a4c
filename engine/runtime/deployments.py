"""Deploying, activating and exporting versions of procedures, loading the organisation, and the database schema."""
from pathlib import Path

from sqlalchemy.orm import Session

from engine.org import OrgLoaded, load_org, read_org_file
from engine.runtime import schedules
from engine.runtime.catalog import PackagePaths
from engine.runtime.context import Component
from engine.runtime.results import Activated, DeployResult, PackageFiles, VersionInfo
from engine.store import migrate


class Deployments(Component):
    """What an operator or process owner changes about the procedures and the organisation themselves."""

    def init(self) -> None:
        """Create or upgrade the database schema."""
        migrate(self.db)

    def deploy(self, paths: PackagePaths, actor: str | None = None) -> list[DeployResult]:
        """Deploy packages; a new version only where content changed (its scheduled starts re-armed)."""
        return self.catalog.deploy(paths, actor, on_new_version=self._arm_schedules)

    def activate(self, process_key: str, version: int, actor: str | None = None) -> Activated:
        """Start new cases of a procedure on an earlier (or later) deployed version; running cases keep theirs."""
        return self.catalog.activate(process_key, version, actor, on_activate=self._arm_schedules)

    def versions(self, process_key: str) -> list[VersionInfo]:
        """Every deployed version of a procedure, newest first, marking the one new cases start on."""
        with self.db.read() as session:
            return self.catalog.versions(session, process_key)

    def package_files(self, process_key: str, version: int | None = None) -> PackageFiles:
        """A deployed version's package files as deployed (default: the version new cases start on), to write out
        as a folder that `deploy` takes back unchanged."""
        with self.db.read() as session:
            return self.catalog.package_files(session, process_key, version)

    def load_org(self, path: str | Path) -> OrgLoaded:
        """Replace the organisation with the one in an org file."""
        doc = read_org_file(path)
        with self.db.write() as session:
            return load_org(session, doc, self.settings.password_hash_cost)

    def _arm_schedules(self, session: Session, definition_id: int) -> None:
        """Arm the timer start events of a version that new cases now start on (newly deployed or activated)."""
        schedules.arm(session, self.catalog.get(definition_id, session), self.clock.now())
