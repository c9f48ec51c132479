"""Per-dialect SQL primitives: one file per dialect (see base.py for the portable implementation)."""
from segql.lower.dialects.base import (  # noqa: F401
    DIALECTS,
    PARAM_META,
    VERIFIED,
    Ops,
    get_ops,
    simple_lower,
)
