"""Every numeric setting of the scenario schema, found by walking the pydantic models.

The limits and fuzz tests take their fields from here, so a field added to the schema
is tested at its bounds without anyone listing it. A `NumericField` is one number a
scenario file can hold: a plain field (`staffing.handling_minutes`), an element of a
list (`population.daily_rhythm[0]`) or a value of a table (`population.kind_mix.
consultation`), in a section, a department, a deadline or an event.
"""

from __future__ import annotations

import functools
import math
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import tomli_w
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from simulation.scenario import Scenario, load_scenario
from simulation.scenario.schema import AccountSettings, BurstEvent, KindDeadline, RumourEvent

# The tiny world every case runs in: every remedy on (referral, joint handling,
# monitoring, clarifications, appraisal), a rumour and a burst, 200 citizens, 2 days.
TINY_CITIZENS = 200
TINY_DAYS = 2
RUMOUR_INDEX, BURST_INDEX = 0, 1
ACCOUNT = "weibo_city"  # the account a field of `[accounts.<name>]` is set in


def tiny_raw() -> dict[str, Any]:
    """The tiny base scenario as a raw dict (what a TOML file holds); a fresh copy."""
    return _copy(_tiny_raw())


@functools.cache
def _tiny_raw() -> dict[str, Any]:
    raw = load_scenario("all_remedies").to_dict()
    raw["name"] = "tiny"
    raw["population"]["citizens"] = TINY_CITIZENS
    raw["run"]["days"] = TINY_DAYS
    raw["events"] = [
        {"type": "rumour", "topic": "pensions", "day": 0.5, "posts": 2},
        {
            "type": "burst",
            "topic": "employment",
            "start_day": 0.25,
            "duration_days": 1.0,
            "multiplier": 3.0,
        },
    ]
    return raw


def write_scenario(raw: dict[str, Any], folder: Path, name: str = "case.toml") -> Path:
    """Write a raw scenario as a TOML file and return its path."""
    path = folder / name
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


@dataclass(frozen=True)
class NumericField:
    """One number of a scenario: where it is, its type and its bounds."""

    path: tuple[str | int, ...]  # keys and list indexes into the raw dict
    kind: type  # int or float
    low: float | None
    low_open: bool
    high: float | None
    high_open: bool
    container: str = ""  # "list" or "table" for an element, "" for a field

    @property
    def dotted(self) -> str:
        """The path as an error message names it (`events[0].day`, `a.b[3]`)."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out

    @property
    def key(self) -> str:
        """The path without list indexes: the field's own name."""
        return ".".join(str(p) for p in self.path if not isinstance(p, int))

    def inside(self) -> list[float]:
        """Values at the bounds, or just inside an open bound."""
        values = []
        if self.low is not None:
            values.append(self._step(self.low, +1) if self.low_open else self.low)
        if self.high is not None:
            values.append(self._step(self.high, -1) if self.high_open else self.high)
        return values

    def outside(self) -> list[float]:
        """Values just beyond each bound."""
        values = []
        if self.low is not None:
            values.append(self.low if self.low_open else self._step(self.low, -1))
        if self.high is not None:
            values.append(self.high if self.high_open else self._step(self.high, +1))
        return values

    def _step(self, value: float, direction: int) -> float:
        if self.kind is int:
            return int(value) + direction
        return math.nextafter(float(value), math.inf * direction)


def numeric_fields() -> list[NumericField]:
    """Every number of a scenario, in the tiny scenario's places (departments, events)."""
    fields: list[NumericField] = []
    _walk(Scenario, (), fields)
    return fields


def _walk(model: type[BaseModel], prefix: tuple, out: list[NumericField]) -> None:
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        annotation = _bare(info.annotation)
        if _is_model(annotation):
            _walk(annotation, path, out)
            continue
        if model is Scenario and name == "departments":
            value = typing.get_args(annotation)[1]
            _walk(value, (*path, "pensions"), out)
            continue
        if model is Scenario and name == "accounts":  # one declared account, by its name
            _walk(AccountSettings, (*path, ACCOUNT), out)
            continue
        if name == "deadlines":
            _walk(KindDeadline, (*path, "consultation"), out)
            continue
        if name == "events":
            _walk(RumourEvent, (*path, RUMOUR_INDEX), out)
            _walk(BurstEvent, (*path, BURST_INDEX), out)
            continue
        _add_numbers(annotation, info.metadata, path, out)


def _add_numbers(annotation: Any, metadata: list, path: tuple, out: list[NumericField]) -> None:
    for member in _members(annotation):
        bare, extra = _strip(member)
        origin = typing.get_origin(bare)
        if bare in (int, float):
            out.append(_field(path, bare, [*metadata, *extra], ""))
        elif origin is list:
            (item,) = typing.get_args(bare)
            item_type, item_extra = _strip(item)
            if item_type in (int, float):
                out.append(_field((*path, 0), item_type, item_extra, "list"))
        elif origin is dict:
            _, value = typing.get_args(bare)
            value_type, value_extra = _strip(value)
            if value_type in (int, float):
                out.append(_field((*path, _first_key(path)), value_type, value_extra, "table"))


def _first_key(path: tuple) -> str:
    """A key every table of numbers in the tiny scenario has."""
    table = path[-1]
    keys = {"topic_mix": "pensions", "quality_satisfaction": "partial", "prior_wait_hours": "weibo"}
    return keys.get(str(table), "request")


