"""Agreement between two gradients (PyTrees or arrays): relative error, cosine, norm ratio."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np


def _flat(tree: Any) -> np.ndarray:
    leaves = [np.ravel(np.asarray(leaf, dtype=np.float64)) for leaf in jax.tree.leaves(tree)]
    return np.concatenate(leaves) if leaves else np.zeros(0)


def relative_error(estimate: Any, reference: Any) -> float:
    """|estimate - reference| / |reference| over all leaves (inf if the reference is zero and they differ)."""
    est, ref = _flat(estimate), _flat(reference)
    diff = np.linalg.norm(est - ref)
    norm = np.linalg.norm(ref)
    if norm == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return float(diff / norm)


def cosine(estimate: Any, reference: Any) -> float:
    """Cosine similarity of the flattened gradients (nan if either is zero)."""
    est, ref = _flat(estimate), _flat(reference)
    denom = np.linalg.norm(est) * np.linalg.norm(ref)
    return float(np.dot(est, ref) / denom) if denom > 0 else float("nan")


def norm_ratio(estimate: Any, reference: Any) -> float:
    """|estimate| / |reference| (nan if the reference is zero)."""
    ref = np.linalg.norm(_flat(reference))
    return float(np.linalg.norm(_flat(estimate)) / ref) if ref > 0 else float("nan")


def agreement(estimate: Any, reference: Any) -> dict[str, float]:
    """All three measures in one dict."""
    return {
        "rel_error": relative_error(estimate, reference),
        "cosine": cosine(estimate, reference),
        "norm_ratio": norm_ratio(estimate, reference),
    }
