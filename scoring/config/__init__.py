"""The scoring configuration: ``config/scoring.yaml`` loaded into validated, frozen models.

Every threshold, share, weight, band and label of the tier, credit and churn rules lives in the
YAML file; :func:`load_scoring_config` checks it and reports each problem with the file, line,
column, key path (``tier.pyramid.shares[1]``), what is wrong and how to fix it.

One module per section of the file (:mod:`~scoring.config.tier`,
:mod:`~scoring.config.relationship`, :mod:`~scoring.config.credit`,
:mod:`~scoring.config.churn`, :mod:`~scoring.config.gates`), the shared field types and scales,
the loader and the error reporting; the public names are importable from here.
"""

from scoring.config.churn import (
    CallListConfig,
    ChurnConfig,
    ChurnSignals,
    ContactQuietSignal,
    LifetimeValueConfig,
    ModelInactiveSignal,
    NoRecentOrderSignal,
    OpenComplaintsSignal,
    PaymentWorseningSignal,
    ProductDependenceSignal,
    RevenueDropSignal,
    RiskLevel,
)
from scoring.config.credit import (
    CreditCategory,
    CreditConfig,
    Grade,
    Indicator,
    MissingFinancials,
)
from scoring.config.errors import ConfigProblem, ScoringConfigError
from scoring.config.fields import SHARE_DECIMALS, Identifier, Level, Metric, Number, Text
from scoring.config.gates import GatesConfig
from scoring.config.loader import (
    DEFAULT_CONFIG_PATH,
    ScoringConfig,
    config_version,
    default_config,
    load_scoring_config,
)
from scoring.config.relationship import (
    LIFECYCLE_STAGES,
    Lifecycle,
    Profitability,
    RelationshipConfig,
    ServiceCoverage,
    TopCustomers,
)
from scoring.config.scales import Band, Scale
from scoring.config.tier import (
    AbcConfig,
    CandidateScreen,
    Comparison,
    Condition,
    Criterion,
    KeyAccountConfig,
    LadderConfig,
    LadderRule,
    PyramidConfig,
    Steadiness,
    TierConfig,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "LIFECYCLE_STAGES",
    "SHARE_DECIMALS",
    "AbcConfig",
    "Band",
    "CallListConfig",
    "CandidateScreen",
    "ChurnConfig",
    "ChurnSignals",
    "Comparison",
    "Condition",
    "ConfigProblem",
    "ContactQuietSignal",
    "CreditCategory",
    "CreditConfig",
    "Criterion",
    "GatesConfig",
    "Grade",
    "Identifier",
    "Indicator",
    "KeyAccountConfig",
    "LadderConfig",
    "LadderRule",
    "Level",
    "Lifecycle",
    "LifetimeValueConfig",
    "Metric",
    "MissingFinancials",
    "ModelInactiveSignal",
    "NoRecentOrderSignal",
    "Number",
    "OpenComplaintsSignal",
    "PaymentWorseningSignal",
    "Profitability",
    "ProductDependenceSignal",
    "PyramidConfig",
    "RelationshipConfig",
    "RevenueDropSignal",
    "RiskLevel",
    "Scale",
    "ScoringConfig",
    "ScoringConfigError",
    "ServiceCoverage",
    "Steadiness",
    "Text",
    "TierConfig",
    "TopCustomers",
    "config_version",
    "default_config",
    "load_scoring_config",
]
