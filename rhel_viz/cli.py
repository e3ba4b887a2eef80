"""The command line: ``python -m rhel_viz check ...`` compares RHEL with BPTT on one problem;
``bench`` times it; ``export --preset NAME --out DIR`` writes a lecture preset's figures and data."""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jax

from rhel_viz.core.bptt import BPTT
from rhel_viz.core.integrators import integrator_named
from rhel_viz.core.metrics import agreement
from rhel_viz.core.problem import gradients
from rhel_viz.core.rhel import RHEL, echo_retrace_error, rhel_trace
from rhel_viz.lab import compile_cache, guards
from rhel_viz.lab.gradient_lab import GradientLabSettings
from rhel_viz.lab.problems import ProblemConfig, build_problem
from rhel_viz.lab.rules import InvalidInput, OneOf, Range, Rule, default_of, parser_type, rules_of
from rhel_viz.lab.train import UPDATES

#: The config field behind each ``check`` flag (by argparse ``dest``): its rule and default are the field's.
CHECK_FIELDS: dict[str, type] = {
    **dict.fromkeys(("system", "loss", "dtype", "steps", "step_size", "seed"), ProblemConfig),
    **dict.fromkeys(("eps", "damping", "integrator", "estimator"), GradientLabSettings),
}


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad flag gives one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _rule(dest: str) -> Rule:
    return rules_of(CHECK_FIELDS[dest])[dest]


def _field(dest: str, **extra: Any) -> dict[str, Any]:
    """``add_argument`` keywords of a ``check`` flag from its config field: a checked number type or the
    allowed names, and the field's default."""
    rule = _rule(dest)
    kind = ({"type": parser_type(rule, argparse.ArgumentTypeError)} if isinstance(rule, Range)
            else {"choices": list(rule.options)} if isinstance(rule, OneOf) else {})
    return {**kind, "default": default_of(CHECK_FIELDS[dest], dest), **extra}


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m rhel_viz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    check = commands.add_parser("check", help="compare RHEL and BPTT gradients on one problem")
    check.add_argument("--system", **_field("system", choices=sorted(_rule("system").options)))
    check.add_argument("--loss", **_field("loss"))
    check.add_argument("--dtype", **_field("dtype"))
    check.add_argument("--eps", **_field("eps", help="nudging strength"))
    check.add_argument("--steps", **_field("steps", help="sequence length N"))
    check.add_argument("--step-size", **_field("step_size", help="integrator step h"))
    check.add_argument("--seed", **_field("seed"))
    check.add_argument("--damping", **_field("damping", help="friction gamma (breaks RHEL)"))
    check.add_argument("--integrator", **_field("integrator"))
    check.add_argument("--estimator", **_field("estimator"))
    check.add_argument("--json", action="store_true", help="print one JSON object")
    bench = commands.add_parser("bench", help="run benchmarks (timings, memory) and print their figures")
    bench.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    export = commands.add_parser("export", help="write a preset's figures (PNG, SVG), animations (HTML) and data "
                                 "(CSV, NPZ) into a directory")
    export.add_argument("--preset", required=True, help="preset name or slug (see assets/presets.json)")
    export.add_argument("--out", required=True, help="output directory (created if missing)")
    export.add_argument("--updates", type=parser_type(UPDATES, argparse.ArgumentTypeError), default=None,
                        help="training presets: updates before export (default: the exporter's)")
    export.add_argument("--no-images", action="store_true", help="skip PNG/SVG (no Chromium needed)")
    export.add_argument("--force", action="store_true", help="write into a non-empty directory, overwriting files")
    return parser


