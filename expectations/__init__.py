"""Great Expectations suites: what good raw partitions, customer facts and scores look like.

A plain library (frames in, outcomes out) that orchestration calls from Dagster asset checks.
Each suite returns a :class:`SuiteOutcome`; its ``blocking_failures`` (severity ``error``) stop
publishing, warnings do not. Checks, severities and recovery: docs/quality-gates.md.
"""

from expectations.facts import validate_customer_facts
from expectations.outcome import CheckOutcome, SuiteOutcome
from expectations.raw import validate_raw_partition
from expectations.scores import largest_remainder, validate_scores

__all__ = [
    "CheckOutcome",
    "SuiteOutcome",
    "largest_remainder",
    "validate_customer_facts",
    "validate_raw_partition",
    "validate_scores",
]
