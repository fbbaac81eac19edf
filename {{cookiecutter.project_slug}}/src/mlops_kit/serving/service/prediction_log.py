"""The service's `--log`: one JSON line per answered request, what monitoring reads.

Each line holds the request id, the time, the model version, the model's input columns as
validated (nothing else the client sent) and the predictions. Beyond `log_max_mb` the file is
renamed `<log>.1` (replacing the one before) and a new one begun. The path is checked
writable when the service starts. With --workers N, the processes take turns (an exclusive
lock on the file) so that lines never interleave.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from mlops_kit import common

try:
    import fcntl
except ImportError:  # Windows: one process writes at a time anyway without --workers
    fcntl = None


class PredictionLog:
    """JSON lines at ``path`` (None: nothing is written), rotated beyond ``max_bytes``."""

    def __init__(self, path: str | Path | None, max_bytes: int):
        self.path, self.max_bytes, self.lock = (Path(path) if path else None), max_bytes, None
        if self.path is None:
            return
        self.lock = threading.Lock()
        try:
            os.close(self.open())
        except OSError as exc:
            raise common.UserError(
                f"--log {str(self.path)[:80]}: cannot write there ({exc.strerror}); "
                "choose a file in a folder that exists and is writable"
            ) from None

    def open(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, **entry: Any) -> None:
        if self.path is None:
            return
        line = (json.dumps(entry, default=str, ensure_ascii=False) + "\n").encode("utf-8")
        with self.lock:
            while True:
                handle = self.open()
                try:
                    if fcntl is not None:
                        fcntl.flock(handle, fcntl.LOCK_EX)
                    if not same(handle, self.path):
                        continue  # another worker rotated it while this one waited
                    size = os.fstat(handle).st_size
                    if size and size + len(line) > self.max_bytes:
                        os.replace(self.path, f"{self.path}.1")
                        continue
                    written = memoryview(line)
                    while written:
                        written = written[os.write(handle, written) :]
                    return
                finally:
                    os.close(handle)  # releases the lock


def same(handle: int, path: Path) -> bool:
    try:
        return os.fstat(handle).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False