def run_check(config: ProblemConfig, eps: float, damping: float = 0.0, integrator: str = "leapfrog",
              estimator: str = "centred") -> dict[str, Any]:
    """RHEL against BPTT on one problem; the report of ``python -m rhel_viz check --json``.

    Guarded: out-of-range values raise :class:`InvalidInput`, too large a run :class:`~rhel_viz.lab.guards.OverBudget`.
    """
    GradientLabSettings(eps=eps, damping=damping, integrator=integrator, estimator=estimator)  # checks them
    problem = build_problem(config)
    guards.check_budget("check", config.steps, problem.system.position_size)
    physics = {"integrator": integrator_named(integrator), "damping": damping}
    rhel = gradients(problem, RHEL(eps, estimator), **physics)
    bptt = gradients(problem, BPTT(), **physics)
    trace = rhel_trace(problem, 0.0, **physics)
    overall = agreement((rhel.params, rhel.inputs), (bptt.params, bptt.inputs))
    inputs = agreement(rhel.inputs, bptt.inputs)
    return {
        "system": config.system,
        "loss": config.loss,
        "dtype": config.dtype,
        "eps": eps,
        "steps": config.steps,
        "step_size": config.step_size,
        "seed": config.seed,
        "damping": damping,
        "integrator": integrator,
        "estimator": estimator,
        "loss_value": float(rhel.loss),
        "params": {name: agreement(rhel.params[name], bptt.params[name]) for name in sorted(bptt.params)},
        "inputs": {"rel_error": inputs["rel_error"], "cosine": inputs["cosine"]},
        "overall": {"rel_error": overall["rel_error"], "cosine": overall["cosine"]},
        "echo_retrace_error": float(echo_retrace_error(trace)),
    }


#: Largest max |E_k - Sigma_z Phi_{N-k}| of the free echo that still counts as retracing (round-off of each dtype).
RETRACE_TOLERANCE = {"float64": 1e-8, "float32": 1e-3}
#: Below this overall cosine, RHEL and BPTT are said to disagree.
MIN_COSINE = 0.999


