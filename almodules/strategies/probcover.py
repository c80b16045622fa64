"""Placeholder: implemented in the engine issue."""

__all__ = ["probcover"]


def probcover(state, b, rng, **params):
    raise NotImplementedError("probcover")
