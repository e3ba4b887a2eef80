"""Run slots: at most a few script runs of the whole server do their work at once."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: How many script runs may do their work at once; the others wait their turn (roughly in arrival order).
#: Streamlit runs every session's script in its own thread and they all share one interpreter lock
#: with the server's event loop. Thirty scripts building figures at once slowed each other *and* the
#: event loop that serves pages and websocket messages; a few at a time finish sooner on average,
#: keep the server answering, and bound the memory in flight (measured by ``bench load``).
RUN_SLOTS = max(2, os.cpu_count() or 2)
_run_slots = threading.BoundedSemaphore(RUN_SLOTS)
_slot_holder = threading.local()


@contextmanager
def run_slot() -> Iterator[float]:
    """Hold one of the :data:`RUN_SLOTS` while the body runs; yields the seconds spent waiting for it.

    Re-entrant within a thread: a fragment drawn inside a page run uses the page's slot.
    """
    if getattr(_slot_holder, "held", False):
        yield 0.0
        return
    start = time.perf_counter()
    _run_slots.acquire()
    _slot_holder.held = True
    try:
        yield time.perf_counter() - start
    finally:
        _slot_holder.held = False
        _run_slots.release()
