"""API keys of the usage service, kept in the ledger's database.

A key is `inf_` and 43 URL-safe characters (256 random bits). Only its
SHA-256 digest is stored, with its last four characters for masked listings:
the plaintext exists once, in what `create` returns. A fast hash is enough
because a key is random, not a password: nobody can guess one to test against
a leaked digest. Each key is pinned to one team and carries scopes
(`billing:read`, `billing`, `*`; none means full access, as the store's keys).

Every `authenticate` reads the database, so a revocation is seen at the next
request by every process serving the same ledger.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..spelling import closest
from .errors import LedgerError
from .periods import iso_z, to_micros

if TYPE_CHECKING:
    from .ledger import Ledger

__all__ = ["ApiKey", "KeyStore", "KeyNotFound", "KeyRequestError", "SCHEMA", "grants", "parse_scopes"]

PREFIX = "inf_"
_SECRET_BYTES = 32
_MAX_PRESENTED = 256
_MAX_NAME = 200

# The store's scope catalog (its API keys page): resources and their actions.
RESOURCES: tuple[str, ...] = (
    "agents", "apps", "apikeys", "artifacts", "billing", "conversations", "credentials", "datastores",
    "engines", "files", "flows", "knowledge", "projects", "remotes", "secrets", "settings", "teams", "user",
)
ACTIONS: tuple[str, ...] = ("read", "write", "execute")
_SCOPE = re.compile(r"(?P<resource>[a-z_]+)(?::(?P<action>[a-z_]+))?\Z")

# The key table: one step of the ledger's migrations (migrations.py runs it
# when a ledger is opened). Released: never edit it, add a step instead.
SCHEMA: tuple[str, ...] = (
    """CREATE TABLE celprice_api_keys (
        key_id TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL UNIQUE,
        team_id TEXT NOT NULL,
        name TEXT NOT NULL,
        scopes TEXT NOT NULL,
        last_four TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT
    )""",
    "CREATE INDEX celprice_api_keys_by_team ON celprice_api_keys (team_id, created_at)",
)

_COLUMNS = "key_id, team_id, name, scopes, last_four, created_at, expires_at"
_INSERT = f"INSERT INTO celprice_api_keys (key_hash, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_BY_HASH = f"SELECT key_hash, {_COLUMNS} FROM celprice_api_keys WHERE key_hash = ?"
_BY_TEAM = f"SELECT {_COLUMNS} FROM celprice_api_keys WHERE team_id = ? ORDER BY created_at, key_id"
_BY_ID = f"SELECT {_COLUMNS} FROM celprice_api_keys WHERE key_id = ?"
_DELETE = "DELETE FROM celprice_api_keys WHERE key_id = ?"


class KeyRequestError(LedgerError):
    """The arguments of a key call are invalid (a scope, a name, an expiry in the past)."""


class KeyNotFound(LedgerError, LookupError):
    """No key with this id (it never existed or was revoked)."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"no API key {key_id!r}")
        self.key_id = key_id


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str
    team_id: str
    name: str
    scopes: tuple[str, ...]
    last_four: str
    created_at: datetime
    expires_at: datetime | None

    @property
    def masked(self) -> str:
        """The key as listings show it: only its last four characters."""
        return f"{PREFIX}****{self.last_four}"

    def grants(self, scope: str) -> bool:
        return grants(self.scopes, scope)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def to_json(self) -> dict[str, Any]:
        """The listing's fields (the key masked)."""
        return {
            "id": self.id,
            "name": self.name,
            "key": self.masked,
            "team_id": self.team_id,
            "scopes": list(self.scopes),
            "created_at": _iso(self.created_at),
            "expires_at": None if self.expires_at is None else _iso(self.expires_at),
        }


def grants(scopes: Iterable[str], required: str) -> bool:
    """Whether a key with `scopes` may do `required` (`resource:action`): the
    scope itself, its resource (`billing` grants `billing:read`), `*`, or no
    scopes at all (full access, as keys made before scopes existed)."""
    held = set(scopes)
    if not held or "*" in held or required in held:
        return True
    return required.partition(":")[0] in held


