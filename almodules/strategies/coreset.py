"""Placeholder: implemented in the engine issue."""

__all__ = ["coreset"]


def coreset(state, b, rng, **params):
    raise NotImplementedError("coreset")
