"""Page slots and compute slots: cached pages never queue behind computations (timings: ``bench load``)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from rhel_viz.lab import costs
from rhel_viz.lab.guards import OverBudget
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.ui import cache, slots


def _run_threads(targets, timeout: float = 30.0) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread never got its slot"


def test_run_slots_bound_concurrent_runs_and_are_reentrant():
    busy, peak, lock = [0], [0], threading.Lock()

    def run() -> None:
        with slots.run_slot():
            with slots.run_slot() as waited_inside:  # a fragment inside a page run: no second slot, no wait
                assert waited_inside == 0.0
                with lock:
                    busy[0] += 1
                    peak[0] = max(peak[0], busy[0])
                time.sleep(0.05)
                with lock:
                    busy[0] -= 1

    _run_threads([run] * (3 * slots.RUN_SLOTS))
    assert peak[0] == slots.RUN_SLOTS  # never more at once, and the slots were all used
    assert slots.PAGE.in_use == 0


def test_run_slot_is_released_when_the_run_raises():
    for _ in range(slots.RUN_SLOTS + 1):
        with pytest.raises(RuntimeError), slots.run_slot():
            raise RuntimeError("a rerun interrupts the script")
    with slots.run_slot() as waited:
        assert waited < 1.0
    assert slots.PAGE.in_use == 0


def test_fair_slots_serve_waiters_in_arrival_order():
    gate = slots.FairSlots(1)
    gate.acquire()
    order: list[int] = []

    def waiter(number: int) -> None:
        gate.acquire()
        order.append(number)
        gate.release()

    threads = []
    for number in range(6):
        threads.append(threading.Thread(target=waiter, args=(number,)))
        threads[-1].start()
        time.sleep(0.02)  # arrive one after the other
    gate.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == list(range(6))
    with pytest.raises(RuntimeError):
        gate.release()


def test_fair_slots_serve_lower_priority_numbers_first():
    """Computations of sessions that used less compute go first, whatever their arrival."""
    gate = slots.FairSlots(1)
    gate.acquire()
    order: list[float] = []

    def waiter(priority: float) -> None:
        gate.acquire(priority)
        order.append(priority)
        gate.release()

    threads = []
    for priority in (60.0, 5.0, 30.0, 0.0):
        threads.append(threading.Thread(target=waiter, args=(priority,)))
        threads[-1].start()
        time.sleep(0.02)
    gate.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == [0.0, 5.0, 30.0, 60.0]


def _cost(kind: str = "echo view", key: tuple = ("test",)) -> costs.Cost:
    return costs.Cost(costs.Program(kind, key), compile_s=0.0, run_s=0.0)


def test_computations_give_their_page_slot_up_and_are_bounded():
    """Every page slot's holder starts a long computation: a cached page still gets a slot at once."""
    release, started = threading.Event(), threading.Semaphore(0)

    def long_computation() -> None:
        started.release()
        release.wait(20)

    def page_that_computes() -> None:
        with slots.run_slot():
            slots.compute(_cost(), "someone", long_computation)

    computing = [threading.Thread(target=page_that_computes) for _ in range(slots.RUN_SLOTS + 2)]
    for thread in computing:
        thread.start()
    started.acquire(timeout=10)  # one computation runs, the others wait for the compute slot
    time.sleep(0.1)
    assert slots.COMPUTE.in_use == slots.COMPUTE_SLOTS
    with slots.run_slot() as waited:  # a cached page
        assert waited < 0.5
    release.set()
    for thread in computing:
        thread.join(timeout=30)
    assert slots.COMPUTE.peak <= slots.COMPUTE_SLOTS
    assert slots.PAGE.in_use == 0 and slots.COMPUTE.in_use == 0


