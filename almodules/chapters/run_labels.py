"""Runs that differ only by a strategy parameter, told apart in tables and figures (e.g. TYROGUE's ``r``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from almodules.engine.config import RunConfig

__all__ = ["param_labels", "relabel"]


def param_labels(configs: Sequence[RunConfig], param: str) -> dict[str, str]:
    """``{config_hash: "<strategy> <param>=<value>"}`` for configs whose strategy has ``param``."""
    labels = {}
    for c in configs:
        params = dict(c.strategy_params)
        if param in params:
            labels[c.config_hash] = f"{c.strategy} {param}={params[param]}"
    return labels


def relabel(cycles: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """A copy of ``cycles`` whose ``strategy`` is replaced by ``labels[config_hash]`` where given."""
    out = cycles.copy()
    mapped = out["config_hash"].map(labels)
    out["strategy"] = mapped.where(mapped.notna(), out["strategy"])
    return out
