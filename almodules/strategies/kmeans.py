"""Placeholder: implemented in the engine issue."""

__all__ = ["kmeans"]


def kmeans(state, b, rng, **params):
    raise NotImplementedError("kmeans")
