"""One shared Chromium for the app's image exports: a small, bounded render pool.

Each click on a PNG or SVG export used to start its own kaleido Chromium (about ten processes and
200 MB each, seconds to start), and nothing limited how many ran at once or stopped one whose user
had gone. :class:`RenderPool` keeps ONE renderer (kaleido with one tab, one Chromium) open in a daemon
thread's event loop, started on first use, reused for every job and started again after a failure or
a timeout (and closed after a while without work). Jobs run one at a time, in the order they came.

Admission is bounded before any work starts (:class:`Gate`): at most ``max_jobs`` jobs in the pool
(running or waiting) and ``per_owner`` per owner (a Streamlit session): beyond that a job is refused
at once with :class:`ExportRefused`. A waiting caller polls its ``alive()`` callback and cancels its job
when that turns False (the session's tab was closed): a job that waits is dropped, a job that runs is
cancelled, and its place is freed. Each job has a time limit (:class:`ExportTimeout`).

No Streamlit here (this is ``rhel_viz.plots``): the app passes the owner and ``alive`` in
(:mod:`rhel_viz.ui.figures`). kaleido's own ``GlobalKaleidoServer`` is not used: its callers share one
return queue, so concurrent callers can receive each other's images.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import os
import shutil
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import Any, Protocol

__all__ = ["ExportCancelled", "ExportRefused", "ExportTimeout", "Gate", "KaleidoRenderer", "RenderPool",
           "browser_path", "shared_pool"]

_LOG = logging.getLogger(__name__)

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

#: The shared pool's limits. Every waiting export holds one thread of Streamlit's default executor
#: (``asyncio.to_thread``: ``min(32, cores + 4)`` threads, 6 on a 2-core server, shared with Streamlit's
#: other file work), so the pool holds fewer than that: 1 running + 3 waiting overall, and per session
#: 1 running + 1 waiting.
MAX_JOBS = 4
PER_OWNER = 2
#: Jobs one session may start per minute: a visitor exporting every figure of a page (a dozen files) is
#: served, one clicking again and again cannot keep Chromium (a core) busy for everyone.
PER_OWNER_PER_MINUTE = 12
#: Seconds one job may take once it has the renderer, a Chromium start included (a PNG takes about
#: 0.2-1 s, a start 1-3 s). A waiting caller gives up after ``MAX_JOBS * JOB_TIMEOUT_S`` (120 s), before
#: the browser's own limit on a deferred download (180 s in Streamlit 1.67).
JOB_TIMEOUT_S = 30.0
POLL_S = 0.25  # how often a waiting caller asks alive()
IDLE_CLOSE_S = 300.0  # an idle renderer's Chromium is closed after this long, started again when needed


class ExportRefused(RuntimeError):
    """The pool is full, overall or for this owner: nothing was started; try again in a few seconds."""


class ExportCancelled(RuntimeError):
    """The job was cancelled: its owner went away (or the pool was closed)."""


class ExportTimeout(TimeoutError):
    """The job took longer than its time limit; the renderer is started afresh for the next job."""


def browser_path() -> str | None:
    """Point kaleido (choreographer) at the system Chromium unless ``BROWSER_PATH`` is already set."""
    if "BROWSER_PATH" not in os.environ:
        found = next((path for path in CHROMIUM_CANDIDATES if os.path.exists(path)), None)
        found = found or shutil.which("chromium")
        if found:
            os.environ["BROWSER_PATH"] = found
    return os.environ.get("BROWSER_PATH")


class Renderer(Protocol):
    """What the pool drives: opened once, asked for many images, closed."""

    async def open(self) -> None: ...

    async def render(self, fig: Any, opts: dict) -> bytes: ...

    async def close(self) -> None: ...


#: Niceness of the renderer's Chromium processes: on a shared server, pages go first and images after.
RENDER_NICE = 10


def lower_priority_of_children(nice: int = RENDER_NICE) -> int:
    """Raise the niceness of every thread of every process below this one to at least ``nice`` (Linux).

    Chromium (started by kaleido) sets its own process priorities and starts threads at them, so a nice
    wrapper around its binary does not stick; after it runs, its threads keep what they are given. A
    process may always lower its own children's priority. Returns how many threads were changed.
    """
    try:
        parents: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    with open(f"/proc/{entry}/stat") as stat:
                        parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                    parents.setdefault(parent, []).append(int(entry))
    except OSError:
        return 0
    changed, stack = 0, [os.getpid()]
    while stack:
        for child in parents.get(stack.pop(), []):
            stack.append(child)
            with contextlib.suppress(OSError):
                for thread in os.listdir(f"/proc/{child}/task"):
                    with contextlib.suppress(OSError):
                        if os.getpriority(os.PRIO_PROCESS, int(thread)) < nice:
                            os.setpriority(os.PRIO_PROCESS, int(thread), nice)
                            changed += 1
    return changed


class KaleidoRenderer:
    """kaleido with one tab: one Chromium. ``render`` takes a figure and kaleido's layout options."""

    def __init__(self) -> None:
        self._kaleido = None

    async def open(self) -> None:
        import kaleido

        browser_path()
        # mathjax=False: no MathJax script from a CDN (our figures use no LaTeX); plotly.js comes from the
        # wheel. timeout=None: the pool times each job itself.
        self._kaleido = kaleido.Kaleido(n=1, mathjax=False, timeout=None)
        await self._kaleido.open()

    async def render(self, fig: Any, opts: dict) -> bytes:
        image = await self._kaleido.calc_fig(fig, opts=opts)
        lower_priority_of_children()  # Chromium starts its processes at its own priorities
        return image

    async def close(self) -> None:
        if self._kaleido is not None:
            renderer, self._kaleido = self._kaleido, None
            await renderer.close()


