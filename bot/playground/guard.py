"""The playground writes its samples only into a database it created for itself, and listens on loopback.

A database holding any row without the playground's mark (storage/marks.py) is someone's real directory:
the playground refuses it, before migrating or writing anything.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.features.directory.importer import import_file
from bot.settings import PROJECT_ROOT
from storage.db import Database
from storage.marks import PLAYGROUND, DatabaseMarks

SAMPLES = PROJECT_ROOT / "bot" / "samples"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class PlaygroundRefused(Exception):
    """One line for the operator: why the playground will not start here."""


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def claim_database(url: str) -> None:
    """Check the database is empty or the playground's own, migrate it, mark it and import the samples
    (upserted by id, so a restart changes nothing new). Raises PlaygroundRefused with one line."""
    db = Database(url)
    try:
        try:
            async with db.engine.connect() as conn:
                marks = DatabaseMarks(conn)
                busy = None if await marks.has(PLAYGROUND) else await marks.first_table_with_rows()
        except (OSError, TimeoutError, DBAPIError) as exc:
            first = (str(getattr(exc, "orig", None) or exc).splitlines() or [""])[0]
            raise PlaygroundRefused(f"cannot use the database {shown(url)}: {first}") from None
        if busy is not None:
            raise PlaygroundRefused(
                f"the playground will not write its samples into {shown(url)}: it holds data the "
                f"playground did not create (table {busy}); unset DATABASE_URL to use its own file, "
                "gtm-bot-playground.db, or point DATABASE_URL at an empty database"
            )
        await db.upgrade()
        async with db.engine.begin() as conn:
            await DatabaseMarks(conn).add(PLAYGROUND, datetime.now(UTC))
        for kind, name in (
            ("org", "org.yaml"),
            ("accounts", "accounts.csv"),
            ("opportunities", "opportunities.csv"),
        ):
            await import_file(db, kind, SAMPLES / name)
    finally:
        await db.dispose()
