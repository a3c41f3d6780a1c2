"""Errors that say where and why: `ScenarioError`, the did-you-mean hint, pydantic's errors.

Every input the package refuses — a scenario file, a `--set` override, an experiment
file, a design, calibration records — is refused with a `ScenarioError` (or a
subclass) naming the source, the field and what is allowed. This module holds the one
helper that suggests the closest allowed name (`did_you_mean`) and the one translation
of a pydantic `ValidationError` into such an error (`validation_error`), for the
scenario schema and the experiment-file schema alike.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, Tag, ValidationError

from simulation.format import EXCERPT_CHARACTERS, safe_text


class ScenarioError(Exception):
    """A scenario that cannot be used, with where and why.

    `source` is the file (or "--set" for command-line overrides), `field` the dotted
    path inside the scenario, `message` what is wrong and what is allowed.
    """

    def __init__(self, source: str, field: str | None, message: str):
        self.source = source
        self.field = field
        self.message = message
        where = f"{source}: {field}" if field else source
        # Paths, keys and values come from the user: never terminal control characters.
        super().__init__(safe_text(f"{where}: {message}"))

    def __reduce__(self):
        # Rebuilt from its three parts, so it survives the trip back from a worker process.
        return (type(self), (self.source, self.field, self.message))


def did_you_mean(key: object, allowed: Iterable[object]) -> str:
    """` (did you mean 'x'?)` for the allowed name closest to `key`, or "" if none is close."""
    close = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# --------------------------------------------------------------------------- pydantic

# A check across fields names the field it is about: "network.edge_list: file not found".
_NAMED_FIELD = re.compile(r"^([A-Za-z_][\w.\[\]-]*): (.*)$", re.DOTALL)


def validation_error(
    exc: ValidationError,
    source: str,
    model: type[BaseModel],
    error: type[ScenarioError] = ScenarioError,
) -> ScenarioError:
    """One error naming the field (its dotted path in `model`) and what is allowed there.

    Unknown keys get a did-you-mean hint and the keys allowed at that place; a wrong
    value is quoted (`(got 'many')`); a message of the model's own checks that starts
    with a field name (`"samples: a grid runs every combination"`) is reported at that
    field. Several problems at once are joined with "; ", each with its field.
    """
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"] if not _is_function_tag(part)]
        shown, _ = _locate(model, loc)
        field = _dotted(shown)
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            allowed = allowed_fields(model, loc[:-1])
            message = (
                f"unknown key{did_you_mean(loc[-1], allowed)}; allowed here: {', '.join(allowed)}"
            )
        elif err["type"] == "missing":
            message = "required"
        elif err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field, message = _tag_problem(err, field, model, loc)
        elif err["type"] in ("model_type", "model_attributes_type") and not isinstance(
            err.get("input"), dict
        ):
            message = _section_problem(err, field, model, loc)
        elif "input" in err and not isinstance(err["input"], dict):
            message = f"{message} (got {_shown(err['input'])})"
        named = _NAMED_FIELD.match(message) if err["type"] == "value_error" else None
        if named:
            name, message = named.group(1), named.group(2)
            # A section's check names either the whole path or a field inside the section.
            field = name if not field or name.startswith(field + ".") else f"{field}.{name}"
        problems.append((field, message))
    if len(problems) == 1:
        field, message = problems[0]
        return error(source, field or None, message)
    return error(source, None, "; ".join(f"{f}: {m}" if f else m for f, m in problems))


def _tag_problem(err: Any, field: str, model: type[BaseModel], loc: list[str]) -> tuple[str, str]:
    """`events[0].type: unknown 'rumor' (did you mean 'rumour'?); allowed: burst, rumour`."""
    key = str((err.get("ctx") or {}).get("discriminator", "type")).strip("'")
    _, node = _locate(model, loc)
    tags = _union_tags(node)
    where = f"{field}.{key}" if field else key
    if err["type"] == "union_tag_not_found":
        return where, f"required: one of {', '.join(tags)}"
    tag = (err.get("ctx") or {}).get("tag", "")
    return where, f"unknown '{tag}'{did_you_mean(tag, tags)}; allowed: {', '.join(tags)}"


def _section_problem(err: Any, field: str, model: type[BaseModel], loc: list[str]) -> str:
    """A section given a value: say it is a table of fields, and which fields it has."""
    fields = allowed_fields(model, loc)
    got = _shown(err.get("input"))
    if not fields:
        return f"is a table, not a value (got {got})"
    return (
        f"is a section (a table of settings), not a value (got {got}); set one of its "
        f"fields, e.g. {field}.{fields[0]}=…; fields: {', '.join(fields)}"
    )


def _shown(value: Any) -> str:
    """A value as a message quotes it: its repr, escaped and cut short."""
    return safe_text(repr(value), EXCERPT_CHARACTERS)


def _union_tags(annotation: Any) -> list[str]:
    """The `type` values of the members of a tagged union (for hints)."""
    annotation = _bare(annotation)
    tags = []
    for member in typing.get_args(annotation):
        member = _bare(member)
        if _is_model(member) and "type" in member.model_fields:
            tags.append(str(member.model_fields["type"].default))
    return tags


def allowed_fields(model: type[BaseModel], loc: Iterable[str]) -> list[str]:
    """The keys allowed at a place in a model (for hints); [] where any key goes."""
    _, node = _locate(model, list(loc))
    node = _bare(node)
    if not _is_model(node):
        return []
    return sorted(field.alias or name for name, field in node.model_fields.items())


def _locate(model: type[BaseModel], loc: list[str]) -> tuple[list[str], Any]:
    """Walk a pydantic error location through the model.

    Returns (the parts a reader sees, the annotation reached, or None where the location
    leaves the schema).

    Tables of sections (`departments.<name>`) take any key; arrays take an index; a
    tagged union (`[[events]]` by `type`) is walked through the member the tag names,
    and the tag itself is not part of the field's name.
    """
    node: Any = model
    shown: list[str] = []
    for part in loc:
        node = _bare(node)
        if _is_model(node):
            field = node.model_fields.get(part) or next(
                (f for f in node.model_fields.values() if f.alias == part), None
            )
            shown.append(part)
            node = field.annotation if field is not None else None
            continue
        origin = typing.get_origin(node)
        if origin is dict:
            shown.append(part)
            node = typing.get_args(node)[1]
            continue
        if origin is list:
            shown.append(part)
            node = typing.get_args(node)[0]
            continue
        member = _tagged_member(node, part)
        if member is not None:
            node = member
            continue
        shown.append(part)
        node = None
    return shown, node


def _bare(annotation: Any) -> Any:
    """The annotation without Annotated[...] and without `| None`."""
    if typing.get_origin(annotation) is Annotated:
        return _bare(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _bare(members[0])
    return annotation


def _tagged_member(annotation: Any, tag: str) -> type[BaseModel] | None:
    """The section of a union that pydantic's location names by `tag` (its `type`)."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return None
    for member in typing.get_args(annotation):
        if typing.get_origin(member) is Annotated and any(
            isinstance(extra, Tag) and extra.tag == tag for extra in typing.get_args(member)[1:]
        ):  # a member chosen by a discriminator (`Tag("weights")`)
            return _bare(member)
        member = _bare(member)
        if not _is_model(member):
            continue
        kind = member.model_fields.get("type")
        if member.__name__ == tag or (kind is not None and kind.default == tag):
            return member
    return None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_function_tag(part: Any) -> bool:
    """Pydantic's name for a validator step inside a location (`function-after[…]`)."""
    return str(part).startswith("function-")


def _dotted(loc: list[str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out
