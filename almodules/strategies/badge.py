"""Placeholder: implemented in the engine issue."""

__all__ = ["badge"]


def badge(state, b, rng, **params):
    raise NotImplementedError("badge")
