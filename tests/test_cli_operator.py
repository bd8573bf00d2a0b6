"""What an operator sees from the real `gtm-bot` command: one line and exit 2 for each mistake, a "listening"
line once the port is bound, and no log line for the playground's polling at INFO."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

GTM_BOT = str(Path(sys.executable).with_name("gtm-bot"))
TOKENS = {"SLACK_SIGNING_SECRET": "s3cret-signing", "SLACK_BOT_TOKEN": "xoxb-operator-test"}


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "LOG_"))}
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'op.db'}", **base, **extra}


def run(args: list[str], environ: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GTM_BOT, *args], env=environ, cwd=cwd, capture_output=True, text=True, timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


@pytest.mark.parametrize("slack_mode", [True, False], ids=["slack", "playground"])
def test_a_port_in_use_is_one_line_and_nothing_claims_to_listen(tmp_path: Path, slack_mode: bool) -> None:
    environ = env(tmp_path, **(TOKENS if slack_mode else {}))
    with taken_port() as port:
        result = run(["serve", "--host", "127.0.0.1", "--port", str(port)], environ, tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"gtm-bot: error: port {port} on 127.0.0.1 is already in use (another gtm-bot?); "
        "stop it or pass --port"
    ]
    assert "open http" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("url", "line"),
    [
        ("mysql://u@localhost/gtm", "DATABASE_URL uses mysql://, which gtm-bot does not support; "),
        ("postgresql://u@localhost/gtm", "DATABASE_URL uses postgresql://, which gtm-bot does not support; "),
        ("not a url", "DATABASE_URL is not a database URL; "),
    ],
)
@pytest.mark.parametrize("command", [["db", "upgrade"], ["serve"]])
def test_an_unsupported_database_url_is_one_line(
    tmp_path: Path, url: str, line: str, command: list[str]
) -> None:
    result = run(command, env(tmp_path, DATABASE_URL=url, **TOKENS), tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("gtm-bot: error: " + line)
    assert "postgresql+asyncpg://user@host/db" in result.stderr


@pytest.mark.parametrize("command", [["db", "upgrade"], ["serve"], ["import", "org", "org.yaml"]])
def test_a_database_that_does_not_answer_is_one_line(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "org.yaml").write_text("people: []\n")
    port = free_port()  # nothing listens there
    url = f"postgresql+asyncpg://postgres:pw@127.0.0.1:{port}/gtm"
    result = run(command, env(tmp_path, DATABASE_URL=url, **TOKENS), tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"gtm-bot: error: cannot reach the database at 127.0.0.1:{port}/gtm (")
    assert result.stderr.rstrip().endswith("is it running, and is DATABASE_URL right?")
    assert "pw" not in result.stderr  # never the password


def test_several_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    result = run(["serve", "--workers", "2"], env(tmp_path, **TOKENS), tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "gtm-bot: error: --workers needs PostgreSQL (SQLite has one writer); "
        "set DATABASE_URL=postgresql+asyncpg://... or serve with one worker"
    ]


def test_serve_help_explains_port_and_workers(tmp_path: Path) -> None:
    result = run(["serve", "--help"], env(tmp_path), tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "the TCP port to listen on (default 3000)" in text
    assert "more than one needs PostgreSQL" in text


def get_json(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.load(response)


def wait_until_up(url: str, process: subprocess.Popen[str]) -> dict:  # type: ignore[type-arg]
    for _ in range(120):
        assert process.poll() is None, process.communicate()[1]
        try:
            return get_json(url)
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"nothing answered at {url}")


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    _out, err = process.communicate(timeout=30)
    return err


def test_slack_mode_says_where_it_listens_without_bolts_token_warning(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [GTM_BOT, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env(tmp_path, **TOKENS),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
    finally:
        err = stop(process)
    assert health == {"ok": True, "database": "up", "templates": "ok"}
    assert f"gtm-bot listening on http://127.0.0.1:{port}: Slack posts to /slack/events" in err
    assert "will be unused" not in err
    assert "Traceback" not in err


def test_the_playground_polling_is_not_logged_at_info(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [GTM_BOT, "serve", "--port", str(port)],
        env=env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/playground/api/state", process)
        for _ in range(5):
            get_json(f"http://127.0.0.1:{port}/playground/api/state")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
            assert page.status == 200
    finally:
        err = stop(process)
    assert f"open http://127.0.0.1:{port}/" in err
    assert "/playground/api/state" not in err
    assert '"GET / " 200' in err or '"GET /" 200' in err  # other requests are still logged


def test_serve_freezes_its_start_up_heap_and_collects_young_objects_less_often() -> None:
    """What `gtm-bot serve` does once started (in a process of its own: frozen objects stay frozen)."""
    code = (
        "import gc; from bot.serving import freeze_startup_heap; frozen = freeze_startup_heap(); "
        "print(frozen, *gc.get_threshold(), gc.get_freeze_count() == frozen)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    frozen, young, middle, old, all_frozen = out.split()
    assert int(frozen) > 10_000  # what importing the bot built
    assert (int(young), int(middle), int(old)) == (10_000, 10, 10)  # Python's own: 700, 10, 10
    assert all_frozen == "True"
