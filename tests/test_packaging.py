"""The wheel carries every file the installed app reads (a wheel without templates/ answered every command
with HTTP 500). .ci/run also installs it in a fresh venv and drives it (.ci/wheel_smoke.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from bot.settings import PROJECT_ROOT

DATA = [
    "templates/**/*.j2",
    "bot/handbook/data/*",
    "bot/samples/*",
    "bot/playground/static/*",
    "bot/crm/*.yaml",
    "storage/migrations/**/*.py",
    "storage/migrations/*.mako",
]


def test_the_wheel_ships_templates_handbook_samples_static_files_and_migrations(tmp_path: Path) -> None:
    # Built from a clean copy: setuptools reuses a checkout's build/ folder, which may hold stale files.
    source = tmp_path / "src"
    for folder in ("bot", "handlers", "storage", "templates"):
        shutil.copytree(PROJECT_ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT_ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(tmp_path)],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("gtm_bot-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    needed = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for pattern in DATA
        for path in PROJECT_ROOT.glob(pattern)
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert len([n for n in needed if n.startswith("templates/")]) > 50
    assert needed - shipped == set()
    assert "templates/__init__.py" in shipped
    assert not any(name.startswith("tests/") for name in shipped)
    entry_points = next(n for n in shipped if n.endswith(".dist-info/entry_points.txt"))
    assert "gtm-bot = bot.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
