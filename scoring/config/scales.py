"""Scales that turn a metric value into points (bands or a value map), shared by the key-account
criteria (tier) and the credit indicators."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import model_validator

from scoring.config.errors import ConfigProblem
from scoring.config.fields import Number, _exactly_one, _Model


class Band(_Model):
    """One band: value ≥ at_least (higher is better) or value ≤ at_most (lower is better)."""

    at_least: Number | None = None
    at_most: Number | None = None
    points: Number

    @model_validator(mode="after")
    def _check(self) -> Band:
        _exactly_one(
            self,
            "at_least",
            "at_most",
            "write e.g. {at_least: 0.95, points: 12} or {at_most: 30, points: 4}",
        )
        return self


class Scale(_Model):
    """Turns a metric value into points: descending bands or a value → points map."""

    bands: tuple[Band, ...] = ()
    points_by_value: dict[str, Number] = {}
    otherwise: Number = 0.0
    missing: Number = 0.0

    @model_validator(mode="after")
    def _check_scale(self) -> Scale:
        _exactly_one(
            self,
            "bands",
            "points_by_value",
            "use bands for numbers, points_by_value for categories such as industry",
        )
        if self.bands:
            _check_bands(self.bands, self.otherwise)
        return self

    @property
    def all_points(self) -> list[float]:
        listed = [b.points for b in self.bands] + list(self.points_by_value.values())
        return [*listed, self.otherwise, self.missing]

    @property
    def best_points(self) -> float:
        return max([b.points for b in self.bands] + list(self.points_by_value.values()))


def _check_bands(bands: Sequence[Band], otherwise: float) -> None:
    higher = bands[0].at_least is not None
    for index, band in enumerate(bands):
        if (band.at_least is not None) != higher:
            raise ConfigProblem(
                "bands mix at_least and at_most",
                "use at_least in every band (higher is better) or at_most in every band",
                ("bands", index),
            )
    for index in range(1, len(bands)):
        previous, band = bands[index - 1], bands[index]
        if higher and not band.at_least < previous.at_least:  # type: ignore[operator]
            raise ConfigProblem(
                f"bands not descending: at_least {band.at_least} follows {previous.at_least}",
                "list at_least bands from the highest threshold down",
                ("bands", index, "at_least"),
            )
        if not higher and not band.at_most > previous.at_most:  # type: ignore[operator]
            raise ConfigProblem(
                f"bands not ascending: at_most {band.at_most} follows {previous.at_most}",
                "list at_most bands from the lowest (best) threshold up",
                ("bands", index, "at_most"),
            )
        if band.points > previous.points:
            raise ConfigProblem(
                f"band awards {band.points} points, more than the better band before it",
                "points must not increase as the thresholds get worse",
                ("bands", index, "points"),
            )
    if otherwise > bands[-1].points:
        raise ConfigProblem(
            f"otherwise ({otherwise}) awards more than the last band ({bands[-1].points})",
            "lower 'otherwise' to at most the last band's points",
            ("otherwise",),
        )
