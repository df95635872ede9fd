"""The markdown tables of bench/churn_quality.py's report (docs/churn-quality.md)."""

from __future__ import annotations


def _auc_markdown(title: str, aucs: dict[str, float], acceptance: dict[str, object]) -> str:
    lines = [f"### {title}", "", "| score | AUC |", "|---|---|"]
    lines += [f"| {name} | {value:.4f} |" for name, value in aucs.items()]
    lines += [
        "",
        f"best baseline {acceptance['best_baseline']:.4f}, bar (best − {acceptance['margin']}) "
        f"{acceptance['bar']:.4f}: kam {acceptance['kam']:.4f} — "
        f"{'met' if acceptance['met'] else 'NOT met'}",
        "",
    ]
    return "\n".join(lines)


def _deciles_markdown(title: str, rows: list[dict[str, float]]) -> str:
    lines = [
        f"### {title}",
        "",
        "| decile | customers | mean predicted | observed |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['decile']} | {r['customers']} | {r['mean_predicted']:.3f} | {r['observed']:.3f} |"
        for r in rows
    ]
    return "\n".join([*lines, ""])


def markdown(report: dict[str, dict[str, object]]) -> str:
    """The tables of docs/churn-quality.md."""
    parts = []
    cdnow = report.get("cdnow")
    if cdnow:
        parts.append(
            _auc_markdown(
                "CDNOW: no purchase in weeks 40-78",
                cdnow["auc_no_purchase_in_holdout"],
                cdnow["acceptance"],
            )
        )
        parts.append(
            _deciles_markdown(
                f"CDNOW: calibrated probability vs no purchase in {cdnow['horizon_days']} days",
                cdnow["deciles_calibrated_vs_horizon"],
            )
        )
        parts.append(
            _deciles_markdown(
                f"CDNOW: uncalibrated probability vs no purchase in {cdnow['horizon_days']} days",
                cdnow["deciles_uncalibrated_vs_horizon"],
            )
        )
    demo = report.get("demo")
    if demo:
        for key in ("recent_stop_among_active", "all_planted_churners"):
            section = demo[key]
            parts.append(_auc_markdown(f"Demo: {key}", section["auc"], section["acceptance"]))
        parts.append(
            _deciles_markdown(
                "Demo: probability vs planted churner", demo["deciles_all_planted_churners"]
            )
        )
    return "\n".join(parts)
