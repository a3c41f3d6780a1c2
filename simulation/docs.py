"""Reference documentation generated from the code, so it cannot drift from it.

Two sections of the documentation site (docs/) are rendered here: the scenario-file
reference (from the pydantic schema in `simulation.scenario` and the presets in
`simulation.mechanisms`), in docs/reference/scenario-files.md, and the metrics glossary
(from `simulation.format.METRICS`), in docs/reference/metrics.md. In its page each sits
between marker comments, `<!-- BEGIN name -->` and `<!-- END name -->`; the text around
them is written by hand.

    python -m simulation.docs            # print both sections
    python -m simulation.docs --write    # rewrite them in their pages
    python -m simulation.docs --check    # exit 1 if a page is out of date

`tests/test_docs.py` fails when a page differs from what is rendered here.
"""

from __future__ import annotations

import argparse
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from simulation.format import (
    ALL_UNITS,
    CHOICE_METRICS,
    METRICS,
    NAMING_RULE,
    PLATFORM_DAILY_METRICS,
    PLATFORM_METRICS,
    RECEIVED_BY_CHANNEL,
    RECEIVED_BY_KIND,
    RECEIVED_VIA_MONITORING,
    REPLIES_BY_QUALITY,
    SCENARIO_WIDE_METRICS,
    SUPERVISION_DAILY_METRICS,
    SUPERVISION_METRICS,
    UNIT_DAILY_METRICS,
    UNIT_SERIES_COLUMNS,
    UNIT_SUMMARY_METRICS,
    split_unit,
    toml_number,
)
from simulation.mechanisms import MECHANISM_PRESETS, PRESET_CHANGES
from simulation.scenario import MechanismSettings, Scenario

DOCS = Path(__file__).resolve().parent.parent / "docs"
REGENERATE = "python -m simulation.docs --write"

# --------------------------------------------------------------------------- the schema


@dataclass
class Row:
    """One key of a scenario section."""

    key: str
    type: str
    default: str
    allowed: str
    unit: str
    description: str


@dataclass
class Section:
    """One table of a scenario file, e.g. `[population]` or `[[events]]` of one type."""

    heading: str
    intro: str
    rows: list[Row] = field(default_factory=list)


def schema_sections(model: type[BaseModel] = Scenario) -> list[Section]:
    """Every section of a scenario file, walking the schema recursively."""
    return list(_walk(model, ""))


def _walk(model: type[BaseModel], path: str) -> Iterator[Section]:
    heading = f"[{path}]" if path else "top level"
    section = Section(heading, _docstring(model))
    children: list[Iterator[Section]] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        child_path = f"{path}.{name}" if path else name
        if _is_model(annotation):
            children.append(_walk(annotation, child_path))
        elif _dict_of_models(annotation):
            children.append(_walk_table_of_models(name, info, child_path))
        elif _list_of_models(annotation):
            children.append(_walk_array_of_models(info, child_path))
        else:
            section.rows.append(_row(model, name, info))
    if section.rows:
        yield section
    for child in children:
        yield from child


def _walk_table_of_models(name: str, info: FieldInfo, path: str) -> Iterator[Section]:
    """A table of named sub-tables, e.g. `[departments.<name>]`."""
    model = _dict_of_models(info.annotation)
    assert model is not None  # _walk calls this only for a dict of models
    default = info.get_default(call_default_factory=True) or {}
    for section in _walk(model, f"{path}.<name>"):
        extra = ""
        if default and section.heading == f"[{path}.<name>]":
            names = ", ".join(f"`{key}`" for key in default)
            extra = (
                f" One table per {name[:-1] if name.endswith('s') else name}, named by the "
                f"key. Default: {names}, each with the defaults below. A `[{path}.<name>]` "
                "table adjusts that one and keeps the others. Departments are the topics: "
                "each needs a share in `population.topic_mix` (a name without one, e.g. a "
                "misspelt one, is refused), and a `topic_mix` that leaves a default out "
                "leaves that department out."
            )
        section.intro = (section.intro + extra).strip()
        yield section


def _walk_array_of_models(info: FieldInfo, path: str) -> Iterator[Section]:
    """An array of tables whose members differ by a `type` key, e.g. `[[events]]`."""
    for model in _list_of_models(info.annotation):
        for section in _walk(model, path):
            if section.heading == f"[{path}]":
                tag = model.model_fields.get("type")
                kind = f' with type = "{tag.default}"' if tag is not None else ""
                section.heading = f"[[{path}]]{kind}"
            yield section


