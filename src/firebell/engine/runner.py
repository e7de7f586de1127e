"""Run the engine in a background thread, once per SQLite database."""

from __future__ import annotations

import fcntl
import os
import threading
from dataclasses import dataclass, field
from typing import IO

from firebell.runtime import Runtime


@dataclass
class EngineThread:
    runtime: Runtime
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    _lock: IO[str] | None = None

    def claim(self) -> bool:
        """On SQLite only one process may run the engine: hold an exclusive file lock.
        On PostgreSQL any number share the work (FOR UPDATE SKIP LOCKED)."""
        if self.runtime.db.dialect.name != "sqlite":
            return True
        path = self.runtime.settings.home / "engine.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle
        return True

    def start(self) -> None:
        self.runtime.handoffs.ensure_timers()
        self.runtime.drill_reminders.ensure_timers()
        self.thread = threading.Thread(
            target=self.runtime.engine.run,
            args=(self.stop, self.runtime.settings.engine_interval),
            name="firebell-engine",
            daemon=True,
        )
        self.thread.start()

    def shutdown(self) -> None:
        self.stop.set()
        self.runtime.engine.wake()
        if self.thread is not None:
            self.thread.join(timeout=15)
        if self._lock is not None:
            self._lock.close()
