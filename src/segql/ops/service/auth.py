"""API keys (SPEC §6.2): `Authorization: Bearer <key>`; the store keeps only a hash of each key. A key
belongs to one organization and carries scopes; 401 without a valid key, 403 without the scope."""
from __future__ import annotations

from dataclasses import dataclass

from segql.errors import SegqlError


@dataclass(frozen=True)
class Principal:
    organization: str
    scopes: frozenset[str]
    key_id: str


def authenticate(keys, raw: str | None, scope: str) -> Principal:
    if not raw:
        raise SegqlError("E0901", "an API key is required: send `Authorization: Bearer <key>`",
                         hints=["make one with `segql keys create --organization ORG --scopes read:segments`"])
    key = keys.verify(raw)
    if key is None:
        raise SegqlError("E0902", "the API key is not valid (unknown or revoked)")
    if scope not in key.scopes:
        raise SegqlError("E0903", f"the API key lacks the scope {scope}",
                         hints=[f"its scopes: {', '.join(sorted(key.scopes)) or 'none'}"])
    return Principal(key.organization, frozenset(key.scopes), key.id)
