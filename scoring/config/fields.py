"""Building blocks shared by every section's models: checked field types, the range checks of a
single key (:func:`fraction`, :func:`at_least`), the frozen base model that forbids unknown keys,
and output labels (:class:`Level`)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Annotated

from annotated_types import MinLen
from pydantic import AfterValidator, BaseModel, ConfigDict, Strict, ValidationInfo

from scoring.config.errors import ConfigProblem
from scoring.metrics import KNOWN_METRICS

SHARE_DECIMALS = 9  # shares are exact to 9 decimal places (see tier.pyramid)
_TOLERANCE = 1e-9
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_metric(name: str) -> str:
    if name not in KNOWN_METRICS:
        close = difflib.get_close_matches(name, sorted(KNOWN_METRICS), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see docs/facts.md for the columns"
        raise ConfigProblem(f"unknown metric '{name}'", f"name a customer-facts column; {hint}")
    return name


def _check_identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ConfigProblem(
            f"'{name}' is not a valid name (it becomes part of an output column name)",
            "use lower-case letters, digits and underscores, starting with a letter",
        )
    return name


Number = Annotated[float, Strict()]
Text = Annotated[str, Strict(), MinLen(1)]
Metric = Annotated[str, Strict(), AfterValidator(_check_metric)]
Identifier = Annotated[str, Strict(), AfterValidator(_check_identifier)]


def fraction(fix: str, *, zero: bool = True, one: bool = True) -> AfterValidator:
    """The key's value must lie within 0..1 (``zero``/``one``: whether the ends are allowed).

    Use as ``Annotated[Number, fraction("write 0.05 for 5 %")]``: a value outside is reported as
    ``<key> <value> is outside 0..1`` (``(0, 1]``, ``[0, 1)``, ``(0, 1)``) with ``fix``."""
    interval = "0..1" if zero and one else f"{'[' if zero else '('}0, 1{']' if one else ')'}"

    def check(value: float, info: ValidationInfo) -> float:
        inside = (value >= 0 if zero else value > 0) and (value <= 1 if one else value < 1)
        if not inside:  # written so that NaN is outside too
            raise ConfigProblem(f"{info.field_name} {value} is outside {interval}", fix)
        return value

    return AfterValidator(check)


def at_least(low: int, fix: str) -> AfterValidator:
    """The key's value must be ``low`` or more.

    Use as ``Annotated[Number, at_least(0, "use a weight ≥ 0")]``: a value below is reported as
    ``<key> <value> is negative`` (``low`` 0) or ``<key> <value> is below <low>``, with ``fix``."""
    problem = "is negative" if low == 0 else f"is below {low}"

    def check(value: float, info: ValidationInfo) -> float:
        if value < low:
            raise ConfigProblem(f"{info.field_name} {value} {problem}", fix)
        return value

    return AfterValidator(check)


Weight = Annotated[Number, at_least(0, "use a weight ≥ 0")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _exactly_one(model: BaseModel, first: str, second: str, fix: str) -> None:
    """Of the keys ``first`` and ``second`` of ``model`` exactly one must be given (set, and not
    an empty list or mapping); otherwise the problem says whether both or neither were."""
    given = [getattr(model, key) not in (None, (), {}) for key in (first, second)]
    if given[0] == given[1]:
        both = "both" if given[0] else "neither of"
        raise ConfigProblem(f"{both} {first} and {second} given; exactly one is needed", fix)


def _unique(named: Iterable[tuple[str, tuple[str | int, ...]]], what: str) -> None:
    """Each name once; ``named`` pairs a name with the key path it was written at, so a repeat
    is reported where it stands."""
    seen: set[str] = set()
    for name, at in named:
        if name in seen:
            raise ConfigProblem(
                f"{what} '{name}' appears twice", f"give each {what} its own name", at
            )
        seen.add(name)


def _unique_labels(levels: Sequence[Level], key: str) -> None:
    """Each label of the list ``key`` once."""
    _unique(((level.label, (key, index, "label")) for index, level in enumerate(levels)), "label")


class Level(_Model):
    """An output label with its Chinese name (e.g. ``vip`` / ``VIP客户``)."""

    label: Text
    name_zh: Text
