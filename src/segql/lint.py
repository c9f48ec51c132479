"""Lint warnings for `segql check` (contradictions, tautologies, surprising negations)."""
from __future__ import annotations


def lint_segment(definition, segment, schema) -> list:
    """Warnings (SegqlError objects used as diagnostics) for one checked segment."""
    return []
