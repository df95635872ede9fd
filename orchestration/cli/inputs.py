"""``kam check``, ``kam contracts`` and ``kam map``: what kam expects of its inputs."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestration.cli.common import UserError, environ_of, settings_of
from warehouse.settings import CHECKED_SETTINGS, load_settings


def cmd_map(args: argparse.Namespace) -> int:
    from ingestion.mapping import MappingError, load_mapping
    from ingestion.propose import ProposalError, propose_mapping

    try:
        proposal = propose_mapping(args.source, args.file, sheet=args.sheet)
    except ProposalError as exc:
        raise UserError(str(exc)) from None
    output = args.output or Path(f"{args.source}.yaml")
    if output.exists() and not args.force:
        raise UserError(f"{output} exists; give another --output, or --force to replace it")
    output.write_text(proposal.yaml(), encoding="utf-8")
    print(proposal.report())
    if not proposal.missing_required:
        try:
            load_mapping(output, args.source)
        except MappingError as exc:
            raise UserError(f"the proposal does not validate: {exc}") from None
    target = settings_of(args).mappings_dir / f"{args.source}.yaml"
    print(f"wrote {output}: review it, then move it to {target}")
    return 1 if proposal.missing_required else 0


def cmd_check(args: argparse.Namespace) -> int:
    from orchestration.preflight import check

    # Settings kam cannot use are among the problems listed, not a reason to stop.
    environ = environ_of(args)
    unchecked = dict.fromkeys(CHECKED_SETTINGS, "")
    report = check(load_settings({**environ, **unchecked}), environ)
    print(report.text())
    return 0 if report.ok else 1


def cmd_contracts(args: argparse.Namespace) -> int:
    from ingestion.contracts import contracts_markdown

    print(contracts_markdown(), end="")
    return 0
