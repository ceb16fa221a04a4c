"""Personal API tokens: a user makes, lists and revokes their own; the API maps a presented secret to its user.

A secret is `opf_` and 32 random bytes (URL-safe base64). Only its SHA-256 is stored, so a token is shown
once, when it is made; its first characters (`prefix`) tell tokens apart in a list. A token opens the API
while its user is active, it is not revoked and its expiry, if any, has not come by the runtime's clock.
Its last use is written at most once a minute, so a busy client does not cost a write per request.
"""
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update

from engine.errors import FieldError, NotFound, ValidationFailed
from engine.runtime.context import Component
from engine.runtime.results import ApiTokenView, NewApiToken
from engine.store.models import ApiToken, User

SECRET_PREFIX = "opf_"
SECRET_BYTES = 32
SHOWN_PREFIX_LENGTH = 12
MAX_TOKEN_NAME = 100
# Longer than any secret we make: a longer presented value is refused before it is hashed.
MAX_SECRET_LENGTH = 100
LAST_USED_EVERY = timedelta(minutes=1)


def token_hash(secret: str) -> str:
    """The stored form of a secret: its SHA-256 in hex (a random 32-byte secret needs no salt or slow hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Tokens(Component):
    """A user's personal API tokens, and who a presented secret belongs to."""

    def create_token(self, user: str, name: object, expires_at: datetime | None = None) -> NewApiToken:
        """Make a token for an active `user` under `name` (1..100 characters), expiring at `expires_at` if given.

        Returns its secret, which is not stored and cannot be read again, with the token as listed.
        """
        name = name.strip() if isinstance(name, str) else ""
        if not 1 <= len(name) <= MAX_TOKEN_NAME:
            raise ValidationFailed({"name": FieldError("name_length", most=MAX_TOKEN_NAME)})
        now = self.clock.now()
        if expires_at is not None and expires_at <= now:
            raise ValidationFailed({"expires_at": FieldError("expiry_not_future")})
        secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
        with self.db.write() as session:
            found = session.get(User, user)
            if found is None or not found.active:
                raise NotFound("no_active_user", user=user)
            row = ApiToken(username=user, name=name, token_hash=token_hash(secret),
                           prefix=secret[:SHOWN_PREFIX_LENGTH], created_at=now, expires_at=expires_at)
            session.add(row)
            session.flush()
            return {"secret": secret, "token": _view(row, now)}

    def tokens(self, user: str) -> list[ApiTokenView]:
        """The user's tokens that are not revoked, newest first, expired ones marked; never a secret."""
        now = self.clock.now()
        with self.db.read() as session:
            rows = session.scalars(select(ApiToken).where(ApiToken.username == user, ApiToken.revoked_at.is_(None))
                                   .order_by(ApiToken.id.desc())).all()
            return [_view(row, now) for row in rows]

    def revoke_token(self, user: str, token_id: int | str) -> None:
        """Revoke one of the user's own tokens at once (NotFound for anyone else's, or one revoked already)."""
        number = _token_number(token_id)
        with self.db.write() as session:
            revoked = cast(CursorResult[Any], session.execute(
                update(ApiToken).where(ApiToken.id == number, ApiToken.username == user,
                                       ApiToken.revoked_at.is_(None))
                .values(revoked_at=self.clock.now()).execution_options(synchronize_session=False)))
            if revoked.rowcount != 1:
                raise NotFound("no_api_token", token=token_id)

    def user_for_token(self, secret: object) -> str | None:
        """The username a presented secret acts as, or None: unknown, revoked, expired, or its user inactive.

        Notes the token's last use when the last note is a minute old or more (one conditional update).
        """
        if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX) or len(secret) > MAX_SECRET_LENGTH:
            return None
        now = self.clock.now()
        with self.db.read() as session:
            found = session.execute(
                select(ApiToken.id, ApiToken.username, ApiToken.last_used_at)
                .join(User, User.username == ApiToken.username)
                .where(ApiToken.token_hash == token_hash(secret), ApiToken.revoked_at.is_(None),
                       or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now), User.active.is_(True))).first()
        if found is None:
            return None
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_EVERY:
            self._note_use(found.id, now)
        return str(found.username)

    def _note_use(self, token_id: int, now: datetime) -> None:
        """Set a token's last use to `now`, unless another request noted one within the last minute."""
        with self.db.write() as session:
            session.execute(update(ApiToken).where(
                ApiToken.id == token_id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_EVERY))
                .values(last_used_at=now).execution_options(synchronize_session=False))


def _view(row: ApiToken, now: datetime) -> ApiTokenView:
    """A token row as its owner sees it."""
    return {"id": row.id, "name": row.name, "prefix": row.prefix, "created_at": row.created_at,
            "expires_at": row.expires_at, "last_used_at": row.last_used_at,
            "expired": row.expires_at is not None and row.expires_at <= now}


def _token_number(value: int | str) -> int:
    """A token id as given on a command line or in a form: a whole number in the id range, else NotFound."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound("no_api_token", token=value) from None
    if not 0 < number < 2**31:
        raise NotFound("no_api_token", token=value)
    return number
