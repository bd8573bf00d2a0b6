"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.db import Database, alembic_config
from storage.models import Base


async def test_the_migrated_schema_matches_the_models(migrated: str) -> None:
    db = Database(migrated)
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await db.dispose()
    assert diff == []


def test_the_migrations_form_one_line() -> None:
    heads = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://")).get_heads()
    assert len(heads) == 1, f"several Alembic heads: {heads}"


def test_0603_folds_the_typed_text_of_glossary_misses_into_one_count(tmp_path) -> None:
    import sqlite3

    from storage.db import upgrade

    path = tmp_path / "old.db"
    upgrade(f"sqlite+aiosqlite:///{path}", "0601")
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO glossary_stats (query, found, count, last_at) VALUES (?, ?, ?, ?)",
            [
                ("stark federal systems", False, 3, "2026-11-01 10:00:00"),
                ("globex renewal", False, 2, "2026-11-02 10:00:00"),
                ("sao", True, 7, "2026-11-03 10:00:00"),
            ],
        )
    upgrade(f"sqlite+aiosqlite:///{path}", "head")
    with sqlite3.connect(path) as conn:
        rows = sorted(conn.execute("SELECT query, found, count, last_at FROM glossary_stats"))
    assert rows == [
        ("(no entry found)", 0, 5, "2026-11-02 10:00:00.000000"),
        ("sao", 1, 7, "2026-11-03 10:00:00"),
    ]


def test_0607_puts_the_cards_already_waiting_in_their_own_lane(tmp_path) -> None:
    """Rows queued before the upgrade (a card's update, the requester's copy, a DM) are claimed in the right
    lane after it."""
    import sqlite3

    from storage.db import upgrade

    path = tmp_path / "old.db"
    upgrade(f"sqlite+aiosqlite:///{path}", "0606")
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO outbox (dedupe_key, method, payload, ref_key, status, attempts, next_attempt_at,"
            " created_at) VALUES (?, ?, '{}', ?, 'pending', 0, '2026-11-01 10:00:00', '2026-11-01 10:00:00')",
            [
                ("a", "chat.update", "card:7:U0AE2"),
                ("b", "chat.update", "requested:7"),
                ("c", "chat.postMessage", None),
                ("d", "home.refresh", "home:U0AE1"),
                ("e", "chat.postMessage", "cardinal:1"),  # a name that only starts like one
            ],
        )
    upgrade(f"sqlite+aiosqlite:///{path}", "head")
    with sqlite3.connect(path) as conn:
        lanes = dict(conn.execute("SELECT dedupe_key, card FROM outbox"))
    assert lanes == {"a": 1, "b": 1, "c": 0, "d": 0, "e": 0}
