"""JAX's persistent compilation cache as rhel-viz sets it (rhel_viz.lab.compile_cache): the folder chosen
from the environment, honoured by a real process, and off when asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rhel_viz.lab import compile_cache
from tests.helpers import ROOT


def test_the_folder_comes_from_the_environment():
    assert compile_cache.cache_dir({}) == compile_cache.default_dir()
    assert compile_cache.default_dir().parts[-2:] == ("rhel-viz", "jax")
    assert compile_cache.cache_dir({compile_cache.CACHE_ENV: "/srv/cache"}) == Path("/srv/cache")
    for off in ("off", "OFF", "0", "false", "no", "", " "):
        assert compile_cache.cache_dir({compile_cache.CACHE_ENV: off}) is None


def _check(tmp_path: Path, **environ: str) -> Path:
    """Run ``python -m rhel_viz check`` (it compiles) with a home of its own; returns that home."""
    home = tmp_path / "home"
    env = {key: value for key, value in os.environ.items()
           if key not in ("JAX_COMPILATION_CACHE_DIR", compile_cache.CACHE_ENV)}  # the test suite sets the first
    env.update(XDG_CACHE_HOME=str(home / ".cache"), HOME=str(home), **environ)
    subprocess.run([sys.executable, "-m", "rhel_viz", "check", "--steps", "10", "--json"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=300)
    return home


def _entries(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@pytest.mark.parametrize("where", ["default", "folder", "off"])
def test_a_process_keeps_its_programs_where_it_is_told(tmp_path, where):
    folder = tmp_path / "elsewhere"
    environ = {"default": {}, "folder": {compile_cache.CACHE_ENV: str(folder)},
               "off": {compile_cache.CACHE_ENV: "off"}}[where]
    home = _check(tmp_path, **environ)
    in_home, in_folder = _entries(home / ".cache" / "rhel-viz" / "jax"), _entries(folder)
    if where == "default":
        assert len(in_home) >= 5 and not in_folder
    elif where == "folder":
        assert len(in_folder) >= 5 and not in_home
    else:
        assert not in_home and not in_folder and not _entries(home)
