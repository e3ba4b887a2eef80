"""The export render pool (rhel_viz/plots/renderer.py) with a fake renderer: no Chromium, fast.

What issue 13 ("Export floods") asked for: one renderer reused for every job and started again after a
failure, never two renders at once, per-owner and overall limits that refuse at once, a time limit, and
a job cancelled (its coroutine too) as soon as its owner's ``alive()`` turns False.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from rhel_viz.plots.renderer import ExportCancelled, ExportRefused, ExportTimeout, Gate, RenderPool


class FakeRenderers:
    """A factory of fake renderers that counts what the pool does to them.

    ``render(fig, opts)`` returns ``b"image:" + fig``; ``fig`` may be "hang" (waits until cancelled),
    "fail" (raises), or "slow" (takes ``slow_s``). ``gate`` (a threading.Event), when set, makes every
    render wait for it first, so a test can hold jobs in the pool.
    """

    def __init__(self, slow_s: float = 0.05) -> None:
        self.slow_s = slow_s
        self.starts = self.closes = self.clean_closes = self.renders = self.cancelled = 0
        self.active = self.peak = 0
        self.fail_open = 0  # how many of the next opens fail
        self.gate: threading.Event | None = None
        self.started = threading.Event()  # set when a render begins
        self.lock = threading.Lock()

    def __call__(self) -> FakeRenderer:
        return FakeRenderer(self)


class FakeRenderer:
    def __init__(self, counts: FakeRenderers) -> None:
        self.counts = counts

    async def open(self) -> None:
        await asyncio.sleep(0.01)
        self.counts.starts += 1
        # Like choreographer's pipe reader: a task of the renderer's own that closing needs alive.
        self.reader = asyncio.get_running_loop().create_task(asyncio.sleep(3600))
        if self.counts.fail_open:
            self.counts.fail_open -= 1
            raise RuntimeError("Chromium did not start")

    async def render(self, fig, opts) -> bytes:
        counts = self.counts
        counts.active += 1
        counts.peak = max(counts.peak, counts.active)
        counts.started.set()
        try:
            while counts.gate is not None and not counts.gate.is_set():
                await asyncio.sleep(0.01)
            if fig == "hang":
                await asyncio.Event().wait()
            if fig == "fail":
                raise RuntimeError("the renderer crashed")
            await asyncio.sleep(counts.slow_s if fig == "slow" else 0.001)
            counts.renders += 1
            return b"image:" + fig.encode()
        except asyncio.CancelledError:
            counts.cancelled += 1
            raise
        finally:
            counts.active -= 1

    async def close(self) -> None:
        self.counts.closes += 1
        if getattr(self, "reader", None) is not None:
            if not self.reader.done():
                self.counts.clean_closes += 1
            self.reader.cancel()


@pytest.fixture
def fake():
    return FakeRenderers()


@pytest.fixture
def make_pool(fake):
    pools = []

    def make(**options) -> RenderPool:
        options = {"poll_s": 0.02, "timeout_s": 5.0, "idle_close_s": None, **options}
        pool = RenderPool(fake, **options)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


def _in_thread(pool: RenderPool, fig: str, owner: str, alive=None) -> tuple[threading.Thread, dict]:
    outcome = {}

    def run() -> None:
        try:
            outcome["image"] = pool.render(fig, {}, owner=owner, alive=alive)
        except Exception as error:  # noqa: BLE001 - the test reads it
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


def test_one_renderer_serves_many_jobs(make_pool, fake):
    pool = make_pool()
    images = [pool.render(f"figure {i}", {}, owner=f"session {i % 3}") for i in range(12)]
    assert images == [f"image:figure {i}".encode() for i in range(12)]
    assert (fake.starts, pool.starts, fake.renders, fake.closes) == (1, 1, 12, 0)
    assert pool.running and pool.gate.in_flight == 0


def test_never_more_than_one_render_at_once(make_pool, fake):
    pool = make_pool(max_jobs=8, per_owner=2)
    jobs = [_in_thread(pool, "slow", f"session {i % 4}") for i in range(8)]
    for thread, _ in jobs:
        thread.join(10)
    assert [outcome for _, outcome in jobs] == [{"image": b"image:slow"}] * 8
    assert fake.peak == 1 and pool.peak == 1
    assert fake.starts == 1


def test_an_owner_gets_one_running_and_one_waiting_job_and_no_more(make_pool, fake):
    pool = make_pool()
    fake.gate = threading.Event()
    first, second = _in_thread(pool, "a", "alice"), _in_thread(pool, "b", "alice")
    _wait_until(lambda: pool.gate.held_by("alice") == 2 and fake.started.is_set())
    with pytest.raises(ExportRefused, match="2 image exports of this session are already running or waiting"):
        pool.render("c", {}, owner="alice")
    assert pool.gate.held_by("alice") == 2  # the refused job took no place
    other = _in_thread(pool, "d", "bob")  # another session still gets in
    _wait_until(lambda: pool.gate.in_flight == 3)
    fake.gate.set()
    for thread, _ in (first, second, other):
        thread.join(10)
    assert [outcome for _, outcome in (first, second, other)] == [
        {"image": b"image:a"}, {"image": b"image:b"}, {"image": b"image:d"}]
    assert fake.renders == 3 and pool.gate.in_flight == 0
    assert pool.render("e", {}, owner="alice") == b"image:e"  # alice's places are free again


def test_a_full_pool_refuses_every_owner(make_pool, fake):
    pool = make_pool(max_jobs=4, per_owner=2)
    fake.gate = threading.Event()
    jobs = [_in_thread(pool, str(i), f"session {i}") for i in range(4)]
    _wait_until(lambda: pool.gate.in_flight == 4)
    started = time.monotonic()
    with pytest.raises(ExportRefused, match="the server is busy with 4 image exports"):
        pool.render("late", {}, owner="session 9")
    assert time.monotonic() - started < 0.5  # refused at once, not after waiting
    fake.gate.set()
    for thread, _ in jobs:
        thread.join(10)
    assert fake.renders == 4


def test_a_running_job_is_cancelled_when_its_owner_goes_away(make_pool, fake):
    pool = make_pool()
    here = threading.Event()
    here.set()
    thread, outcome = _in_thread(pool, "hang", "alice", alive=here.is_set)
    _wait_until(fake.started.is_set)
    here.clear()  # the tab was closed
    thread.join(2)
    assert not thread.is_alive()
    assert isinstance(outcome.get("error"), ExportCancelled), outcome
    _wait_until(lambda: pool.gate.in_flight == 0)  # its place is freed
    assert fake.cancelled == 1 and fake.active == 0  # the render coroutine itself was cancelled
    assert pool.render("after", {}, owner="alice") == b"image:after"  # later jobs run...
    assert fake.starts == 1  # ...on the same renderer (kaleido gives its tab back on cancellation)


def test_a_waiting_job_is_dropped_when_its_owner_goes_away(make_pool, fake):
    pool = make_pool()
    fake.gate = threading.Event()
    running, running_outcome = _in_thread(pool, "first", "alice")
    _wait_until(fake.started.is_set)
    here = threading.Event()
    here.set()
    waiting, waiting_outcome = _in_thread(pool, "never", "bob", alive=here.is_set)
    _wait_until(lambda: pool.gate.in_flight == 2)
    here.clear()
    waiting.join(2)
    assert isinstance(waiting_outcome.get("error"), ExportCancelled)
    _wait_until(lambda: pool.gate.in_flight == 1)
    fake.gate.set()
    running.join(5)
    assert running_outcome == {"image": b"image:first"}
    assert fake.renders == 1 and fake.cancelled == 0  # the dropped job never reached the renderer


def test_a_job_over_its_time_limit_fails_and_the_renderer_is_started_again(make_pool, fake):
    pool = make_pool(timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(ExportTimeout, match="longer than 0.2 s"):
        pool.render("hang", {}, owner="alice")
    assert time.monotonic() - started < 2
    assert fake.cancelled == 1 and fake.closes == fake.clean_closes == 1 and not pool.running
    assert pool.render("next", {}, owner="alice") == b"image:next"
    assert fake.starts == 2 and pool.gate.in_flight == 0


def test_a_waiting_caller_gives_up_after_its_wait_limit(make_pool, fake):
    pool = make_pool(wait_s=0.2)
    fake.gate = threading.Event()
    with pytest.raises(ExportTimeout, match="gave up after waiting"):
        pool.render("x", {}, owner="alice")
    _wait_until(lambda: pool.gate.in_flight == 0)
    assert fake.cancelled == 1


def test_the_renderer_is_started_again_after_a_failure(make_pool, fake):
    pool = make_pool()
    assert pool.render("ok", {}, owner="alice") == b"image:ok"
    with pytest.raises(RuntimeError, match="the renderer crashed"):
        pool.render("fail", {}, owner="alice")
    assert fake.closes == 1 and not pool.running
    assert pool.render("ok", {}, owner="alice") == b"image:ok"
    assert fake.starts == 2


def test_a_renderer_that_does_not_start_is_tried_again_on_the_next_job(make_pool, fake):
    pool = make_pool()
    fake.fail_open = 1
    with pytest.raises(RuntimeError, match="Chromium did not start"):
        pool.render("x", {}, owner="alice")
    assert pool.gate.in_flight == 0 and not pool.running
    assert pool.render("x", {}, owner="alice") == b"image:x"
    assert fake.starts == 2


def test_an_idle_renderer_is_closed_and_started_again_when_needed(make_pool, fake):
    pool = make_pool(idle_close_s=0.1)
    pool.render("a", {}, owner="alice")
    _wait_until(lambda: fake.closes == 1)
    assert not pool.running
    assert pool.render("b", {}, owner="alice") == b"image:b"
    assert fake.starts == 2


def test_closing_the_pool_cancels_its_jobs_and_closes_the_renderer(make_pool, fake):
    pool = make_pool()
    thread, outcome = _in_thread(pool, "hang", "alice")
    _wait_until(fake.started.is_set)
    pool.close()
    thread.join(2)
    assert isinstance(outcome.get("error"), ExportCancelled)
    assert fake.cancelled == 1 and fake.closes == 1 and pool.gate.in_flight == 0
    assert fake.clean_closes == 1  # the pool cancelled its jobs, not the renderer's own tasks


def test_gate_counts_per_owner_and_overall():
    gate = Gate(total=3, per_owner=2, what="file exports")
    with gate.admit("alice"), gate.admit("alice"):
        with pytest.raises(ExportRefused, match="2 file exports of this session"):
            gate.enter("alice")
        with gate.admit("bob"):
            with pytest.raises(ExportRefused, match="busy with 3 file exports"):
                gate.enter("carol")
    assert gate.in_flight == 0


def test_gate_limits_how_many_jobs_one_owner_starts_per_minute(monkeypatch):
    clock = [1000.0]
    from rhel_viz.plots import renderer as module

    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    gate = Gate(total=4, per_owner=2, per_minute=3)
    for _ in range(3):
        with gate.admit("eager"):
            pass
    with pytest.raises(ExportRefused, match=r"3 .* in the last minute .* try again in 60 s"):
        gate.enter("eager")
    with gate.admit("calm"):  # another session is not affected
        pass
    clock[0] += 60.5  # the first starts have left the minute
    with gate.admit("eager"):
        pass
