"""Placeholder: implemented in the engine issue."""

__all__ = ["falcun", "contrastive", "reference_select"]


def falcun(state, b, rng, **params):
    raise NotImplementedError("falcun")


def contrastive(state, b, rng, **params):
    raise NotImplementedError("contrastive")


def reference_select(name, state, b, rng, **params):
    raise NotImplementedError("reference_select")
