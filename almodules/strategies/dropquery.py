"""Placeholder: implemented in the engine issue."""

__all__ = ["dropquery"]


def dropquery(state, b, rng, **params):
    raise NotImplementedError("dropquery")
