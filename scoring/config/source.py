"""The YAML text behind the configuration: parsed with the position of every key, and
validation errors worded with file, line, column, key path and the fix."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scoring.config.errors import ConfigProblem, ScoringConfigError

_Path = tuple[str | int, ...]

#: PyYAML's safe loader, in C (libyaml) where PyYAML has it: ten times faster on this file.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(path: Path, text: str) -> tuple[dict[_Path, yaml.Mark], Any]:
    try:
        root = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScoringConfigError(
            [f"{where}: not valid YAML ({problem}) — fix the indentation or quoting there"]
        ) from None
    marks: dict[_Path, yaml.Mark] = {}
    if root is not None:
        duplicates = list(_walk(root, (), marks))
        if duplicates:
            raise ScoringConfigError(
                [
                    f"{path}:{m.line + 1}:{m.column + 1}: {_dotted(p)}: key appears twice — "
                    "keep only one"
                    for p, m in duplicates
                ]
            )
    return marks, data


def _walk(
    node: yaml.Node, at: _Path, marks: dict[_Path, yaml.Mark]
) -> Iterator[tuple[_Path, yaml.Mark]]:
    """Record the position of every key path; yield duplicate keys."""
    marks.setdefault(at, node.start_mark)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            child = (*at, str(key.value))
            if key.value in seen:
                yield child, key.start_mark
            seen.add(key.value)
            marks[child] = key.start_mark
            yield from _walk(value, child, marks)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*at, index), marks)


def _dotted(at: _Path) -> str:
    text = ""
    for part in at:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


def _position(path: Path, marks: Mapping[_Path, yaml.Mark], at: _Path) -> str:
    for length in range(len(at), -1, -1):
        mark = marks.get(at[:length])
        if mark is not None:
            return f"{path}:{mark.line + 1}:{mark.column + 1}"
    return str(path)


_FIXES = {
    "missing": "add this key (see docs/scoring.md for its meaning and default)",
    "extra_forbidden": "remove it or fix its spelling (see docs/scoring.md for the allowed keys)",
    "float_type": "write a number without quotes, e.g. 0.9",
    "int_type": "write a whole number without quotes, e.g. 30",
    "string_type": "write text, e.g. a label in quotes",
    "bool_type": "write true or false",
    "literal_error": "use one of the allowed values",
    "too_short": "add at least one entry",
    "tuple_type": "write a list, e.g. [0.01, 0.04]",
    "dict_type": "write a mapping of name: settings",
    "model_type": "write a mapping of key: value",
}


def _describe(path: Path, marks: Mapping[_Path, yaml.Mark], exc: ValidationError) -> Iterator[str]:
    for error in exc.errors():
        at: _Path = tuple(p for p in error["loc"] if not _is_union_tag(p))
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, ConfigProblem):
            at = (*at, *cause.at)
            problem, fix = cause.problem, cause.fix
        elif error["type"] == "extra_forbidden":
            problem, fix = f"unknown key '{at[-1]}'", _FIXES["extra_forbidden"]
        elif error["type"] == "missing":
            problem, fix = "required key is missing", _FIXES["missing"]
        else:
            problem = f"{error['msg']} (got {error['input']!r})"
            fix = _FIXES.get(error["type"], "see docs/scoring.md")
        yield f"{_position(path, marks, at)}: {_dotted(at)}: {problem} — fix: {fix}"


def _is_union_tag(part: str | int) -> bool:
    """Pydantic adds the union member (``float``, ``literal['mean']``) to the location."""
    if not isinstance(part, str):
        return False
    return part in {"float", "int", "str", "bool", "none"} or part.startswith(
        ("literal[", "function-")
    )