def strict_json(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (JSON has no NaN or Infinity)."""
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _numbers(value: Any) -> list[float]:
    if isinstance(value, dict):
        return [number for item in value.values() for number in _numbers(item)]
    return [value] if isinstance(value, float) else []


def check_warnings(report: dict[str, Any]) -> list[str]:
    """What makes a ``check`` report misleading: non-finite values, an echo that does not retrace, RHEL
    disagreeing with BPTT, or an eps lost in float32 round-off. Empty when the comparison is sound."""
    warnings = []
    if not all(math.isfinite(number) for number in _numbers(report)):
        warnings.append("the run produced NaN or infinite values: lower the step size or the number of steps")
    retrace = report["echo_retrace_error"]
    if math.isfinite(retrace) and retrace > RETRACE_TOLERANCE[report["dtype"]]:
        warnings.append(f"the free echo does not retrace the forward run (max error {retrace:.1e}): friction, a "
                        "non-reversible integrator or chaos over a long run break RHEL's premise")
    cosine = report["overall"]["cosine"]
    if math.isfinite(cosine) and cosine < MIN_COSINE:
        warnings.append(f"RHEL disagrees with BPTT (overall cosine {cosine:.3f})")
    if guards.eps_too_small(report["dtype"], report["eps"]):
        warnings.append(f"eps = {report['eps']:g} is below float32's round-off floor for states of size 1 "
                        f"({guards.FLOAT32_MIN_RELATIVE_EPS:g}): the two echoes cancel")
    return warnings


def _print_table(report: dict[str, Any]) -> None:
    print(f"RHEL vs BPTT  system={report['system']} loss={report['loss']} dtype={report['dtype']} "
          f"eps={report['eps']:g} steps={report['steps']} h={report['step_size']:g} "
          f"integrator={report['integrator']} damping={report['damping']:g} estimator={report['estimator']}")
    print(f"{'gradient':<12} {'rel_error':>12} {'cosine':>12} {'norm_ratio':>12}")
    for name, row in report["params"].items():
        print(f"{name:<12} {row['rel_error']:>12.3e} {row['cosine']:>12.9f} {row['norm_ratio']:>12.9f}")
    for name in ("inputs", "overall"):
        row = report[name]
        print(f"{name:<12} {row['rel_error']:>12.3e} {row['cosine']:>12.9f} {'':>12}")
    print(f"loss = {report['loss_value']:.9g}   echo retrace error (eps=0) = {report['echo_retrace_error']:.3e}")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    jax.config.update("jax_enable_x64", True)  # --dtype float64 must mean float64
    compile_cache.configure()  # programs compiled by an earlier run (or the app) load from disk
    if args.command == "check":
        try:
            config = ProblemConfig(system=args.system, loss=args.loss, steps=args.steps, step_size=args.step_size,
                                   seed=args.seed, dtype=args.dtype)
            report = run_check(config, args.eps, args.damping, args.integrator, args.estimator)
        except InvalidInput as error:
            sys.stderr.write(f"python -m rhel_viz check: error: {error}\n")
            return 2
        warnings = check_warnings(report)
        if args.json:
            print(json.dumps({**strict_json(report), "warnings": warnings}, allow_nan=False))
        else:
            _print_table(report)
        for warning in warnings:
            sys.stderr.write(f"python -m rhel_viz check: warning: {warning}\n")
    if args.command == "bench":
        return _run_bench(args.names, args.json)
    if args.command == "export":
        return _run_export(args.preset, args.out, args.updates, not args.no_images, args.force)
    return 0


def export_target_problem(out: Path, force: bool = False) -> str | None:
    """Why ``out`` cannot take an export (checked before anything is computed), or None when it can.

    It must be a directory or not exist yet, inside a writable directory; an existing non-empty directory
    is refused unless ``force`` (files of the same name are then overwritten).
    """
    try:
        return _target_problem(out, force)
    except OSError as error:  # e.g. a name longer than the file system allows: even exists() raises
        return f"--out {out} cannot be used: {error.strerror or error}"


def _target_problem(out: Path, force: bool) -> str | None:
    if out.exists() and not out.is_dir():
        return f"--out {out} exists and is not a directory"
    if out.is_dir():
        if any(out.iterdir()) and not force:
            return f"--out {out} is not empty; pass --force to overwrite files of the same name"
        return None if os.access(out, os.W_OK) else f"--out {out} is not writable"
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"--out {out} is inside {parent}, which is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"--out {out} cannot be created: {parent} is not writable"
    return None


def _run_export(name: str, out: str, updates: int | None, images: bool, force: bool = False) -> int:
    from rhel_viz.export import DEFAULT_TRAINING_UPDATES, PAGE_FIGURES, export_preset
    from rhel_viz.lab.presets import get_preset

    try:
        preset = get_preset(name)
    except ValueError as error:
        sys.stderr.write(f"python -m rhel_viz export: error: {error}\n")
        return 2
    if preset.page not in PAGE_FIGURES:
        sys.stderr.write(f"python -m rhel_viz export: error: preset {preset.name!r} is on page {preset.page!r}, "
                         f"which has no exporter; exportable pages: {sorted(PAGE_FIGURES)}\n")
        return 2
    problem = export_target_problem(Path(out), force)
    if problem:
        sys.stderr.write(f"python -m rhel_viz export: error: {problem}\n")
        return 2
    updates = DEFAULT_TRAINING_UPDATES if updates is None else updates
    target = Path(out)
    made = _outermost_missing(target)  # what mkdir(parents=True) will create; removed again on failure
    present = set(target.iterdir()) if made is None else set()
    try:
        _probe(target)  # create the folder and write a file there now: a bad target costs no computation
        written = export_preset(preset, target, training_updates=updates, images=images)
    except (InvalidInput, OSError) as error:  # a value the widgets do not offer, over the budget; or unwritable
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        else:
            for path in set(target.iterdir()) - present:
                path.unlink(missing_ok=True)
        reason = (error if isinstance(error, InvalidInput)
                  else f"cannot write into --out {out}: {error.strerror or error}")
        sys.stderr.write(f"python -m rhel_viz export: error: {reason}\n")
        return 2
    for path in written:
        print(path)
    return 0


def _probe(folder: Path) -> None:
    """Create ``folder`` and write and remove a file in it (raises OSError: too long a name, a read-only or
    virtual file system, which permission bits alone do not tell, e.g. for root)."""
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / ".rhel-viz-write-test"
    probe.write_bytes(b"")
    probe.unlink()


def _outermost_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (None when ``path`` exists)."""
    missing = None
    while not path.exists():
        missing, path = path, path.parent
    return missing


def _run_bench(names: list[str], as_json: bool) -> int:
    """Forward to ``python -m benchmarks`` (a folder beside the package, in a checkout): the package itself
    never imports what only measures it."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / "benchmarks" / "__main__.py").exists():
        sys.stderr.write("python -m rhel_viz bench: error: the benchmarks live in the repository's benchmarks/ "
                         "folder, which this installation does not have\n")
        return 2
    command = [sys.executable, "-m", "benchmarks", *names, *(["--json"] if as_json else [])]
    return subprocess.call(command, cwd=root)
