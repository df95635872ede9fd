"""The models this package fits and their result, :class:`BgNbdFit`."""

from __future__ import annotations

from dataclasses import asdict, dataclass

MODELS: tuple[str, ...] = ("bgnbd", "mbgnbd")
# Chosen from the CDNOW hold-out comparison in docs/churn-model.md.
DEFAULT_MODEL = "mbgnbd"

#: A fitted parameter outside these bounds marks a degenerate fit (e.g. r ≈ 123,591 when the
#: data cannot tell customers' rates apart): such a fit is not used.
PARAMETER_BOUNDS = (1e-4, 1e4)


@dataclass(frozen=True)
class BgNbdFit:
    """Maximum-likelihood parameters of a BG/NBD-family model."""

    model: str
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    converged: bool
    iterations: int

    @property
    def params(self) -> tuple[float, float, float, float]:
        """(r, alpha, a, b)."""
        return (self.r, self.alpha, self.a, self.b)

    def to_dict(self) -> dict[str, float | int | str | bool]:
        """All fields as plain Python values."""
        return asdict(self)

    def implausible_parameter(self) -> str | None:
        """Which parameter lies outside :data:`PARAMETER_BOUNDS`, or None."""
        low, high = PARAMETER_BOUNDS
        for name, value in zip(("r", "alpha", "a", "b"), self.params, strict=True):
            if not low <= value <= high:
                return f"implausible parameter {name} = {value:.6g} (outside {low:g}..{high:g})"
        return None
