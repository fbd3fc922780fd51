"""API keys: stored hashed, pinned to a team, scoped; and `celprice keys`."""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from celprice.usage import Ledger
from celprice.usage.keys import (
    KeyNotFound,
    KeyRequestError,
    KeyStore,
    grants,
    parse_scopes,
)

from .conftest import NOW, celprice


def test_a_key_is_inf_and_at_least_128_random_bits(keys: KeyStore) -> None:
    made = {keys.create("team-a", f"k{i}")[1] for i in range(20)}
    assert len(made) == 20
    for key in made:
        assert re.fullmatch(r"inf_[A-Za-z0-9_-]{43}", key), key  # 43 base64url characters: 256 bits


def test_only_a_digest_of_the_key_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with Ledger(f"sqlite:///{path}") as ledger:
        record, key = KeyStore(ledger).create("team-a", "ci", ["billing:read"])
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT * FROM celprice_api_keys").fetchall()
    assert len(rows) == 1
    stored = json.dumps(rows)
    assert key not in stored and key[4:] not in stored and key[4:-4] not in stored
    assert record.last_four == key[-4:]


def test_a_key_authenticates_and_names_its_team_and_scopes(keys: KeyStore) -> None:
    record, key = keys.create("team-a", "ci", ["billing:read", "apps:read"])
    found = keys.authenticate(key)
    assert found == record
    assert (found.team_id, found.scopes) == ("team-a", ("billing:read", "apps:read"))
    assert keys.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert keys.authenticate("inf_") is None
    assert keys.authenticate(key + "x") is None


def test_listing_masks_keys_to_their_last_four_characters(keys: KeyStore) -> None:
    first, key = keys.create("team-a", "ci", ["billing:read"], now=NOW)
    keys.create("team-b", "theirs", now=NOW)
    (listed,) = keys.list("team-a")
    assert listed == first
    assert listed.to_json() == {
        "id": first.id,
        "name": "ci",
        "key": "inf_****" + key[-4:],
        "team_id": "team-a",
        "scopes": ["billing:read"],
        "created_at": "2026-06-04T12:00:00Z",
        "expires_at": None,
    }


def test_revoking_deletes_the_key(keys: KeyStore) -> None:
    record, key = keys.create("team-a", "ci")
    assert keys.revoke(record.id) == record
    assert keys.authenticate(key) is None
    assert keys.list("team-a") == []
    with pytest.raises(KeyNotFound, match="no API key 'key_nope'"):
        keys.revoke("key_nope")


def test_an_expiry_must_be_in_the_future(keys: KeyStore) -> None:
    with pytest.raises(KeyRequestError, match=r"expires_at 2026-06-04T12:00:00Z is not in the future"):
        keys.create("team-a", "ci", expires_at=NOW, now=NOW)
    record, _ = keys.create("team-a", "ci", expires_at=NOW + timedelta(seconds=1), now=NOW)
    assert not record.expired(NOW) and record.expired(NOW + timedelta(seconds=1))


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        (["biling:read"], "unknown scope resource 'biling' in 'biling:read' (did you mean 'billing'?)"),
        (["billing:raed"], "unknown scope action 'raed' in 'billing:raed' (did you mean 'read'?)"),
        (["Billing:Read"], "scope 'Billing:Read' is not resource or resource:action (billing:read)"),
        ([""], "scope '' is empty"),
    ],
)
def test_unknown_scopes_are_refused_with_the_nearest_known_one(scopes: list[str], message: str) -> None:
    with pytest.raises(KeyRequestError, match=re.escape(message)):
        parse_scopes(scopes)


@pytest.mark.parametrize(
    ("held", "required", "granted"),
    [
        ([], "billing:read", True),
        (["*"], "apps:read", True),
        (["billing:read"], "billing:read", True),
        (["billing"], "billing:read", True),
        (["billing"], "billing:write", True),
        (["billing:write"], "billing:read", False),
        (["apps"], "billing:read", False),
        (["apps:read"], "apps:write", False),
    ],
)
def test_scope_hierarchy(held: list[str], required: str, granted: bool) -> None:
    assert grants(held, required) is granted


# --- the command line --------------------------------------------------------------


