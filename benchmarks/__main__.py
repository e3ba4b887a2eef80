"""``python -m benchmarks [NAME ...] [--json]`` (also reached as ``python -m rhel_viz bench``): run benchmarks
and print their figures, as a table or as JSON (one benchmark's JSON is printed unwrapped)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import jax

from benchmarks import bench
from rhel_viz.lab import compile_cache


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*",
                        help=f"benchmarks to run (default: all): {', '.join(sorted(bench.BENCHMARKS))}")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    jax.config.update("jax_enable_x64", True)  # the benchmarks compare float32 and float64 runs
    # As the app and the command line: compiled programs load from disk when an earlier run made them, so an
    # in-process "warm-up/compile" figure may be a load from disk (said on stderr). The first-load figure of
    # `interactive` comes from a fresh process without the cache. RHEL_VIZ_COMPILE_CACHE=off: no cache at all.
    folder = compile_cache.configure()
    sys.stderr.write(f"compile cache: {folder or 'off'}\n")
    unknown = sorted(set(args.names) - set(bench.BENCHMARKS))
    if unknown:
        sys.stderr.write(f"python -m benchmarks: error: unknown benchmark {unknown}; "
                         f"choose from {sorted(bench.BENCHMARKS)}\n")
        return 2
    names = args.names or sorted(bench.BENCHMARKS)
    results = {name: bench.BENCHMARKS[name]() for name in names}
    if args.json:
        print(json.dumps(results[names[0]] if len(names) == 1 else results))
    else:
        for name, figures in results.items():
            print(f"== {name}")
            print_figures(figures)
    return 0


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def print_figures(figures: dict[str, Any], indent: str = "  ") -> None:
    """A benchmark's figures as text: scalars one per line, lists of rows as an aligned table
    (one row per configuration), nested dicts indented under their key."""
    for key, value in figures.items():
        if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            columns = list(dict.fromkeys(column for row in value for column in row))
            shared = {column for column in columns if len({_cell(row.get(column, "")) for row in value}) == 1}
            print(f"{indent}{key}:")
            for column in (column for column in columns if column in shared):
                print(f"{indent}  {column} = {_cell(value[0].get(column, ''))} in every row")
            columns = [column for column in columns if column not in shared]
            cells = [[_cell(row.get(column, "")) for column in columns] for row in value]
            widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
            print(indent + "  " + "  ".join(column.rjust(width) for column, width in zip(columns, widths, strict=True)))
            for line in cells:
                print(indent + "  " + "  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))
        elif isinstance(value, dict):
            print(f"{indent}{key}:")
            print_figures(value, indent + "  ")
        else:
            print(f"{indent}{key:<40} {_cell(value) if isinstance(value, float) else value}")


if __name__ == "__main__":
    sys.exit(main())
