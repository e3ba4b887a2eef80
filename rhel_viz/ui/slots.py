"""Who runs when on a shared server: page slots for script runs, a compute slot for new computations.

Streamlit runs every session's script in its own thread; they share the machine's cores and one interpreter
lock with the server's event loop. Two kinds of work, two bounded pools, both first come, first served:

* **Page slots** (:func:`run_slot`, :data:`RUN_SLOTS`): a page run lays out widgets and serialises cached
  figures, a tenth of a second. Thirty of them at once slowed each other *and* the event loop; a few at a
  time finish sooner on average and bound the memory in flight (measured by ``bench load``).
* **Compute slots** (:func:`compute`, :data:`COMPUTE_SLOTS`): anything that compiles or runs a simulation
  (a result nobody has cached, a training update, a step of the Deep page's live measurement). It can take
  seconds, so a page gives its page slot up while it waits for or does such work, and while it waits for
  another session's computation of the same cached result. A page whose results are cached never queues
  behind one. Computations run in worker threads at a lower CPU priority (:data:`COMPUTE_NICE`, XLA's
  threads included), so page runs get the cores first.

Before a computation starts, its estimate (compile time included while its program is new) must fit
:data:`~rhel_viz.lab.costs.MAX_INTERACTION_S`, and its session must not have used up its share of the compute
slot (:data:`LEDGER`); waiting computations go in order of what their sessions used lately, so a newcomer
goes before a visitor who has been compiling for a minute. Afterwards the program counts as compiled, and
compiled programs are released when the process passes its memory ceiling (:func:`rhel_viz.lab.memory.relieve`).
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import jax

from rhel_viz.lab import costs, memory

T = TypeVar("T")

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


#: Priority of a page run taking its slot back after :func:`off_page_slot`: before any page that has not
#: started yet (finish what was started; a cached result asked for this way costs no second wait in line).
RESUMING = -1.0


#: Priority of a timer-driven refresh (the training live view while it plays): after every page run a
#: visitor asked for, since a refresh only redraws what is already on screen a little later.
REFRESH = 1.0


@contextmanager
def run_slot(priority: float = 0.0) -> Iterator[float]:
    """Hold a page slot while the body runs; yields the seconds spent waiting for it. Waiting runs go in
    order of ``priority`` (:data:`RESUMING` first, then page runs, then :data:`REFRESH`), then of arrival.

    Re-entrant within a thread: a fragment drawn inside a page run uses the page's slot.
    """
    if getattr(_held, "page", False):
        yield 0.0
        return
    waited = PAGE.acquire(priority)
    _held.page = True
    try:
        yield waited
    finally:
        if _held.page:  # given up by off_page_slot and not taken back (an exception while waiting)
            _held.page = False
            PAGE.release()


@contextmanager
def off_page_slot() -> Iterator[None]:
    """Give this thread's page slot up while the body runs (waiting or computing), then take it back,
    ahead of page runs that have not started."""
    if not getattr(_held, "page", False):
        yield
        return
    _held.page = False
    PAGE.release()
    try:
        yield
    finally:
        PAGE.acquire(priority=RESUMING)
        _held.page = True


def lower_thread_priority(nice: int) -> None:
    """Run the calling thread, and the threads it starts, at niceness ``nice`` (Linux: per thread; elsewhere
    nothing happens)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


def _lower_priority() -> None:
    """A compute worker's initializer: :data:`COMPUTE_NICE`."""
    lower_thread_priority(COMPUTE_NICE)


#: Niceness of the compute workers: while a computation runs, page runs (at 0) get the cores first.
COMPUTE_NICE = 10
#: The threads computations run in. XLA's own thread pools are created by the thread that first uses
#: JAX and inherit its niceness, so :func:`start_compute_workers` starts JAX from one of these.
_WORKERS = ThreadPoolExecutor(max_workers=COMPUTE_SLOTS, thread_name_prefix="rhel-viz-compute",
                              initializer=_lower_priority)


@functools.cache
def start_compute_workers() -> None:
    """Start JAX's backend in a compute worker, so that XLA's threads run at the workers' lower priority
    (call before anything else uses JAX in the server; later calls do nothing)."""
    _WORKERS.submit(jax.devices).result()


def _in_worker(function: Callable[..., T], args: tuple, kwargs: dict) -> T:
    _held.compute = True
    try:
        return function(*args, **kwargs)
    finally:
        _held.compute = False


def compute(cost: costs.Cost, owner: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` as ``owner``'s computation, in a compute worker at lower priority.

    Checks ``cost`` and the owner's share first (raises :class:`~rhel_viz.lab.guards.OverBudget` before
    anything waits), gives the page slot up, waits for a compute slot (behind owners who used less), and
    records the time it took. Afterwards the program counts as compiled, and compiled programs are released
    if memory is over its ceiling (while the compute slot is still held: no other computation is running).
    Called from inside a computation, it just calls ``function``.
    """
    if getattr(_held, "compute", False):
        return function(*args, **kwargs)
    LEDGER.admit(owner, costs.check(cost))
    with off_page_slot():
        COMPUTE.acquire(priority=LEDGER.used(owner))
        start = time.perf_counter()
        try:
            result = _WORKERS.submit(_in_worker, function, args, kwargs).result()
            costs.COMPILED.add(cost.program)
            return result
        finally:
            LEDGER.record(owner, time.perf_counter() - start)
            try:
                memory.relieve()
            finally:
                COMPUTE.release()
