"""Segment operations beyond compile/run: counts, explain, overlap, refresh, static lists."""
from __future__ import annotations


def add_commands(sub, common) -> None:
    """Register the operation subcommands on the CLI's subparser set."""
    return None