def _row(model: type[BaseModel], name: str, info: FieldInfo) -> Row:
    description, unit = split_unit(info.description or "")
    type_text, allowed = _type_and_allowed(info.annotation, info.metadata)
    return Row(
        key=name,
        type=type_text,
        default=_default_text(model, info),
        allowed=allowed,
        unit=unit,
        description=description,
    )


def _docstring(model: type[BaseModel]) -> str:
    doc = model.__doc__ or ""
    return " ".join(doc.split())


# --------------------------------------------------------------------------- types


def _is_model(annotation: Any) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _dict_of_models(annotation: Any) -> type[BaseModel] | None:
    if typing.get_origin(annotation) is dict:
        _, value = typing.get_args(annotation)
        if _is_model(value):
            return value
    return None


def _list_of_models(annotation: Any) -> list[type[BaseModel]]:
    if typing.get_origin(annotation) is not list:
        return []
    (item,) = typing.get_args(annotation)
    members = [m for m in _union_members(_strip_annotated(item)[0]) if _is_model(m)]
    return members


def _strip_annotated(annotation: Any) -> tuple[Any, list]:
    """(the bare type, the constraints attached to it by Annotated[...])."""
    if typing.get_origin(annotation) is Annotated:
        bare, *extras = typing.get_args(annotation)
        metadata = []
        for extra in extras:
            metadata.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
        return bare, metadata
    return annotation, []


def _union_members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return list(typing.get_args(annotation))
    return [annotation]


_SCALAR_NAMES = {int: "integer", float: "number", bool: "boolean", str: "string"}


def _type_and_allowed(annotation: Any, metadata: Sequence[Any]) -> tuple[str, str]:
    """A field's type in TOML words, and its allowed values or range."""
    constraints = list(metadata)
    names: list[str] = []
    choices: list[str] = []
    for member in _union_members(annotation):
        if member is type(None):
            continue
        member, extra = _strip_annotated(member)
        constraints.extend(extra)
        origin = typing.get_origin(member)
        if origin is Literal:
            names.append("string")
            choices.extend(f'`"{value}"`' for value in typing.get_args(member))
        elif origin is list:
            (item,) = typing.get_args(member)
            item_type, item_choices = _type_and_allowed(item, ())
            names.append(f"list of {_plural(item_type)}")
            if item_choices:
                choices.append(f"{_each(item_choices)} {item_choices}")
        elif origin is dict:
            _, value = typing.get_args(member)
            if _is_model(value):  # a table of small tables, e.g. deadlines by kind
                names.append("table of tables")
                keys = " or ".join(f"`{key}`" for key in value.model_fields)
                choices.append(f"each with {keys}")
            else:
                value_type, value_choices = _type_and_allowed(value, ())
                names.append(f"table of {_plural(value_type)}")
                if value_choices:
                    choices.append(f"{_each(value_choices)} {value_choices}")
        else:
            names.append(_SCALAR_NAMES.get(member, getattr(member, "__name__", str(member))))
    unique = list(dict.fromkeys(names))
    type_text = " or ".join(unique)
    allowed = _range_text(constraints)
    if choices:
        allowed = ", ".join(choices) if not allowed else f"{', '.join(choices)}; {allowed}"
    return type_text, allowed


def _each(allowed: str) -> str:
    """The words before allowed values: 'each one of' for choices, 'each in' for a range."""
    return "each one of" if allowed.startswith("`") else "each in"


def _plural(type_text: str) -> str:
    return {"number": "numbers", "integer": "integers", "string": "strings"}.get(
        type_text, type_text
    )


def _range_text(constraints: Sequence[Any]) -> str:
    low = high = None
    low_open = high_open = False
    for c in constraints:  # annotated_types' Ge, Gt, Le, Lt, as pydantic records them
        if getattr(c, "ge", None) is not None:
            low, low_open = c.ge, False
        elif getattr(c, "gt", None) is not None:
            low, low_open = c.gt, True
        elif getattr(c, "le", None) is not None:
            high, high_open = c.le, False
        elif getattr(c, "lt", None) is not None:
            high, high_open = c.lt, True
    if low is not None and high is not None:
        return f"{'(' if low_open else '['}{toml_number(low)}, {toml_number(high)}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '≥'} {toml_number(low)}"
    if high is not None:
        return f"{'<' if high_open else '≤'} {toml_number(high)}"
    return ""


