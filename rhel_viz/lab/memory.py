"""A ceiling on the memory of compiled programs (no streamlit).

JAX keeps every program it compiles for the life of the process: about 20 MB each for the Echo view's
programs, more for the Gradient lab's. The controls offer a finite set of static choices (sequence lengths
from fixed lists, fixed option lists; :func:`rhel_viz.ui.params.reachable_programs` counts them: 309
programs), far more memory than a small server has. So when the process's resident memory passes
:data:`RELEASE_AT_MB`, :func:`relieve` drops every compiled program (``jax.clear_caches``), collects the
garbage and hands the freed heap back to the system (glibc's ``malloc_trim``). The next use of a dropped
program compiles it again, or loads it from JAX's persistent compilation cache on disk when the app set one
(``rhel_viz.ui.shell.configure_jax``): a fraction of a second instead of seconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import jax

from rhel_viz.lab.costs import COMPILED, CompiledPrograms

#: Resident memory (MB) above which compiled programs are released; ``RHEL_VIZ_RELEASE_AT_MB`` overrides it.
#: The server starts at ~0.4 GB and the result and figure caches are bounded (:mod:`rhel_viz.ui.cache`), so
#: the compiled programs get most of the difference; a computation that runs meanwhile adds its own peak.
RELEASE_AT_MB = float(os.environ.get("RHEL_VIZ_RELEASE_AT_MB", "1000"))
_lock = threading.Lock()


def resident_mb() -> float:
    """This process's resident memory (VmRSS) in MB; 0 where /proc is missing (then nothing is released)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _trim_heap() -> None:
    """Return freed heap pages to the system (glibc); without it the resident size stays at its peak."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:
        pass


@dataclass(frozen=True)
class Release:
    """What :func:`relieve` did: resident MB before and after, and how many programs it dropped."""

    before_mb: float
    after_mb: float
    programs: int


#: The latest releases of this process (reported by the benchmarks), newest last.
releases: deque[Release] = deque(maxlen=64)


def release_compiled(compiled: CompiledPrograms = COMPILED) -> Release:
    """Drop every compiled program now (and forget that they were compiled)."""
    with _lock:
        before, count = resident_mb(), len(compiled)
        jax.clear_caches()
        compiled.clear()
        gc.collect()
        _trim_heap()
        release = Release(before, resident_mb(), count)
        releases.append(release)
        return release


def relieve(release_at_mb: float | None = None, compiled: CompiledPrograms = COMPILED) -> Release | None:
    """:func:`release_compiled` when resident memory is above ``release_at_mb`` (default :data:`RELEASE_AT_MB`)."""
    limit = RELEASE_AT_MB if release_at_mb is None else release_at_mb
    if resident_mb() <= limit:
        return None
    return release_compiled(compiled)
