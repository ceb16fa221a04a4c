"""Accounts for the web UI: sign-in, the signed-in user's profile, changing one's password, the people list."""
import secrets
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.errors import FieldError, NotFound, ValidationFailed
from engine.passwords import hash_password, verify_password
from engine.runtime.context import Component
from engine.runtime.results import Account, Person
from engine.store.models import User, UserRole

MIN_PASSWORD, MAX_PASSWORD = 10, 200


class Accounts(Component):
    """Who is signing in, and who else there is."""

    _decoy_hash: str | None = None

    def authenticate(self, username: object, password: object) -> Account | None:
        """The account of an active user whose password matches, else None (the same None for every reason).

        A password is always hashed, for unknown and inactive users too, so the time taken
        does not tell which usernames exist.
        """
        with self.db.read() as session:
            user = session.get(User, username) if isinstance(username, str) and username else None
            usable = user is not None and user.active
            stored = user.password_hash if user is not None and usable else self._decoy()
            matches = verify_password(password if isinstance(password, str) else "", stored)
            if user is None or not (usable and matches and isinstance(password, str)):
                return None
            account = _account(session, user)
        self._rehash_if_costs_differ(user.username, password, stored)
        return account

    def _rehash_if_costs_differ(self, username: str, password: str, stored: str) -> None:
        """Store a signed-in user's password again at the configured cost when it was hashed at another.

        Otherwise, after the cost changes, known users would take a different time to check than the
        decoy of unknown ones, and sign-in timing would tell which usernames exist.
        """
        if stored.split("$")[1:2] == [str(self.settings.password_hash_cost)]:
            return
        with self.db.write() as session:
            session.execute(update(User).where(User.username == username, User.password_hash == stored)
                            .values(password_hash=hash_password(password, n=self.settings.password_hash_cost)))

    def _decoy(self) -> str:
        """A hash of a random password at the configured cost, to verify against when there is no user."""
        if self._decoy_hash is None:
            self._decoy_hash = hash_password(secrets.token_hex(16), n=self.settings.password_hash_cost)
        return self._decoy_hash

    def account(self, username: object) -> Account | None:
        """The account of an active user (no password check), or None: the web UI's per-request user loader."""
        with self.db.read() as session:
            user = session.get(User, username) if isinstance(username, str) and username else None
            return _account(session, user) if user is not None and user.active else None

    def change_password(self, username: object, old: object, new: object) -> Account:
        """Replace an active user's password after checking the current one, ending every session of theirs.

        Returns the account with its new session generation, so the caller can keep its own session.
        """
        with self.db.write() as session:
            user = session.get(User, username) if isinstance(username, str) and username else None
            if user is None or not user.active:
                raise NotFound("no_active_user", user=username)
            if not isinstance(old, str) or not verify_password(old, user.password_hash):
                raise ValidationFailed({"old_password": FieldError("wrong_password")})
            _check_new_password(old, new)
            user.password_hash = hash_password(cast(str, new), n=self.settings.password_hash_cost)  # checked: text
            user.session_generation = User.session_generation + 1
            session.flush()
            session.refresh(user, ["session_generation"])
            return _account(session, user)

    def end_sessions(self, username: str) -> None:
        """Sign a user out everywhere: every session begun before this call ends at its next request."""
        with self.db.write() as session:
            session.execute(update(User).where(User.username == username)
                            .values(session_generation=User.session_generation + 1))

    def people(self) -> list[Person]:
        """Active users by name, for pickers: [{username, name, department}]."""
        with self.db.read() as session:
            return active_people(session)


def active_people(session: Session) -> list[Person]:
    """Active users by name: [{username, name, department}]."""
    rows = session.execute(select(User.username, User.name, User.department)
                           .where(User.active.is_(True)).order_by(User.name, User.username)).all()
    return [cast(Person, dict(r._mapping)) for r in rows]


def _account(session: Session, user: User) -> Account:
    """The dict the web UI keeps for a signed-in user."""
    roles = session.scalars(select(UserRole.role).where(UserRole.username == user.username).order_by(UserRole.role))
    return {"username": user.username, "name": user.name, "email": user.email, "department": user.department,
            "roles": list(roles), "language": None, "session_generation": user.session_generation}


def _check_new_password(old: str, new: object) -> None:
    """A new password is 10 to 200 characters and differs from the old one."""
    if not isinstance(new, str) or not MIN_PASSWORD <= len(new) <= MAX_PASSWORD:
        raise ValidationFailed({"new_password": FieldError("password_length", low=MIN_PASSWORD, high=MAX_PASSWORD)})
    if new == old:
        raise ValidationFailed({"new_password": FieldError("password_unchanged")})