# --------------------------------------------------------------------------- defaults


def _default_text(model: type[BaseModel], info: FieldInfo) -> str:
    if info.default is PydanticUndefined and info.default_factory is None:
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "preset" if model is MechanismSettings else "not set"
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return f"`{toml_value(value)}`"


def toml_value(value: Any) -> str:
    """A value as it is written in a scenario file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return toml_number(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return str(value)


# --------------------------------------------------------------------------- rendering


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_presets() -> str:
    """The mechanism presets: which value each preset gives each setting."""
    presets = list(MECHANISM_PRESETS)
    settings = list(dict.fromkeys(k for p in MECHANISM_PRESETS.values() for k in p))
    rows = []
    for setting in settings:
        row = [f"`{setting}`"]
        previous = None
        for i, preset in enumerate(presets):
            value = MECHANISM_PRESETS[preset].get(setting)
            text = "—" if value is None else f"`{toml_value(value)}`"
            row.append(f"**{text}**" if i and value != previous else text)
            previous = value
        rows.append(row)
    intro = (
        "Values each `mechanism.preset` gives the settings a scenario leaves out (in "
        "bold: what changes from the preset to its left; each preset builds on the one "
        "before it). A preset sets process settings only: operators' inclination to "
        "reply is `staffing.reply_propensity`, a guarantee of replies is `[mandate]`."
    )
    table = _table(["setting", *(f"`{p}`" for p in presets)], rows)
    notes = "\n".join(f"- `{name}`: {_cell(text)}" for name, text in PRESET_CHANGES.items())
    return intro + "\n\n" + table + "\n\n" + notes


def render_scenario_reference() -> str:
    """Markdown reference of every section and key of a scenario file."""
    parts = [
        "Generated from `simulation/scenario/schema.py`; every key is optional and takes the "
        "default shown. Units are in the *unit* column; ranges are inclusive `[a, b]` or "
        'exclusive `(a, b)`. A file may also name `extends = "other.toml"` (a file next '
        "to it or a bundled scenario), whose values it inherits and overrides."
    ]
    header = ["key", "type", "default", "allowed", "unit", "description"]
    for section in schema_sections():
        parts.append(
            f"## `{section.heading}`" if section.heading != "top level" else "## Top level"
        )
        if section.intro:
            parts.append(section.intro)
        rows = [
            (f"`{r.key}`", r.type, r.default, r.allowed, r.unit, r.description)
            for r in section.rows
        ]
        parts.append(_table(header, rows))
        if section.heading == "[mechanism]":
            parts.append(render_presets())
    return "\n\n".join(parts)


_FAMILY_MEANING = {
    "received_consultation": "Received consultations (questions about policy or procedure).",
    "received_request": "Received service requests.",
    "received_complaint": "Received complaints.",
    "received_suggestion": "Received suggestions.",
    "received_rumour": "Rumours found by monitoring (items, but not requests: not in `received`).",
    "received_via_mention": "Received items posted as public @-mentions of the account (micro-blog).",
    "received_via_private": "Received items sent as private messages (WeChat).",
    "received_via_vent": "Public vents (posts not addressed to the government) found by monitoring.",
    "received_via_rumour": "Rumour posts found by monitoring.",
    "received_via_monitoring": "Items found by monitoring public opinion (vents and rumours).",
    "replies_substantive": "Substantive replies: an answer that settles the need.",
    "replies_partial": "Partial replies: part of an answer.",
    "replies_boilerplate": "Boilerplate replies: a stock reply that answers nothing.",
}


def metric_families() -> list[tuple[str, str, str]]:
    """Summary counts by kind, channel and reply quality: (name, unit, meaning)."""
    names = [
        *RECEIVED_BY_KIND,
        *RECEIVED_BY_CHANNEL,
        RECEIVED_VIA_MONITORING,
        *REPLIES_BY_QUALITY.values(),
    ]
    return [(name, "count", _FAMILY_MEANING.get(name, "")) for name in names]


def _code_names(text: str) -> str:
    """`text` with metric names of one unit and `[accounts.<name>]` set as code."""
    return re.sub(r"[\w<>]+@[\w<>]+|\[accounts\.<name>\]", lambda m: f"`{m.group()}`", text)


def render_metrics() -> str:
    """The glossary of summary metrics: name, unit and meaning."""
    rows = [(f"`{name}`", unit, meaning) for name, (unit, meaning) in METRICS.items()]
    families = [(f"`{name}`", unit, meaning) for name, unit, meaning in metric_families()]
    return "\n\n".join(
        [
            "Generated from `simulation/format.py` (`METRICS`). One value per run, in "
            "`summary.json` and the table `microgov run` prints.",
            _table(["metric", "unit", "meaning"], rows),
            "Breakdowns of the counts, also in the summary:",
            _table(["metric", "unit", "meaning"], families),
            "### Per account and per platform",
            f"The naming rule: {_code_names(NAMING_RULE)}. These names may be given wherever a "
            "metric is named (`--metrics` of `compare` and `sweep`, experiment files, "
            "`compare(metrics=…)`, an exploration's `[outcomes]`); a name whose account or "
            "platform is in none of the scenarios compared (or policies explored) is refused "
            "before any run, naming their accounts (did you mean …). An account's name is never a platform's, so each name is one unit.",
            "Each is computed as the overall metric over the requests that went to that "
            "account (or to that platform's accounts); `staff_hours` and "
            "`operator_utilisation` count the account's operators only (the departments "
            "are shared), `failure_demand` its operators' hours, `releases`, "
            "`rumours_clarified` and `appraisal_score` its operators' releases, "
            "clarifications and appraisal scores, `impressions` and `largest_cascade` the "
            "posts of its items and its own releases and clarifications. In the summary: "
            + ", ".join(f"`{m}`" for m in UNIT_SUMMARY_METRICS)
            + ". Of the whole scenario only, and why:",
            _table(
                ["metric", "why it has no value per account"],
                [(f"`{m}`", why) for m, why in SCENARIO_WIDE_METRICS.items()],
            ),
            "`summary.json` of such a run keeps the flat `<metric>@<unit>` keys and also "
            'nests them: `"accounts": {"weibo_city": {"response_rate": …}, …}` and '
            '`"platforms": {"wechat": {…}}`. The daily series (`daily.csv`) has the '
            "columns `<metric>@<unit>` of "
            + ", ".join(f"`{m}`" for m in UNIT_DAILY_METRICS)
            + ". The long daily table `daily_accounts.csv` (`.parquet` with "
            "`--format parquet`; `RunResult.daily_accounts`) has one row per unit and day: "
            "the provenance columns, `day`, `account`, `platform`, then "
            + ", ".join(f"`{m}`" for m in UNIT_SERIES_COLUMNS)
            + f". Rows with account and platform `{ALL_UNITS}` are the whole run's (as in "
            f"`daily.csv`), an account's rows name it and its platform, a platform's rows "
            f"have account `{ALL_UNITS}`. Summed over the accounts, the counts of a day "
            "are the whole run's, except impressions and cascades, which also count posts "
            "of no account (vents never received, replies). The item table has `account` "
            "and `platform` columns. A scenario that declares no accounts writes neither "
            "the long table nor per-account keys: its outputs are as they always were.",
            "What the platforms' own rules did (`simulation/platform_rules.py`), in runs "
            "of a scenario that declares accounts, overall and per account and platform "
            "(`hang_up_share@hotline`); the call metrics are missing where no calls came. "
            "Those with a daily meaning are also daily columns, overall and "
            "`<metric>@<unit>` in `daily.csv` and in each row of `daily_accounts.csv` ("
            + ", ".join(f"`{m}`" for m in PLATFORM_DAILY_METRICS)
            + "): each over that day's contacts or calls, the wait over the calls whose "
            "wait ended that day. `response_rate_with_auto_replies` and `expired_share` "
            "are shares of the requests of the whole run: summary only.",
            _table(
                ["metric", "unit", "meaning"],
                [
                    (f"`{name}`", unit, meaning)
                    for name, (unit, meaning) in PLATFORM_METRICS.items()
                ],
            ),
            "Where citizens turn among several accounts (`simulation/agents/channel_choice.py`): "
            "a need and its contacts on every account, linked by the need's id (the item "
            "table's `need`). In runs of a scenario that declares accounts, overall and per "
            "account and platform; a need counts for the account of its first contact, a "
            "request for its own:",
            _table(
                ["metric", "unit", "meaning"],
                [(f"`{name}`", unit, meaning) for name, (unit, meaning) in CHOICE_METRICS.items()],
            ),
            "Per supervised account, in runs of a scenario where an account names a "
            "`supervisor` (`simulation/supervision.py`), in the summary as "
            "`<metric>@<account>` for the supervised accounts only (in the daily series: "
            + ", ".join(f"`{m}`" for m in SUPERVISION_DAILY_METRICS)
            + ", each day's count and the pressure at the day's end):",
            _table(
                ["metric", "unit", "meaning"],
                [
                    (f"`{name}`", unit, meaning)
                    for name, (unit, meaning) in SUPERVISION_METRICS.items()
                ],
            ),
        ]
    )


SECTIONS: dict[str, Callable[[], str]] = {
    "scenario-reference": render_scenario_reference,
    "metrics": render_metrics,
}

# Where each section stands, relative to the documentation folder.
PAGES: dict[str, str] = {
    "scenario-reference": "reference/scenario-files.md",
    "metrics": "reference/metrics.md",
}

# --------------------------------------------------------------------------- the pages


def markers(name: str) -> tuple[str, str]:
    """The BEGIN and END marker comments around a generated section in its page."""
    return f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"


def extract_section(text: str, name: str) -> str | None:
    """What stands between a section's markers (without surrounding blank lines)."""
    begin, end = markers(name)
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        return None
    return text[start + len(begin) : stop].strip("\n")


