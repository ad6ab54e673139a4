"""Compiled fast path of `engine.stepping` (none yet: every member steps through numpy)."""


def fast_runner(problem, optimizer, rows, lrs, xi):
    """A compiled runner for this (surface, optimizer) pair, or None for the numpy path."""
    return None
