"""A test-only pause point for the fault-injection suite (tests/faults): nothing happens unless
LEARNIFY_FAULT_PAUSE_DIR is set, which only that suite does for the servers it starts.

`pause_point("name")` waits while the file `<dir>/name` exists, after creating `<dir>/name.reached`, so a test
can hold a request at a precise place (inside the quiz transaction, after its commit) and kill the process there.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def pause_point(name: str) -> None:
    directory = os.environ.get("LEARNIFY_FAULT_PAUSE_DIR")
    if not directory:
        return
    gate = Path(directory) / name
    if not gate.exists():
        return
    (Path(directory) / f"{name}.reached").touch()
    # Bounded, so a forgotten gate cannot hang a server for ever.
    deadline = time.monotonic() + 60
    while gate.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
