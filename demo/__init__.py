"""Deterministic demo data for kam: landing files plus a ground-truth answer key."""

from demo.generate import DemoError, DemoSummary, generate_demo

__all__ = ["DemoError", "DemoSummary", "generate_demo"]