def _field(path: tuple, kind: type, constraints: list, container: str) -> NumericField:
    low = high = None
    low_open = high_open = False
    for c in constraints:
        if getattr(c, "ge", None) is not None:
            low, low_open = c.ge, False
        if getattr(c, "gt", None) is not None:
            low, low_open = c.gt, True
        if getattr(c, "le", None) is not None:
            high, high_open = c.le, False
        if getattr(c, "lt", None) is not None:
            high, high_open = c.lt, True
    return NumericField(path, kind, low, low_open, high, high_open, container)


def _members(annotation: Any) -> list[Any]:
    """The members of a union (keeping each member's own Annotated constraints)."""
    if typing.get_origin(annotation) is Annotated:
        inner = typing.get_args(annotation)[0]
        if typing.get_origin(inner) in (typing.Union, types.UnionType):
            return _members(inner)
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for m in typing.get_args(annotation) if m is not type(None)]
    return [annotation]


def _strip(annotation: Any) -> tuple[Any, list]:
    if typing.get_origin(annotation) is Annotated:
        bare, *extras = typing.get_args(annotation)
        metadata: list = []
        for extra in extras:
            metadata.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
        inner, more = _strip(bare)
        return inner, [*metadata, *more]
    return annotation, []


def _bare(annotation: Any) -> Any:
    members = _members(annotation)
    return members[0] if len(members) == 1 else annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


# --------------------------------------------------------------------------- raw edits


def set_path(raw: dict[str, Any], field: NumericField, value: Any) -> dict[str, Any]:
    """A copy of `raw` with the field set to `value`, and what the field needs to matter.

    A list element is set in a list whose other elements are valid; settings used only
    in some set-ups get that set-up (lognormal patience for `patience_cv`, extended
    shifts for their hours, one deadline form at a time).
    """
    raw = _copy(raw)
    for key, setting in CONTEXT.items():
        if field.key.startswith(key):
            for path, context_value in setting.items():
                _assign(raw, path, context_value)
    if field.container == "list":
        *head, _ = field.path
        length = LIST_LENGTHS.get(field.key, 1)
        _assign(raw, tuple(head), [value, *([1.0] * (length - 1))])
    else:
        _assign(raw, field.path, value)
    return raw


# The set-up a field needs to be used at all (dotted prefix → {raw path: value}).
_DROP = object()
CONTEXT: dict[str, dict[tuple, Any]] = {
    "calendar.office_hours_start": {("calendar", "office_hours_end"): 24},
    "calendar.office_hours_end": {("calendar", "office_hours_start"): 0},
    "population.patience_cv": {("population", "patience_distribution"): "lognormal"},
    "staffing.handling_cv": {("staffing", "handling_distribution"): "lognormal"},
    "staffing.extended_hours": {("staffing", "shifts"): "extended"},
    f"accounts.{ACCOUNT}.extended_hours": {("accounts", ACCOUNT, "shifts"): "extended"},
    "network.rewiring_probability": {("network", "kind"): "small_world"},
    # Platform rules may be set only for an account on a platform that has them.
    f"accounts.{ACCOUNT}.auto_reply_share": {("accounts", ACCOUNT, "platform"): "wechat"},
    f"accounts.{ACCOUNT}.reply_window_hours": {("accounts", ACCOUNT, "platform"): "wechat"},
    f"accounts.{ACCOUNT}.call_minutes": {("accounts", ACCOUNT, "platform"): "hotline"},
    f"accounts.{ACCOUNT}.self_service_share": {("accounts", ACCOUNT, "platform"): "hotline"},
    f"accounts.{ACCOUNT}.caller_patience_minutes": {("accounts", ACCOUNT, "platform"): "hotline"},
    f"accounts.{ACCOUNT}.call_rhythm": {("accounts", ACCOUNT, "platform"): "hotline"},
    f"accounts.{ACCOUNT}.after_hours": {("accounts", ACCOUNT, "platform"): "hotline"},
    f"accounts.{ACCOUNT}.call_back_share": {("accounts", ACCOUNT, "platform"): "hotline"},
    # The supervision settings act only where an account names a higher-level supervisor.
    "supervision.": {
        ("accounts", ACCOUNT, "level"): "district",
        ("accounts", ACCOUNT, "supervisor"): "city_desk",
        ("accounts", "city_desk"): {"level": "city"},
    },
    # The channel choice acts only where citizens choose among two or more accounts.
    "channel_choice.": {
        ("accounts", ACCOUNT, "platform"): "weibo",
        ("accounts", "wechat_desk"): {"platform": "wechat"},
    },
    "accountability.deadline_working_days": {("accountability", "deadlines"): _DROP},
    "accountability.deadlines.consultation.hours": {
        ("accountability", "deadlines"): {"consultation": {"hours": 24.0}}
    },
    "accountability.deadlines.consultation.working_days": {
        ("accountability", "deadlines"): {"consultation": {"working_days": 2}}
    },
}
LIST_LENGTHS = {
    "population.daily_rhythm": 24,
    "population.weekly_rhythm": 7,
    f"accounts.{ACCOUNT}.call_rhythm": 24,  # hourly weights of calls
}


def _assign(raw: dict, path: tuple, value: Any) -> None:
    node: Any = raw
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    if value is _DROP:
        if isinstance(node, dict):
            node.pop(path[-1], None)
        return
    node[path[-1]] = value


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def non_finite_numbers(value: Any, path: str = "") -> list[str]:
    """Places of NaN or inf in a scenario's dict (trust_half_life_days may be inf: no drift)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in non_finite_numbers(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in non_finite_numbers(v, f"{path}[{i}]")]
    if isinstance(value, float) and not math.isfinite(value):
        if path.endswith("trust_half_life_days") and value == math.inf:
            return []
        return [f"{path} = {value}"]
    return []
