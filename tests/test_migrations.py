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
