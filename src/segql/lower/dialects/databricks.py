"""Databricks SQL: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from segql.lower.dialects.spark import SparkOps


class DatabricksOps(SparkOps):
    name = "databricks"
    order = 6  # position in DIALECTS
