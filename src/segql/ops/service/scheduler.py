"""`--refresh-every`: keep cached member counts fresh (seed 002: every 15 minutes; seed 003: "cached,
updated periodically"). A daemon thread in each worker refreshes the dynamic segments whose last refresh
is older than the period; the store's per-segment lock makes concurrent workers skip a segment another
one is refreshing (E0805), so exactly one refreshes it."""
from __future__ import annotations

import logging
import re
import threading

from segql.errors import SegqlError

log = logging.getLogger("segql.service")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_period(text: str, option: str = "--refresh-every") -> float:
    """`15m`, `30s`, `1h`, `2d` (or plain seconds) → seconds; at least one second."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text or "")
    if not m:
        raise SegqlError("E0004", f"{option} {text!r} is not a period", hints=["e.g. 15m, 30s, 1h, 1d"])
    if float(m.group(1)) * _UNITS[m.group(2) or "s"] < 1:
        raise SegqlError("E0004", f"{option} {text!r} is under one second", hints=["e.g. 1s, 30s, 15m, 1h"])
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


class Scheduler:
    def __init__(self, segments, every: float):
        self.segments, self.every = segments, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="segql-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(min(self.every, 60))

    def tick(self) -> int:
        """Refresh every segment that is due; returns how many this worker refreshed."""
        done = 0
        from segql.ops.store.workbench import due_for_refresh

        for segment in due_for_refresh(self.segments, self.every):
            if self._stop.is_set():
                break
            try:
                self.segments.refresh(segment.id, organization=segment.organization)
                done += 1
            except SegqlError as err:  # another worker holds it (E0805), or the warehouse is away
                log.info("scheduled refresh of %s skipped: %s %s", segment.id, err.code, err.message)
            except Exception:  # noqa: BLE001 - keep the scheduler alive; the log has the bug
                log.exception("scheduled refresh of %s failed", segment.id)
        return done
