"""Portal logins (issue 18): added, checked and recorded through the ledger, on both engines.

A password must be nowhere but in its Argon2id hash: not in any table's text, not in any
record. A refused addition writes nothing. Checking an unknown name costs one Argon2
verification, as checking a known one does.
"""

from __future__ import annotations

import json

import pytest
from alembic import command
from argon2 import PasswordHasher
from netfund.ledger import (
    PORTAL_ROLES,
    SIGN_IN_OUTCOMES,
    LedgerError,
    PortalUser,
    add_user,
    check_password,
    funder_reading,
    list_users,
    record_sign_in,
    verify,
)
from netfund.ledger import accounts as accounts_module
from netfund.ledger.store import database
from netfund.ledger.store.database import reading, writing
from netfund.ledger.store.identity import current_actor
from netfund.ledger.store.records import verified_records
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

PASSWORD = "correct horse battery"
OTHER = "another long passphrase"


def _records(engine: Engine, kind: str) -> list[dict[str, object]]:
    with reading(engine) as connection:
        return [r.content for r in verified_records(connection) if r.kind == kind]


def _head(engine: Engine) -> int:
    with reading(engine) as connection:
        return int(connection.execute(text("SELECT last_seq FROM records_head")).scalar_one())


def _every_text(engine: Engine) -> str:
    """Every value of every row of every table of the ledger, as one text."""
    parts = []
    with reading(engine) as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def test_add_and_check(engine: Engine) -> None:
    assert PORTAL_ROLES == ("administrator", "controller", "funder")
    assert add_user(engine, "ann", "administrator", None, PASSWORD) == PortalUser(
        "ann", "administrator", None
    )
    assert add_user(engine, "gem.reader", "funder", "GEM", OTHER) == PortalUser(
        "gem.reader", "funder", "GEM"
    )
    assert check_password(engine, "ann", PASSWORD) == PortalUser("ann", "administrator", None)
    assert check_password(engine, "gem.reader", OTHER) == PortalUser("gem.reader", "funder", "GEM")
    assert check_password(engine, "ann", OTHER) is None
    assert check_password(engine, "ann", PASSWORD + " ") is None
    assert check_password(engine, "gem.reader", PASSWORD) is None
    assert check_password(engine, "nobody", PASSWORD) is None
    assert check_password(engine, "Ann", PASSWORD) is None  # names are not folded
    assert check_password(engine, PASSWORD, PASSWORD) is None  # not a name at all
    assert check_password(engine, "ann", "") is None
    listed = list_users(engine)
    assert [(u.name, u.role, u.funder) for u in listed] == [
        ("ann", "administrator", None),
        ("gem.reader", "funder", "GEM"),
    ]
    with reading(engine) as connection:
        actor = current_actor(connection)
    assert {u.created_by for u in listed} == {actor}
    assert all(u.created_at == u.updated_at and u.created_at.endswith("+00:00") for u in listed)


def test_the_hash_is_argon2id_and_the_password_is_nowhere_else(engine: Engine) -> None:
    add_user(engine, "ann", "administrator", None, PASSWORD)
    add_user(engine, "ann", "administrator", None, OTHER, replace=True)
    record_sign_in(engine, "ann", "signed in", "192.0.2.7")
    with reading(engine) as connection:
        stored = connection.execute(text("SELECT password_hash FROM portal_users")).scalar_one()
    assert stored.startswith("$argon2id$")
    everything = _every_text(engine)
    assert PASSWORD not in everything and OTHER not in everything
    assert everything.count(stored) == 1  # in its row only: no record holds it
    users = _records(engine, "user")
    assert [(u["name"], u["role"], u["funder"], u["change"]) for u in users] == [
        ("ann", "administrator", None, "added"),
        ("ann", "administrator", None, "password"),
    ]
    assert all(set(u) == {"name", "role", "funder", "change", "at", "by"} for u in users)
    assert "argon2" not in json.dumps(users)


def test_replace_gives_a_new_password(engine: Engine) -> None:
    add_user(engine, "carl", "controller", None, PASSWORD)
    with reading(engine) as connection:
        before = connection.execute(text("SELECT created_at FROM portal_users")).scalar_one()
    add_user(engine, "carl", "controller", None, OTHER, replace=True)
    assert check_password(engine, "carl", OTHER) == PortalUser("carl", "controller", None)
    assert check_password(engine, "carl", PASSWORD) is None
    assert list_users(engine)[0].created_at == before


@pytest.mark.parametrize(
    ("name", "role", "funder", "password", "replace", "says"),
    [
        ("ann", "administrator", None, PASSWORD, False, "exists already: --replace"),
        ("bob", "administrator", None, PASSWORD, True, "there is no portal login 'bob'"),
        ("ann", "controller", None, OTHER, True, "changes its password only"),
        ("zed", "funder", "NOPE", PASSWORD, False, "unknown funder 'NOPE'"),
        ("zed", "funder", None, PASSWORD, False, "names its funder (--funder CODE)"),
        ("zed", "controller", "GEM", PASSWORD, False, "names its funder (--funder CODE)"),
        ("zed", "approver", None, PASSWORD, False, "unknown portal role 'approver'"),
        ("zed", "controller", None, "eleven char", False, "at least 12 characters"),
        ("zed", "controller", None, "x" * 1025, False, "at most 1024 characters"),
        ("Zed", "controller", None, PASSWORD, False, "lower-case letters"),
        ("", "controller", None, PASSWORD, False, "1 to 63"),
        ("z" * 64, "controller", None, PASSWORD, False, "1 to 63"),
        ("zed bob", "controller", None, PASSWORD, False, "1 to 63"),
        ("zed'--", "controller", None, PASSWORD, False, "1 to 63"),
    ],
)
def test_refusals_write_nothing(
    engine: Engine,
    name: str,
    role: str,
    funder: str | None,
    password: str,
    replace: bool,
    says: str,
) -> None:
    add_user(engine, "ann", "administrator", None, PASSWORD)
    head = _head(engine)
    with pytest.raises(LedgerError, match=None) as refused:
        add_user(engine, name, role, funder, password, replace=replace)
    message = str(refused.value)
    assert says in message
    assert "\n" not in message and password not in message
    assert _head(engine) == head
    assert [u.name for u in list_users(engine)] == ["ann"]
    assert check_password(engine, "ann", PASSWORD) is not None


