"""API keys (SPEC §6.2): `sk_` + 32 random bytes (URL-safe base64), shown once; the store keeps its
SHA-256 — a key is random, so a fast hash cannot be reversed or guessed, and lookup is by hash. A key
belongs to one organization and carries scopes; a revoked key stays listed with its revocation time."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import asdict, dataclass

from segql.errors import SegqlError
from segql.ops.store.migrations import OnStore

PREFIX = "sk_"


@dataclass(frozen=True)
class Key:
    id: str
    organization: str
    scopes: tuple[str, ...]
    created_at: str
    revoked_at: str | None = None

    def to_dict(self) -> dict:
        return {**asdict(self), "scopes": list(self.scopes)}


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class KeyStore(OnStore):
    """The store's API keys."""

    COLUMNS = "id, organization, scopes, created_at, revoked_at"

    def _key(self, row) -> Key:
        return Key(row[0], row[1], tuple(json.loads(row[2])), row[3], row[4])

    def create(self, organization: str, scopes: list[str]) -> tuple[str, Key]:
        """A new key: (the key itself — never stored, shown once —, its record)."""
        if not organization or len(organization) > 100 or not organization.isprintable():
            raise SegqlError("E0906", "an organization is 1–100 printable characters")
        raw = PREFIX + secrets.token_urlsafe(32)
        key = Key("key_" + secrets.token_hex(6), organization, tuple(dict.fromkeys(scopes)), _now())
        with self.db.transaction():
            self.db.execute("INSERT INTO segql_api_keys (id, organization, key_hash, scopes, created_at) "
                            "VALUES (?, ?, ?, ?, ?)",
                            (key.id, organization, _hash(raw), json.dumps(list(key.scopes)), key.created_at))
        return raw, key

    def list(self, organization: str | None = None) -> list[Key]:
        if organization is None:
            rows = self.db.execute(f"SELECT {self.COLUMNS} FROM segql_api_keys ORDER BY created_at, id")
        else:
            rows = self.db.execute(f"SELECT {self.COLUMNS} FROM segql_api_keys WHERE organization = ? "
                                   "ORDER BY created_at, id", (organization,))
        return [self._key(r) for r in rows]

    def revoke(self, key_id: str) -> Key:
        with self.db.transaction():
            row = self.db.one(f"SELECT {self.COLUMNS} FROM segql_api_keys WHERE id = ?", (key_id,))
            if row is None:
                raise SegqlError("E0801", f"no API key {key_id!r}", hints=["`segql keys list` shows the keys"])
            if row[4] is None:
                self.db.execute("UPDATE segql_api_keys SET revoked_at = ? WHERE id = ?", (_now(), key_id))
        return self._key(self.db.one(f"SELECT {self.COLUMNS} FROM segql_api_keys WHERE id = ?", (key_id,)))

    def verify(self, raw: str) -> Key | None:
        """The live key whose hash this is, or None (unknown, malformed or revoked)."""
        if not isinstance(raw, str) or not raw.startswith(PREFIX) or len(raw) > 200:
            return None
        row = self.db.one(f"SELECT {self.COLUMNS} FROM segql_api_keys WHERE key_hash = ? AND revoked_at IS NULL",
                          (_hash(raw),))
        return self._key(row) if row else None
