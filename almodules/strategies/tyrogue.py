"""Placeholder: implemented in the engine issue."""

__all__ = ["tyrogue"]


def tyrogue(state, b, rng, **params):
    raise NotImplementedError("tyrogue")
