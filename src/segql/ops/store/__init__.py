"""Segments as things (SPEC §6): the store segql owns, the SDK over it, export/import and plan/apply.

    db.py          the store connection (SQLite or PostgreSQL), transactions, locks
    migrations.py  the store's tables, as versioned steps
    sdk.py         `open_store` → `Segments`: create/get/find/update/delete/refresh/…, with hooks
    seeds.py       export/import in seed 001's shape
    plan.py        what applying segment files would change, and who would enter and leave
"""
from segql.ops.store.sdk import Change, Segment, Segments, open_store

__all__ = ["Change", "Segment", "Segments", "open_store"]
