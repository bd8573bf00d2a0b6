"""Load the handbook's facts from the YAML files in bot/handbook/data."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

HANDBOOK_URL = "https://about.gitlab.com/handbook/sales/field-operations/gtm-resources/"


@cache
def load(name: str) -> Any:
    """Parse `data/<name>.yaml` once per process; a handbook change is a data change."""
    text = resources.files("bot.handbook").joinpath("data", f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def section_url(anchor: str) -> str:
    """Link to a handbook section by its anchor (e.g. `segmentation`)."""
    return f"{HANDBOOK_URL}#{anchor}"


def process(name: str) -> dict[str, Any]:
    """One process's facts from data/processes.yaml (escalation, holdover, reviews, sponsorship...)."""
    return load("processes")[name]


def process_section(key: str) -> str:
    """The handbook section (anchor) data/processes.yaml names for `key`."""
    return str(load("processes")["sections"][key])
