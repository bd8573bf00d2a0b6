"""Environment -> a frozen Settings. A missing secret is a one-line error, not a traceback."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///gtm-bot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
SUPPORTED_DATABASES = ("sqlite+aiosqlite", "postgresql+asyncpg")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(Exception):
    """A configuration problem a person can fix; the message names the variable."""


def database_url_from(env: Mapping[str, str], default: str = DEFAULT_DATABASE_URL) -> str:
    """DATABASE_URL, or the default; an unsupported driver is a one-line error. The one place it is read
    (the CLI's database commands use it without Settings, which demands the Slack secrets)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = env.get("DATABASE_URL", "").strip() or default
    try:
        driver = make_url(url).drivername
    except ArgumentError:
        raise SettingsError(
            "DATABASE_URL is not a database URL; use sqlite+aiosqlite:///gtm-bot.db "
            "or postgresql+asyncpg://user@host/db"
        ) from None
    if driver not in SUPPORTED_DATABASES:
        raise SettingsError(
            f"DATABASE_URL uses {driver}://, which gtm-bot does not support; "
            "use sqlite+aiosqlite:///gtm-bot.db or postgresql+asyncpg://user@host/db"
        )
    return url


DEFAULT_SALESFORCE_LOGIN_URL = "https://login.salesforce.com"


@dataclass(frozen=True, slots=True)
class SalesforceSettings:
    """Salesforce sign-in and sync settings; present only when SALESFORCE_CLIENT_ID is set."""

    login_url: str
    client_id: str
    username: str | None
    private_key_file: Path | None
    client_secret: str | None
    api_version: str = "v61.0"
    sync_minutes: int = 5
    mapping_path: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SalesforceSettings | None:
        def get(name: str) -> str:
            return env.get(name, "").strip()

        client_id = get("SALESFORCE_CLIENT_ID")
        if not client_id:
            others = [n for n in ("SALESFORCE_USERNAME", "SALESFORCE_CLIENT_SECRET") if get(n)]
            if others:
                raise SettingsError(f"{others[0]} is set but SALESFORCE_CLIENT_ID is not")
            return None
        username, key, secret = (
            get("SALESFORCE_USERNAME"),
            get("SALESFORCE_PRIVATE_KEY_FILE"),
            get("SALESFORCE_CLIENT_SECRET"),
        )
        if bool(username) != bool(key):
            missing = "SALESFORCE_PRIVATE_KEY_FILE" if username else "SALESFORCE_USERNAME"
            raise SettingsError(f"{missing} is not set; the JWT bearer flow needs both it and the other")
        if not username and not secret:
            raise SettingsError(
                "set SALESFORCE_USERNAME + SALESFORCE_PRIVATE_KEY_FILE (JWT bearer) "
                "or SALESFORCE_CLIENT_SECRET (client credentials)"
            )
        if key and not Path(key).is_file():
            raise SettingsError(f"SALESFORCE_PRIVATE_KEY_FILE {key} is not a readable file")
        version = get("SALESFORCE_API_VERSION") or "v61.0"
        if not re.fullmatch(r"v\d+\.\d", version):
            raise SettingsError(f"SALESFORCE_API_VERSION must look like v61.0, got {version!r}")
        minutes = get("SALESFORCE_SYNC_MINUTES") or "5"
        if not minutes.isdigit() or int(minutes) < 1:
            raise SettingsError(f"SALESFORCE_SYNC_MINUTES must be a whole number of minutes, got {minutes!r}")
        mapping = get("SALESFORCE_MAPPING")
        if mapping and not Path(mapping).is_file():
            raise SettingsError(f"SALESFORCE_MAPPING {mapping} is not a readable file")
        return cls(
            login_url=(get("SALESFORCE_LOGIN_URL") or DEFAULT_SALESFORCE_LOGIN_URL).rstrip("/"),
            client_id=client_id,
            username=username or None,
            private_key_file=Path(key) if key else None,
            client_secret=None if username else secret,
            api_version=version,
            sync_minutes=int(minutes),
            mapping_path=Path(mapping) if mapping else None,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    signing_secret: str
    bot_token: str
    app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    handbook_path: Path | None = None
    templates_dir: Path | None = None  # None: the installed `templates` package
    holiday_country: str = "US"
    holiday_subdivision: str | None = None
    fiscal_year_start_month: int = 2
    outbox_poll_seconds: float = 5.0
    scheduler_poll_seconds: float = 30.0
    salesforce: SalesforceSettings | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, need_app_token: bool = False) -> Settings:
        env = os.environ if env is None else env
        required = ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"] + (
            ["SLACK_APP_TOKEN"] if need_app_token else []
        )
        for name in required:
            if not env.get(name, "").strip():
                raise SettingsError(f"{name} is not set; see README.md, 'Configuration'")
        api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
        month = env.get("GTM_FISCAL_YEAR_START_MONTH", "2").strip()
        if not month.isdigit() or not 1 <= int(month) <= 12:
            raise SettingsError(f"GTM_FISCAL_YEAR_START_MONTH must be 1-12, got {month!r}")
        handbook = env.get("GTM_HANDBOOK_PATH", "").strip()
        return cls(
            signing_secret=env["SLACK_SIGNING_SECRET"].strip(),
            bot_token=env["SLACK_BOT_TOKEN"].strip(),
            app_token=env.get("SLACK_APP_TOKEN", "").strip() or None,
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            database_url=database_url_from(env),
            handbook_path=Path(handbook) if handbook else None,
            holiday_country=env.get("GTM_HOLIDAY_COUNTRY", "US").strip() or "US",
            holiday_subdivision=env.get("GTM_HOLIDAY_SUBDIVISION", "").strip() or None,
            fiscal_year_start_month=int(month),
            salesforce=SalesforceSettings.from_env(env),
        )