class Gate:
    """Admission: at most ``total`` jobs in at once, ``per_owner`` of them per owner, and (when
    ``per_minute`` is set) at most that many started by one owner in any 60 s. Thread-safe."""

    def __init__(self, total: int, per_owner: int, what: str = "exports", per_minute: int | None = None) -> None:
        if total < 1 or per_owner < 1 or (per_minute is not None and per_minute < 1):
            raise ValueError("a gate needs room for at least one job")
        self.total, self.per_owner, self.what, self.per_minute = total, per_owner, what, per_minute
        self._lock = threading.Lock()
        self._owners: Counter[str] = Counter()
        self._started: dict[str, deque[float]] = {}

    @property
    def in_flight(self) -> int:
        with self._lock:
            return sum(self._owners.values())

    def held_by(self, owner: str) -> int:
        with self._lock:
            return self._owners[owner]

    def enter(self, owner: str) -> None:
        """Take a place for ``owner`` or raise :class:`ExportRefused` saying why."""
        with self._lock:
            if self._owners[owner] >= self.per_owner:
                raise ExportRefused(f"{self._owners[owner]} {self.what} of this session are already running or "
                                    f"waiting (at most {self.per_owner}); try again when they are done")
            if sum(self._owners.values()) >= self.total:
                raise ExportRefused(f"the server is busy with {self.total} {self.what}; try again in a few seconds")
            if self.per_minute is not None:
                now = time.monotonic()
                started = self._started.setdefault(owner, deque())
                while started and started[0] <= now - 60.0:
                    started.popleft()
                if len(started) >= self.per_minute:
                    raise ExportRefused(f"this session started {len(started)} {self.what} in the last minute (at "
                                        f"most {self.per_minute}); try again in {started[0] + 60.0 - now:.0f} s")
                started.append(now)
                for other in [key for key, times in self._started.items() if not times or times[-1] <= now - 60]:
                    del self._started[other]  # owners who went quiet leave nothing behind
            self._owners[owner] += 1

    def leave(self, owner: str) -> None:
        with self._lock:
            self._owners[owner] -= 1
            if self._owners[owner] <= 0:
                del self._owners[owner]

    @contextlib.contextmanager
    def admit(self, owner: str) -> Iterator[None]:
        self.enter(owner)
        try:
            yield
        finally:
            self.leave(owner)


class _Job:
    """One submitted job: its task in the pool's loop, and the future its caller waits on."""

    __slots__ = ("future", "owner", "task")

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.future: concurrent.futures.Future = concurrent.futures.Future()
        self.task: asyncio.Task | None = None


