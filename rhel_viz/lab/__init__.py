"""Configurations in, typed results out: problems, tasks, training, guards, presets, page experiments."""
