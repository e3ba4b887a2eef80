"""Where compiled XLA programs are kept between processes: JAX's persistent compilation cache, on by
default for the app, the command line and the benchmarks.

A program compiled once (by any rhel-viz process on this machine) then loads from disk in a fraction of a
second instead of compiling for 3-15 s, also after a server restart and after the server released its
compiled programs under its memory ceiling (:mod:`rhel_viz.lab.memory`).

Where, in order of precedence:

* ``JAX_COMPILATION_CACHE_DIR`` (JAX's own variable; the test suite uses it): JAX's settings are left alone.
* ``RHEL_VIZ_COMPILE_CACHE``: a folder, or ``off`` (also ``0``, ``false``, ``no``, or empty) for no cache.
* otherwise the user's cache folder (``platformdirs``): ``~/.cache/rhel-viz/jax`` on Linux.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import jax
import platformdirs

__all__ = ["CACHE_ENV", "MAX_BYTES", "OFF_VALUES", "active_dir", "cache_dir", "configure", "default_dir"]

CACHE_ENV = "RHEL_VIZ_COMPILE_CACHE"
OFF_VALUES = frozenset({"", "off", "0", "false", "no", "none"})
MAX_BYTES = 2 * 1024**3  # least recently used entries go beyond this


def default_dir() -> Path:
    """The user's cache folder for rhel-viz's compiled programs."""
    return Path(platformdirs.user_cache_dir("rhel-viz")) / "jax"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder rhel-viz chooses from ``environ`` (default: the process's), None for no cache. It does not
    look at ``JAX_COMPILATION_CACHE_DIR``, which :func:`configure` lets win."""
    environ = os.environ if environ is None else environ
    if CACHE_ENV not in environ:
        return default_dir()
    value = environ[CACHE_ENV].strip()
    return None if value.lower() in OFF_VALUES else Path(value).expanduser()


def configure() -> Path | None:
    """Turn JAX's persistent cache on in :func:`cache_dir` (every program kept, however fast it compiled);
    returns the folder in use, None when there is none. Call it before anything compiles.

    A folder that cannot be created (a read-only home) means no cache: everything still works, slower.
    """
    if os.environ.get("JAX_COMPILATION_CACHE_DIR") or jax.config.jax_compilation_cache_dir:
        return active_dir()
    folder = cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    if _can_bound_size():
        jax.config.update("jax_compilation_cache_max_size", MAX_BYTES)
    if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return folder


def _can_bound_size() -> bool:
    """JAX bounds the cache with ``filelock`` (a requirement); without it, asked to, JAX would keep nothing."""
    try:
        import filelock  # noqa: F401
    except ImportError:
        return False
    return True


def active_dir() -> Path | None:
    """The folder JAX keeps compiled programs in now, None when it keeps none."""
    folder = jax.config.jax_compilation_cache_dir or os.environ.get("JAX_COMPILATION_CACHE_DIR")
    return Path(folder) if folder else None
