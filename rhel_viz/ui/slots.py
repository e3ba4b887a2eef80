"""Who runs when on a shared server: page slots for script runs, a compute slot for new computations.

Streamlit runs every session's script in its own thread; they share the machine's cores and one interpreter
lock with the server's event loop. Two kinds of work, two bounded pools, both first come, first served:

* **Page slots** (:func:`run_slot`, :data:`RUN_SLOTS`): a page run lays out widgets and serialises cached
  figures, a tenth of a second. Thirty of them at once slowed each other *and* the event loop; a few at a
  time finish sooner on average and bound the memory in flight (measured by ``bench load``).
* **Compute slots** (:func:`compute`, :data:`COMPUTE_SLOTS`): anything that compiles or runs a simulation
  (a result nobody has cached, a training update, the Deep page's live measurement). It can take seconds, so
  a page gives its page slot up while it waits for or does such work, and while it waits for another
  session's computation of the same cached result. A page whose results are cached never queues behind one.

Before a computation starts, its estimate (compile time included while its program is new) must fit
:data:`~rhel_viz.lab.costs.MAX_INTERACTION_S`, and its session must not have used up its share of the compute
slot (:data:`LEDGER`); waiting computations go in order of what their sessions used lately, so a newcomer
goes before a visitor who has been compiling for a minute. Afterwards the program counts as compiled, and
compiled programs are released when the process passes its memory ceiling (:func:`rhel_viz.lab.memory.relieve`).
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rhel_viz.lab import costs, memory

#: Page runs at once (the others wait their turn).
RUN_SLOTS = max(2, os.cpu_count() or 2)
#: Computations at once: half the cores, so that pages keep the other half (XLA runs one of our small
#: programs on about one core).
COMPUTE_SLOTS = max(1, (os.cpu_count() or 2) // 2)
#: Seconds of computation each session may use within a window (while it is over, it is refused).
LEDGER = costs.ComputeLedger(budget_s=150.0, window_s=300.0)


class FairSlots:
    """A counting semaphore that serves waiters by priority (lowest first), then in arrival order
    (``threading.Semaphore`` promises neither)."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._free = slots
        self._queue: list[tuple[float, int]] = []  # a heap of (priority, arrival number)
        self._arrivals = itertools.count()
        self._condition = threading.Condition()
        self.peak = 0  # most holders seen at once (for the tests and the benchmark)

    def acquire(self, priority: float = 0.0) -> float:
        """Wait for a slot; returns the seconds waited."""
        start, ticket = time.perf_counter(), (float(priority), next(self._arrivals))
        with self._condition:
            heapq.heappush(self._queue, ticket)
            while self._queue[0] != ticket or self._free == 0:
                self._condition.wait()
            heapq.heappop(self._queue)
            self._free -= 1
            self.peak = max(self.peak, self.slots - self._free)
            self._condition.notify_all()  # the next in line may take another free slot
        return time.perf_counter() - start

    def release(self) -> None:
        with self._condition:
            if self._free >= self.slots:
                raise RuntimeError("released more slots than were taken")
            self._free += 1
            self._condition.notify_all()

    @property
    def in_use(self) -> int:
        with self._condition:
            return self.slots - self._free


PAGE = FairSlots(RUN_SLOTS)
COMPUTE = FairSlots(COMPUTE_SLOTS)
_held = threading.local()  # per script thread: holds a page slot / a compute slot


@contextmanager
def run_slot() -> Iterator[float]:
    """Hold a page slot while the body runs; yields the seconds spent waiting for it.

    Re-entrant within a thread: a fragment drawn inside a page run uses the page's slot.
    """
    if getattr(_held, "page", False):
        yield 0.0
        return
    waited = PAGE.acquire()
    _held.page = True
    try:
        yield waited
    finally:
        if _held.page:  # given up by off_page_slot and not taken back (an exception while waiting)
            _held.page = False
            PAGE.release()


@contextmanager
def off_page_slot() -> Iterator[None]:
    """Give this thread's page slot up while the body runs (waiting or computing), then take it back."""
    if not getattr(_held, "page", False):
        yield
        return
    _held.page = False
    PAGE.release()
    try:
        yield
    finally:
        PAGE.acquire()
        _held.page = True


@contextmanager
def compute(cost: costs.Cost, owner: str) -> Iterator[None]:
    """Run the body as ``owner``'s computation: check ``cost`` and the owner's share (raise
    :class:`~rhel_viz.lab.guards.OverBudget` before anything waits), give the page slot up, wait for a
    compute slot (behind owners who used less), record the time it took. Afterwards the program counts as
    compiled, and compiled programs are released if memory is over its ceiling (while the compute slot is
    still held: no other computation is running).

    Re-entrant within a thread (a cached result computed inside a training update takes no second slot).
    """
    if getattr(_held, "compute", False):
        yield
        return
    LEDGER.admit(owner, costs.check(cost))
    with off_page_slot():
        COMPUTE.acquire(priority=LEDGER.used(owner))
        _held.compute = True
        start = time.perf_counter()
        try:
            yield
            costs.COMPILED.add(cost.program)
        finally:
            LEDGER.record(owner, time.perf_counter() - start)
            try:
                memory.relieve()
            finally:
                _held.compute = False
                COMPUTE.release()