def test_twelve_characters_are_enough(engine: Engine) -> None:
    add_user(engine, "ann", "administrator", None, "twelve chars")
    assert check_password(engine, "ann", "twelve chars") is not None


def test_the_database_refuses_a_funder_without_funder(engine: Engine) -> None:
    """The CHECKs of migration 0011 hold for rows written around netfund too."""
    rows = [
        ("funder", None),
        ("controller", "GEM"),
        ("approver", None),
    ]
    for role, funder in rows:
        with pytest.raises(IntegrityError), writing(engine) as connection:
            connection.execute(
                text(
                    "INSERT INTO portal_users (name, role, funder, password_hash, created_at, "
                    "created_by, updated_at) VALUES ('x', :role, :funder, 'h', 'a', 'b', 'c')"
                ),
                {"role": role, "funder": funder},
            )


def test_unknown_names_cost_one_verification(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The time of an answer does not tell whether the name exists: each check verifies once
    against a hash made with the same parameters."""
    add_user(engine, "ann", "administrator", None, PASSWORD)
    hasher = accounts_module._hasher()
    seen: list[str] = []
    real = PasswordHasher.verify

    def counting(self: PasswordHasher, digest: str, password: str) -> bool:
        seen.append(digest)
        return real(self, digest, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    for name, password in [
        ("ann", PASSWORD),
        ("ann", OTHER),
        ("nobody", PASSWORD),
        ("Not A Name!", PASSWORD),
        ("ann", "x" * 5000),
    ]:
        seen.clear()
        check_password(engine, name, password)
        assert len(seen) == 1, (name, len(seen))
        parameters = seen[0].split("$")[1:4]
        assert parameters == hasher.hash("x").split("$")[1:4]


def test_an_old_hash_is_replaced_after_a_sign_in(engine: Engine) -> None:
    add_user(engine, "ann", "administrator", None, PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with writing(engine) as connection:
        connection.execute(text("UPDATE portal_users SET password_hash = :h"), {"h": weak})
    assert check_password(engine, "ann", PASSWORD) is not None
    with reading(engine) as connection:
        stored = connection.execute(text("SELECT password_hash FROM portal_users")).scalar_one()
    assert stored != weak and not accounts_module._hasher().check_needs_rehash(stored)
    assert check_password(engine, "ann", PASSWORD) is not None


def test_sign_ins_are_recorded_and_verify(engine: Engine) -> None:
    add_user(engine, "ann", "administrator", None, PASSWORD)
    assert SIGN_IN_OUTCOMES == ("signed in", "refused", "throttled", "signed out")
    record_sign_in(engine, "ann", "signed in", "2001:DB8::1")
    record_sign_in(engine, "ann", "signed out", "2001:db8::1")
    record_sign_in(engine, None, "refused", "198.51.100.4")
    record_sign_in(engine, PASSWORD, "refused", "198.51.100.4")  # typed into the name field
    record_sign_in(engine, "ann", "throttled", "testclient\x1b[31m")
    signs = _records(engine, "sign-in")
    assert [(s["outcome"], s["user"], s["address"]) for s in signs] == [
        ("signed in", "ann", "2001:db8::1"),
        ("signed out", "ann", "2001:db8::1"),
        ("refused", None, "198.51.100.4"),
        ("refused", None, "198.51.100.4"),
        ("throttled", "ann", "testclient[31m"),
    ]
    assert PASSWORD not in _every_text(engine)
    with pytest.raises(LedgerError, match="unknown sign-in outcome"):
        record_sign_in(engine, "ann", "hacked", "192.0.2.1")
    assert len(_records(engine, "sign-in")) == 5
    verify(engine)


def test_funder_reading_reads(engine: Engine) -> None:
    with funder_reading(engine, "GEM") as connection:
        assert connection.execute(text("SELECT count(*) FROM funders")).scalar_one() == 3


def test_downgrade_below_0011_refuses_a_ledger_with_portal_records(engine: Engine) -> None:
    add_user(engine, "ann", "administrator", None, PASSWORD)
    with pytest.raises(RuntimeError, match="migration 0011"), writing(engine) as connection:
        config = database._alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    verify(engine)


def test_downgrade_to_0010_and_back(engine: Engine) -> None:
    with writing(engine) as connection:
        config = database._alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
        assert not inspect(connection).has_table("portal_users")
    database.upgrade(engine)
    add_user(engine, "ann", "administrator", None, PASSWORD)
    record_sign_in(engine, "ann", "signed in", "192.0.2.1")
    verify(engine)