def parse_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Validated scopes, duplicates dropped, in the order given. Raises
    KeyRequestError naming the bad scope, with the nearest known one."""
    out: list[str] = []
    for raw in scopes:
        scope = raw.strip() if isinstance(raw, str) else raw
        if not isinstance(scope, str) or not scope:
            raise KeyRequestError(f"scope {raw!r} is empty; scopes look like billing:read, billing or *")
        if scope != "*":
            match = _SCOPE.match(scope)
            if match is None:
                raise KeyRequestError(f"scope {scope!r} is not resource or resource:action (billing:read)")
            resource, action = match["resource"], match["action"]
            if resource not in RESOURCES:
                raise KeyRequestError(f"unknown scope resource {resource!r} in {scope!r}{_did_you_mean(resource, RESOURCES)}")
            if action is not None and action not in ACTIONS:
                raise KeyRequestError(f"unknown scope action {action!r} in {scope!r}{_did_you_mean(action, ACTIONS)}")
        if scope not in out:
            out.append(scope)
    return tuple(out)


def _did_you_mean(word: str, known: tuple[str, ...]) -> str:
    close = closest(word, known)
    return f" (did you mean {close!r}?)" if close else f" (known: {', '.join(known)})"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return iso_z(to_micros(moment, "time"))


def _from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _row_key(row: tuple[Any, ...]) -> ApiKey:
    key_id, team, name, scopes, last_four, created, expires = row
    return ApiKey(
        id=key_id,
        team_id=team,
        name=name,
        scopes=tuple(scope for scope in scopes.split(",") if scope),
        last_four=last_four,
        created_at=_from_micros(int(created)),
        expires_at=None if expires is None else _from_micros(int(expires)),
    )


class KeyStore:
    """The API keys stored in a ledger's database (the ledger's migrations made their table)."""

    def __init__(self, ledger: Ledger) -> None:
        # The keys share the ledger's connection: an in-memory ledger has one
        # database per connection, and every server process must see the same rows.
        self._db = ledger._db

    def create(
        self,
        team_id: str,
        name: str,
        scopes: Iterable[str] = (),
        expires_at: datetime | None = None,
        now: datetime | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key for `team_id`: (its record, its plaintext). The plaintext
        is not stored and cannot be recovered. Raises KeyRequestError."""
        team = _text(team_id, "team", 1024)
        label = _text(name, "name", _MAX_NAME)
        granted = parse_scopes(scopes)
        moment = datetime.now(timezone.utc) if now is None else now
        created = to_micros(moment, "now")
        expires = None
        if expires_at is not None:
            expires = to_micros(expires_at, "expires_at")
            if expires <= created:
                raise KeyRequestError(f"expires_at {_iso(expires_at)} is not in the future (now {_iso(moment)})")
        plaintext = PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
        key_id = "key_" + secrets.token_hex(8)
        row = (key_id, team, label, ",".join(granted), plaintext[-4:], created, expires)
        with self._db.transaction(write=True) as tx:
            tx.change(_INSERT, (_digest(plaintext), *row))
        return _row_key(row), plaintext

    def list(self, team_id: str) -> list[ApiKey]:
        """The team's keys, oldest first (expired ones too, until revoked)."""
        team = _text(team_id, "team", 1024)
        with self._db.transaction(write=False) as tx:
            return [_row_key(row) for row in tx.rows(_BY_TEAM, (team,))]

    def revoke(self, key_id: str) -> ApiKey:
        """Delete a key: the next request that presents it is refused. Raises KeyNotFound."""
        with self._db.transaction(write=True) as tx:
            rows = tx.rows(_BY_ID, (key_id,))
            if not rows:
                raise KeyNotFound(key_id)
            tx.change(_DELETE, (key_id,))
        return _row_key(rows[0])

    def authenticate(self, presented: str) -> ApiKey | None:
        """The stored key whose plaintext is `presented`, or None. Expiry is the
        caller's to check (it decides what time it is)."""
        if not presented.startswith(PREFIX) or len(presented) > _MAX_PRESENTED:
            return None
        digest = _digest(presented)
        with self._db.transaction(write=False) as tx:
            rows = tx.rows(_BY_HASH, (digest,))
        if not rows:
            return None
        stored, *row = rows[0]
        # The lookup matched on the digest already; comparing again in constant
        # time keeps the decision itself free of timing differences.
        if not hmac.compare_digest(str(stored), digest):
            return None
        return _row_key(tuple(row))


def _text(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise KeyRequestError(f"a key's {what} must be a non-empty string")
    if len(value) > limit or "\x00" in value:
        raise KeyRequestError(f"a key's {what} must have at most {limit} characters and no NUL")
    return value
