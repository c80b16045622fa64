"""Placeholder: implemented in the engine issue."""

__all__ = ["typiclust"]


def typiclust(state, b, rng, **params):
    raise NotImplementedError("typiclust")
