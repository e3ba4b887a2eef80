"""Configurations in, typed results out: problems, tasks, training, guards, presets, page experiments
(one module per page: echo, gradient_lab, deep; what they share in runs)."""