def replace_section(text: str, name: str, body: str) -> str:
    """The text with what stands between a section's markers replaced by `body`.

    Raises ValueError if the markers are missing or out of order.
    """
    begin, end = markers(name)
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"markers {begin} … {end} not found (in that order)")
    return text[: start + len(begin)] + "\n" + body + "\n" + text[stop:]


def outdated_sections(text: str, names: Sequence[str] | None = None) -> list[str]:
    """Names of the generated sections (of `names`, default all) that differ from the code."""
    names = list(SECTIONS) if names is None else names
    return [name for name in names if extract_section(text, name) != SECTIONS[name]()]


def update_file(path: Path, names: Sequence[str] | None = None) -> list[str]:
    """Rewrite generated sections (default all) of one file; returns those that changed."""
    text = path.read_text(encoding="utf-8")
    changed = outdated_sections(text, names)
    for name in changed:
        text = replace_section(text, name, SECTIONS[name]())
    if changed:
        path.write_text(text, encoding="utf-8")
    return changed


def section_pages(docs: Path = DOCS) -> dict[Path, list[str]]:
    """Each page of the documentation folder `docs` and the generated sections it holds."""
    pages: dict[Path, list[str]] = {}
    for name, page in PAGES.items():
        pages.setdefault(docs / page, []).append(name)
    return pages