def test_keys_create_prints_the_key_alone_and_list_shows_it_masked(tmp_path: Path) -> None:
    made = celprice("keys", "create", "--team", "t", "--name", "k", "--scopes", "billing:read", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert made.stdout == key + "\n" and key.startswith("inf_") and made.stderr == ""
    assert (tmp_path / "celprice.db").exists()  # the default --db, in the working directory

    listed = celprice("keys", "list", "--team", "t", "--json", cwd=tmp_path)
    assert listed.returncode == 0
    (entry,) = json.loads(listed.stdout)
    assert entry["key"] == "inf_****" + key[-4:] and entry["scopes"] == ["billing:read"]
    assert key not in listed.stdout
    table = celprice("keys", "list", "--team", "t", cwd=tmp_path)
    assert table.stdout.splitlines()[0].split() == ["ID", "NAME", "KEY", "SCOPES", "EXPIRES"]
    assert table.stdout.splitlines()[1].split() == [entry["id"], "k", entry["key"], "billing:read", "never"]

    revoked = celprice("keys", "revoke", entry["id"], cwd=tmp_path)
    assert revoked.returncode == 0 and revoked.stdout == f"revoked {entry['id']} (k, team t)\n"
    again = celprice("keys", "revoke", entry["id"], cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr == f"celprice keys revoke: no API key '{entry['id']}'\n" and again.stdout == ""


def test_keys_create_json(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    made = celprice(
        "keys", "create", "--db", db, "--team", "t", "--name", "nightly", "--scopes", "apps:read, billing",
        "--expires", "2099-01-01T00:00:00Z", "--json",
    )
    assert made.returncode == 0, made.stderr
    record = json.loads(made.stdout)
    assert set(record) >= {"id", "key", "name", "team_id", "scopes", "expires_at"}
    assert (record["name"], record["team_id"], record["scopes"], record["expires_at"]) == (
        "nightly", "t", ["apps:read", "billing"], "2099-01-01T00:00:00Z",
    )
    with Ledger(db) as ledger:
        assert KeyStore(ledger).authenticate(record["key"]) is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--expires", "2020-01-01T00:00:00Z"], "celprice keys: expires_at 2020-01-01T00:00:00Z is not in the future"),
        (["--expires", "tomorrow"], "celprice keys: --expires 'tomorrow' is not an ISO 8601 time"),
        (["--expires", "2099-01-01T00:00:00"], "celprice keys: --expires '2099-01-01T00:00:00' has no timezone"),
        (["--scopes", "biling:read"], "celprice keys: unknown scope resource 'biling'"),
    ],
)
def test_keys_create_refuses_bad_input_with_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    made = celprice("keys", "create", "--team", "t", "--name", "k", *args, cwd=tmp_path)
    assert made.returncode == 2
    assert made.stdout == "" and made.stderr.startswith(message), made.stderr
    listed = celprice("keys", "list", "--team", "t", "--json", cwd=tmp_path)
    assert json.loads(listed.stdout) == []


def test_keys_without_an_action_is_a_usage_error(tmp_path: Path) -> None:
    result = celprice("keys", cwd=tmp_path)
    assert result.returncode == 2 and "ACTION" in result.stderr
    missing = celprice("keys", "create", "--name", "k", cwd=tmp_path)
    assert missing.returncode == 2 and "--team" in missing.stderr


@pytest.fixture(params=["sqlite-file", "postgresql"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite-file":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_database")
    return url


def test_a_version_2_ledger_gains_the_key_table_when_opened(shared_db: str) -> None:
    from celprice.usage.backends import open_backend
    from celprice.usage.migrations import LATEST, STEPS, VERSION_TABLE, upgrade

    def version() -> int:
        db = open_backend(shared_db)
        try:
            with db.transaction(write=False) as tx:
                return int(tx.rows(f"SELECT version FROM {VERSION_TABLE}", ())[0][0])
        finally:
            db.close()

    db = open_backend(shared_db)
    try:
        upgrade(db, STEPS[:2])  # the ledger a celprice without API keys made
    finally:
        db.close()
    assert version() == 2
    with Ledger(shared_db) as ledger:  # opening it upgrades it (the key table is version 3; later ones follow)
        assert version() == LATEST
        record, key = KeyStore(ledger).create("team-a", "ci", ["billing:read"])
    with Ledger(shared_db) as reopened:
        assert KeyStore(reopened).authenticate(key) == record