class RenderPool:
    """One renderer, one job at a time, bounded admission, cancellation by the caller's ``alive()``.

    ``factory`` makes a :class:`Renderer` (default: :class:`KaleidoRenderer`). ``starts`` counts renderer
    starts, ``renders`` finished jobs, ``peak`` the most jobs ever rendering at once (always 1).
    """

    def __init__(self, factory: Callable[[], Renderer] = KaleidoRenderer, *, max_jobs: int = MAX_JOBS,
                 per_owner: int = PER_OWNER, timeout_s: float = JOB_TIMEOUT_S, poll_s: float = POLL_S,
                 idle_close_s: float | None = IDLE_CLOSE_S, wait_s: float | None = None,
                 what: str = "image exports", per_minute: int | None = None) -> None:
        self._factory = factory
        self.gate = Gate(max_jobs, per_owner, what, per_minute)
        self.timeout_s, self.poll_s, self.idle_close_s = timeout_s, poll_s, idle_close_s
        self.wait_s = wait_s if wait_s is not None else max_jobs * timeout_s
        self.starts = self.renders = self.peak = 0
        self._rendering = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._turn: asyncio.Lock | None = None  # one job at a time, first come first served
        self._renderer: Renderer | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._jobs: set[asyncio.Task] = set()

    # -- the caller's side (any thread) --------------------------------------------------------------

    def render(self, fig: Any, opts: dict, *, owner: str = "local",
               alive: Callable[[], bool] | None = None) -> bytes:
        """The image of ``fig``; blocks until it is drawn. Raises :class:`ExportRefused` at once when the
        pool is full, :class:`ExportCancelled` soon after ``alive()`` turns False, :class:`ExportTimeout`,
        or the renderer's own error."""
        self.gate.enter(owner)
        job = _Job(owner)
        try:
            loop = self._ensure_loop()
            loop.call_soon_threadsafe(self._start, job, fig, opts)
        except BaseException:
            self.gate.leave(owner)
            raise
        deadline = time.monotonic() + self.wait_s
        while True:
            concurrent.futures.wait([job.future], timeout=self.poll_s)
            if job.future.done():
                return job.future.result()
            if alive is not None and not _safe(alive):
                self._cancel(loop, job)
                raise ExportCancelled(f"export cancelled: its session ({owner}) has ended")
            if time.monotonic() > deadline:
                self._cancel(loop, job)
                raise ExportTimeout(f"export gave up after waiting {self.wait_s:.0f} s")

    @property
    def running(self) -> bool:
        """Whether the renderer is open (its Chromium started)."""
        return self._renderer is not None

    def close(self, timeout: float = 10.0) -> None:
        """Cancel every job, close the renderer, stop the thread. A later ``render`` starts afresh."""
        with self._lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or not self._thread.is_alive():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=run, name="rhel-viz-renderer", daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread, self._turn = loop, thread, asyncio.Lock()
                self._renderer, self._idle, self._jobs = None, None, set()
            return self._loop

    def _cancel(self, loop: asyncio.AbstractEventLoop, job: _Job) -> None:
        # After _start (scheduled first, same loop): the task exists when this runs.
        with contextlib.suppress(RuntimeError):  # the loop was closed meanwhile: nothing left to cancel
            loop.call_soon_threadsafe(lambda: job.task is not None and job.task.cancel())

    # -- the loop's side (the pool's thread) ---------------------------------------------------------

    def _start(self, job: _Job, fig: Any, opts: dict) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        job.task = asyncio.get_running_loop().create_task(self._run(fig, opts))
        self._jobs.add(job.task)
        job.task.add_done_callback(lambda task: self._finish(job, task))

    def _finish(self, job: _Job, task: asyncio.Task) -> None:
        self._jobs.discard(task)
        self.gate.leave(job.owner)  # the place is free once the job's task has really ended
        if task.cancelled():
            job.future.set_exception(ExportCancelled("export cancelled"))
        elif task.exception() is not None:
            job.future.set_exception(task.exception())
        else:
            job.future.set_result(task.result())
        if self.idle_close_s is not None and self.gate.in_flight == 0 and self._renderer is not None:
            loop = asyncio.get_running_loop()
            self._idle = loop.call_later(self.idle_close_s, lambda: loop.create_task(self._close_if_idle()))

    async def _run(self, fig: Any, opts: dict) -> bytes:
        async with self._turn:
            self._rendering += 1
            self.peak = max(self.peak, self._rendering)
            try:
                # asyncio.timeout, not wait_for: no inner task, whose error nobody would read when
                # choreographer turns a cancellation during Chromium's start into its own error.
                async with asyncio.timeout(self.timeout_s):
                    image = await self._render(fig, opts)
            except asyncio.CancelledError:
                # The owner left. kaleido gives its tab back itself (a finally in its render task); if it
                # did not, the next job times out and the renderer is started again.
                raise
            except TimeoutError:
                await self._discard()
                raise ExportTimeout(f"export took longer than {self.timeout_s:g} s; the renderer is "
                                    f"restarted") from None
            except Exception:
                await self._discard()
                raise
            finally:
                self._rendering -= 1
            self.renders += 1
            return image

    async def _render(self, fig: Any, opts: dict) -> bytes:
        if self._renderer is None:
            renderer = self._factory()
            self.starts += 1
            try:
                await renderer.open()
            except BaseException:
                with contextlib.suppress(Exception):
                    await renderer.close()
                raise
            self._renderer = renderer
        return await self._renderer.render(fig, opts)

    async def _discard(self) -> None:
        renderer, self._renderer = self._renderer, None
        if renderer is not None:
            # Shielded: a job cancelled meanwhile must not leave a half-closed Chromium behind.
            await asyncio.shield(_close(renderer))

    async def _close_if_idle(self) -> None:
        async with self._turn:
            if self.gate.in_flight == 0:
                await self._discard()

    async def _shutdown(self) -> None:
        # Only the jobs: the renderer's own tasks (choreographer's pipe reader, its watchdog) must be
        # running for it to close.
        jobs = list(self._jobs)
        for task in jobs:
            task.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        await self._discard()


async def _close(renderer: Renderer) -> None:
    try:
        await asyncio.wait_for(renderer.close(), 10)
    except Exception:  # a dead Chromium may not close cleanly; it is dropped either way
        _LOG.warning("closing the export renderer failed", exc_info=True)


def _safe(alive: Callable[[], bool]) -> bool:
    try:
        return bool(alive())
    except Exception:  # a failing check must not kill the wait; assume the owner is still there
        _LOG.warning("alive() check failed", exc_info=True)
        return True


_SHARED: RenderPool | None = None
_SHARED_LOCK = threading.Lock()


def shared_pool() -> RenderPool:
    """The process's one pool (created on first use, closed at exit): what the app's buttons use."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = RenderPool(per_minute=PER_OWNER_PER_MINUTE)
            atexit.register(_SHARED.close)
        return _SHARED
