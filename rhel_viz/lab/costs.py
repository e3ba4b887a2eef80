"""What an interaction costs a shared server before it runs, in seconds: compiling its programs, when nobody
has compiled them yet in this process, plus running them (no streamlit).

XLA compiles one program per *static* choice (shapes, dtype, integrator...); on two cores that
takes 1.5 to 13 s, far more than running it (a fraction of a second). So every expensive path names its
:class:`Program` (the static values that select its compiled code), and :func:`estimate` charges the compile
time only while that program is not in :data:`COMPILED`. :func:`check` refuses an interaction whose
estimate is over :data:`MAX_INTERACTION_S`; a :class:`ComputeLedger` keeps what each session actually used,
so one visitor trying every combination can neither jump the queue nor keep the compute slot to themselves.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Hashable
from dataclasses import dataclass

from rhel_viz.lab.guards import OverBudget

#: Seconds to compile a new program of each kind, measured with a cold compile cache on this 2-core machine
#: (idle; under load they take up to twice as long): the Echo view 1.5-3 s (4 s since its trace also gives
#: the one-sided estimate, measured under load as 0.6-2.3 s more CPU time), the Gradient lab 8.6-13.3 s
#: (both RHEL estimators from one trace, BPTT, costates), the eps sweep (two dtypes x two estimators over the
#: eps grid), the first training update 8.9 s (memory task, N = 4000), the Deep page's agreement bars (two methods
#: of a 4-layer HSSM) and one step of its live measurement (one method at one length; the whole HSSM
#: measurement took 93 s under load, in 12 steps). The upper ends, so that an estimate errs on the side of
#: the other visitors.
COMPILE_S: dict[str, float] = {
    "echo view": 4.0,
    "gradient lab": 13.0,
    "eps sweep": 15.0,
    "training update": 9.0,
    "layer agreement": 12.0,
    "live scaling": 15.0,  # one step: one method at one length (compile, then time three warm runs)
}
#: Oscillator-steps per second of a compiled program on two cores (see :data:`rhel_viz.lab.guards.WORK_BUDGET`).
RUN_RATE = 26e6


@dataclass(frozen=True)
class Program:
    """The compiled code an interaction needs: its kind (a key of :data:`COMPILE_S`) and the static values
    that select it (a new value means a new compilation; traced values such as eps or a mass never do)."""

    kind: str
    key: tuple[Hashable, ...]

    def __post_init__(self) -> None:
        if self.kind not in COMPILE_S:
            raise ValueError(f"unknown program kind {self.kind!r}; known: {sorted(COMPILE_S)}")


class CompiledPrograms:
    """The programs this process has compiled (thread-safe). Emptied when the compiled code is released
    (:func:`rhel_viz.lab.memory.relieve`), since the next use compiles again."""

    def __init__(self) -> None:
        self._programs: set[Program] = set()
        self._lock = threading.Lock()

    def __contains__(self, program: object) -> bool:
        with self._lock:
            return program in self._programs

    def __len__(self) -> int:
        with self._lock:
            return len(self._programs)

    def add(self, program: Program) -> None:
        with self._lock:
            self._programs.add(program)

    def clear(self) -> None:
        with self._lock:
            self._programs.clear()


#: Every program compiled in this process so far.
COMPILED = CompiledPrograms()


@dataclass(frozen=True)
class Cost:
    """Estimated seconds of one interaction: compiling (0 when already compiled) and running."""

    program: Program
    compile_s: float
    run_s: float

    @property
    def total_s(self) -> float:
        return self.compile_s + self.run_s


def estimate(program: Program, work: int = 0, compiled: CompiledPrograms = COMPILED) -> Cost:
    """The cost of running ``program`` on ``work`` oscillator-steps now: compile time only if it is new."""
    compile_s = 0.0 if program in compiled else COMPILE_S[program.kind]
    return Cost(program, compile_s, work / RUN_RATE)


#: The most one interaction may cost, compile included (seconds). Everything the controls offer fits (the
#: eps sweep, 15 s, is the largest); larger runs (command line, scripts) are refused before they run.
MAX_INTERACTION_S = 45.0


def check(cost: Cost) -> Cost:
    """Raise :class:`OverBudget` (before anything runs) when ``cost`` exceeds :data:`MAX_INTERACTION_S`."""
    if cost.total_s > MAX_INTERACTION_S:
        raise OverBudget(
            f"this {cost.program.kind} would take about {cost.total_s:.0f} s of the server's shared cores "
            f"({cost.compile_s:.0f} s to compile, {cost.run_s:.0f} s to run), over the {MAX_INTERACTION_S:.0f} s "
            f"one interaction may take: choose a shorter sequence or a smaller model")
    return cost


class ComputeLedger:
    """Seconds of computation (compiling and running, as measured) each owner (a browser session) used in the
    last ``window_s``; at most ``budget_s`` of them.

    Computations take a shared compute slot for seconds. The ledger orders the waiting computations (the one
    whose owner used least goes first, see :class:`rhel_viz.ui.slots.FairSlots`), and a visitor who used the
    whole budget is refused until older work leaves the window: one visitor trying combination after
    combination cannot keep the others waiting. Settings somebody compiled already cost only their run.
    """

    def __init__(self, budget_s: float = 150.0, window_s: float = 300.0) -> None:
        self.budget_s, self.window_s = float(budget_s), float(window_s)
        self._used: dict[str, deque[tuple[float, float]]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, owner: str, now: float) -> deque[tuple[float, float]]:
        entries = self._used.get(owner)
        if entries is None:
            return deque()
        while entries and entries[0][0] <= now - self.window_s:
            entries.popleft()
        if not entries:
            del self._used[owner]  # an owner who went away leaves nothing behind
        return entries

    def used(self, owner: str, now: float | None = None) -> float:
        """Seconds ``owner`` computed within the window."""
        with self._lock:
            return sum(seconds for _, seconds in self._recent(owner, time.monotonic() if now is None else now))

    def record(self, owner: str, seconds: float, now: float | None = None) -> None:
        """Add a finished computation of ``seconds`` to ``owner``'s account."""
        with self._lock:
            self._used[owner].append((time.monotonic() if now is None else now, float(seconds)))

    def admit(self, owner: str, cost: Cost, now: float | None = None) -> None:
        """Raise :class:`OverBudget` when ``owner`` has used the budget and ``cost`` would add more to it."""
        if cost.total_s <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            entries = self._recent(owner, now)
            used = sum(seconds for _, seconds in entries)
            if used < self.budget_s:
                return
            wait = self._wait(entries, used - self.budget_s, now)
        raise OverBudget(
            f"this session has used about {used:.0f} s of the server's shared compute in the last "
            f"{self.window_s / 60:.0f} minutes, the most one visitor may while others share it: this "
            f"{cost.program.kind} would add about {cost.total_s:.0f} s. Try again in {wait:.0f} s; what is on "
            f"the page stays as it is")

    def _wait(self, entries: deque[tuple[float, float]], excess: float, now: float) -> float:
        """Seconds until enough of the oldest entries leave the window to bring ``used`` under the budget."""
        freed = 0.0
        for at, seconds in entries:
            freed += seconds
            if freed > excess:
                return max(1.0, at + self.window_s - now)
        return self.window_s
