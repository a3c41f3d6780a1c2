"""Dotted overrides: `staffing.operators=6` read from the command line and set in a raw scenario.

An override names one field by its dotted path and gives its value in TOML (`6`, `0.5`,
`true`, `"text"`, `[1, 2]`; bare text is a string). `load_scenario` applies overrides
to the file's content before validation, `Scenario.with_overrides` to a scenario's
own; both use these functions, which know nothing of the schema (validation says
whether a path exists).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from simulation.inputs import MAX_NESTING, check_nesting
from simulation.scenario.errors import ScenarioError

SOURCE = "--set"  # what a bad override is blamed on


def parse_overrides(overrides: Mapping[str, Any] | Sequence[str]) -> list[tuple[str, Any]]:
    """`{"a.b": 1}` as it is, or `["a.b=1", …]` parsed: a list of (dotted key, value)."""
    if isinstance(overrides, Mapping):
        return list(overrides.items())
    items = []
    for text in overrides:
        key, _, value_text = text.partition("=")
        if "=" not in text or not key.strip():
            raise ScenarioError(SOURCE, text, "expected key=value, e.g. staffing.operators=6")
        value = parse_value(value_text.strip())
        check_nesting(value, SOURCE, key.strip())
        items.append((key.strip(), value))
    return items


def parse_value(text: str) -> Any:
    """A TOML value (`6`, `true`, `[1,2]`, `"x"`), or the bare text as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):  # too deep to be a value: text
        return text


def set_dotted(raw: dict, key: str, value: Any, source: str = SOURCE) -> None:
    """Set `raw[a][b][c] = value` for the key `a.b.c`, creating missing sections."""
    parts = key.split(".")
    if len(parts) > MAX_NESTING:
        raise ScenarioError(
            source, key[:80], f"more than {MAX_NESTING} parts; no field is that deep"
        )
    node = raw
    for depth, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ScenarioError(source, ".".join(parts[: depth + 1]), "is not a section")
        node = child
    node[parts[-1]] = value