def update_docs(docs: Path = DOCS) -> list[str]:
    """Rewrite every generated section in its page; returns those that changed."""
    return [
        name for path, names in section_pages(docs).items() for name in update_file(path, names)
    ]


def outdated_docs(docs: Path = DOCS) -> list[str]:
    """The generated sections whose page is out of date with the code."""
    return [
        name
        for path, names in section_pages(docs).items()
        for name in outdated_sections(path.read_text(encoding="utf-8"), names)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the generated sections, or with `--write`/`--check` rewrite or check their pages.

    Returns the exit code: 1 when `--check` finds a page out of date, else 0.
    """
    parser = argparse.ArgumentParser(
        prog="python -m simulation.docs",
        description="Print the documentation's generated sections (scenario reference, "
        "metrics), or rewrite them in their pages between their marker comments.",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="rewrite the sections in their pages")
    action.add_argument("--check", action="store_true", help="exit 1 if a page is out of date")
    parser.add_argument(
        "--docs", type=Path, default=DOCS, help="the documentation folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if args.write:
        changed = update_docs(args.docs)
        print(f"updated {', '.join(changed)} in {args.docs}" if changed else "up to date")
        return 0
    if args.check:
        stale = outdated_docs(args.docs)
        if stale:
            print(f"{args.docs}: out of date: {', '.join(stale)}; run `{REGENERATE}`")
            return 1
        print(f"{args.docs}: up to date")
        return 0
    for name, render in SECTIONS.items():
        begin, end = markers(name)
        print(f"{begin}\n{render()}\n{end}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
