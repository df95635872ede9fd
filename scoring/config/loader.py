"""Loading ``config/scoring.yaml``: the whole document validated, versioned and frozen into
:class:`ScoringConfig`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError, model_validator

from scoring.config.churn import ChurnConfig
from scoring.config.credit import CreditConfig
from scoring.config.errors import ConfigProblem, ScoringConfigError
from scoring.config.fields import _Model
from scoring.config.gates import GatesConfig
from scoring.config.relationship import RelationshipConfig
from scoring.config.source import _describe, _parse_yaml
from scoring.config.tier import TierConfig

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[2] / "config" / "scoring.yaml"


class _Document(_Model):
    tier: TierConfig
    relationship: RelationshipConfig = RelationshipConfig()
    credit: CreditConfig
    churn: ChurnConfig
    gates: GatesConfig = GatesConfig()

    @model_validator(mode="after")
    def _check(self) -> _Document:
        known = [level.label for level in self.tier.pyramid.levels]
        service = self.relationship.service
        for key in ("watched_pyramid_levels", "small_pyramid_levels"):
            for index, level in enumerate(getattr(service, key)):
                if level not in known:
                    raise ConfigProblem(
                        f"pyramid level '{level}' is not a level of tier.pyramid",
                        f"use one of: {', '.join(known)}",
                        ("relationship", "service", key, index),
                    )
        return self


@dataclass(frozen=True)
class ScoringConfig:
    """The validated scoring rules, their version and where they came from."""

    tier: TierConfig
    relationship: RelationshipConfig
    credit: CreditConfig
    churn: ChurnConfig
    gates: GatesConfig
    version: str
    source: Path


def load_scoring_config(path: str | Path) -> ScoringConfig:
    """Load and validate a scoring YAML file; raise :class:`ScoringConfigError` on problems."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScoringConfigError(
            [f"{path}: file not found — create it (copy config/scoring.yaml) or fix the path"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoringConfigError(
            [f"{path}: cannot read the file ({exc}); save it as UTF-8 text"]
        ) from None
    marks, data = _parse_yaml(path, text)
    if not isinstance(data, dict):
        raise ScoringConfigError(
            [f"{path}:1:1: the file must be a mapping with keys tier, credit and churn"]
        )
    try:
        document = _Document.model_validate(data)
    except ValidationError as exc:
        raise ScoringConfigError(list(_describe(path, marks, exc))) from None
    return ScoringConfig(
        tier=document.tier,
        relationship=document.relationship,
        credit=document.credit,
        churn=document.churn,
        gates=document.gates,
        version=config_version(document),
        source=path,
    )


def default_config() -> ScoringConfig:
    """The shipped ``config/scoring.yaml``."""
    return load_scoring_config(DEFAULT_CONFIG_PATH)


def config_version(document: BaseModel) -> str:
    """Short sha256 of the normalised rules: unchanged by comments, whitespace or key order."""
    canonical = json.dumps(
        document.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
