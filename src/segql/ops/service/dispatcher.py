"""The webhooks' dispatcher: a daemon thread in each worker that delivers the store's outbox
(`segql.ops.store.webhooks.deliver_due`). Rows are claimed with a lease, so several workers (or a
`segql webhooks deliver` run beside them) never send one row at the same time; a row stays in the
store until a 2xx answers it, so a restart loses nothing. A refresh wakes it (no waiting for the poll)."""
from __future__ import annotations

import logging
import secrets
import threading

from segql.errors import SegqlError
from segql.ops.store.webhooks import DEFAULT_RETRY, Retry, deliver_due

log = logging.getLogger("segql.service")


class Dispatcher:
    def __init__(self, segments, *, timeout: float = 5.0, retry: Retry = DEFAULT_RETRY, poll: float = 1.0,
                 batch: int = 20):
        self.segments, self.timeout, self.retry, self.poll, self.batch = segments, timeout, retry, poll, batch
        self.worker = "worker_" + secrets.token_hex(6)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="segql-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 30)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            claimed = self.tick()
            if not claimed:
                self._wake.wait(self.poll)
                self._wake.clear()

    def tick(self) -> int:
        """One pass over the due rows; returns how many this worker claimed."""
        try:
            return deliver_due(self.segments.db, limit=self.batch, timeout=self.timeout, retry=self.retry,
                               worker=self.worker)["claimed"]
        except SegqlError as err:  # the store is away or locked: the rows wait for the next pass
            log.info("webhook delivery skipped: %s %s", err.code, err.message)
        except Exception:  # keep the dispatcher alive; the log has the bug
            log.exception("webhook delivery failed")
        return 0
