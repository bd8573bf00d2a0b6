"""Sample contexts for every template, one module per feature (each defines SAMPLES).

tests/test_templates.py renders every template with each of its samples and fails for a template
without one. Samples carry hostile user text on purpose: it must come out escaped.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

HOSTILE = "<!channel> <@U123> <http://evil.example|click> & @here"

SAMPLES: dict[str, list[dict[str, Any]]] = {}
for _info in pkgutil.iter_modules(__path__):
    SAMPLES.update(importlib.import_module(f"{__name__}.{_info.name}").SAMPLES)