def test_waiting_for_another_sessions_cached_result_holds_no_slot(monkeypatch):
    """Two sessions ask for the same uncached Echo view: one computes, the other waits on the cache's
    lock; neither holds a page slot meanwhile, and the work is done once."""
    release, calls = threading.Event(), []

    def slow_echo_view(config, eps, damping, integrator):
        calls.append(config)
        release.wait(20)
        return "view"

    monkeypatch.setattr(cache, "run_echo_view", slow_echo_view)
    monkeypatch.setattr(cache, "echo_view_cost", lambda config, integrator: _cost(key=("slot-test",)))
    config = ProblemConfig(steps=50, seed=4242)  # a key no other test uses
    results: list[str] = []

    def session() -> None:
        with slots.run_slot():
            results.append(cache.echo_view(config, 1e-3, 0.0, "leapfrog"))

    threads = [threading.Thread(target=session) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert slots.PAGE.in_use == 0  # both sessions gave their page slot up
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert results == ["view", "view"] and len(calls) == 1
    assert costs.Program("echo view", ("slot-test",)) in costs.COMPILED


def test_a_visitor_over_their_share_is_refused_before_taking_any_slot(monkeypatch):
    ledger = costs.ComputeLedger(budget_s=10.0, window_s=60.0)
    monkeypatch.setattr(slots, "LEDGER", ledger)
    cost = costs.Cost(costs.Program("gradient lab", ("ledger-test",)), compile_s=13.0, run_s=0.0)
    with slots.run_slot():
        assert slots.compute(cost, "eager", time.sleep, 0.05) is None
    assert ledger.used("eager") >= 0.05  # the measured time, not the estimate
    ledger.record("eager", 10.0)
    with slots.run_slot(), pytest.raises(OverBudget, match="shared compute"):
        slots.compute(cost, "eager", pytest.fail, "the computation must not run")
    assert slots.PAGE.in_use == 0 and slots.COMPUTE.in_use == 0
    assert slots.compute(cost, "patient", max, 1, 2) == 2  # another visitor is not affected


def test_computations_run_in_lower_priority_workers_and_raise_in_the_caller():
    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    mine = niceness()
    theirs = slots.compute(_cost(key=("nice-test",)), "someone", niceness)
    assert theirs == max(mine, slots.COMPUTE_NICE) and niceness() == mine
    with pytest.raises(ZeroDivisionError):
        slots.compute(_cost(key=("raise-test",)), "someone", lambda: 1 / 0)
    assert costs.Program("echo view", ("raise-test",)) not in costs.COMPILED  # a failure compiles nothing
    assert slots.COMPUTE.in_use == 0
    # A computation that asks for another runs it in place (no second slot: it would wait for itself).
    assert slots.compute(_cost(), "someone", slots.compute, _cost(), "someone", niceness) == theirs


def test_a_page_resuming_after_a_computation_goes_before_pages_not_started():
    order: list[str] = []
    holders_in, let_go = threading.Barrier(slots.RUN_SLOTS + 1), threading.Event()

    def holder() -> None:
        with slots.run_slot():
            holders_in.wait(10)
            let_go.wait(10)

    def resuming() -> None:
        with slots.run_slot():
            with slots.off_page_slot():
                holders_in.wait(10)  # every slot is taken by the holders once it has given its own up
                time.sleep(0.1)
            order.append("resumed")

    def newcomer() -> None:
        with slots.run_slot():
            order.append("newcomer")

    threads = [threading.Thread(target=resuming)]
    threads[0].start()
    time.sleep(0.05)  # it has its slot before the holders arrive
    threads += [threading.Thread(target=holder) for _ in range(slots.RUN_SLOTS)]
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.05)
    threads.append(threading.Thread(target=newcomer))
    threads[-1].start()  # queued before the resuming page asks for its slot back
    time.sleep(0.3)
    let_go.set()
    for thread in threads:
        thread.join(timeout=10)
    assert order == ["resumed", "newcomer"]


def test_timer_refreshes_wait_behind_page_runs_visitors_asked_for():
    gate = slots.FairSlots(1)
    gate.acquire()
    order: list[str] = []

    def waiter(name: str, priority: float) -> None:
        gate.acquire(priority)
        order.append(name)
        gate.release()

    threads = []
    for name, priority in (("refresh", slots.REFRESH), ("page", 0.0), ("resumed", slots.RESUMING)):
        threads.append(threading.Thread(target=waiter, args=(name, priority)))
        threads[-1].start()
        time.sleep(0.02)
    gate.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == ["resumed", "page", "refresh"]
