"""Old import paths of release 0.1 (flat modules), kept working for one release with a warning.

Release 0.2 put the modules into subpackages along the data flow (see the README). Code that
imports an old path, ``from almodules.grid import get_or_run`` say, gets the module at its new
path (the same object) and a :class:`DeprecationWarning` that names it. :data:`MOVED` is the
changelog of these moves; ``almodules.datasets``, ``almodules.embeddings``, ``almodules.labeling``,
``almodules.chapters`` and ``almodules.figures`` are packages now that export what the old
modules of those names exported, so they need no entry. Remove this module in release 0.3.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

__all__ = ["MOVED", "install"]

MOVED: dict[str, str] = {
    "advisor": "chapters.advice",
    "analysis": "study.analysis",
    "atomic": "core.atomic",
    "cached_encoders": "embeddings.cached_encoders",
    "claim_measures": "study.claim_measures",
    "claims": "results.claim_files",
    "config": "engine.config",
    "dataset_checks": "datasets.checks",
    "dataset_registry": "datasets.registry",
    "dataset_sources": "datasets.sources",
    "derived_embedders": "embeddings.derived",
    "devices": "embeddings.devices",
    "diagnostics": "study.diagnostics",
    "embedders": "embeddings.registry",
    "embedding_cache": "embeddings.cache",
    "embedding_figures": "figures.embeddings",
    "embedding_measures": "study.embedding_measures",
    "embedding_properties": "study.properties",
    "encoders": "embeddings.encoders",
    "experiment": "engine.experiment",
    "grid": "results.grid",
    "hub_datasets": "datasets.hub",
    "hub_references": "core.hub_references",
    "imported_embeddings": "embeddings.imported",
    "label_cost": "study.label_cost",
    "labeling_console": "labeling.terminal",
    "labeling_widget": "labeling.widget",
    "local_datasets": "datasets.local",
    "local_embedders": "embeddings.local",
    "model_files": "embeddings.model_files",
    "notebooks": "chapters",
    "paths": "core.paths",
    "plot_style": "figures.plot_style",
    "pooling": "embeddings.pooling",
    "probe": "engine.probe",
    "property_analysis": "study.property_analysis",
    "property_figures": "figures.properties",
    "provenance": "core.provenance",
    "rankings": "study.rankings",
    "registry": "core.registry",
    "reproduce": "study.reproduce",
    "store": "results.store",
    "store_migration": "results.migration",
    "strategies": "engine.strategies",
    "student_notebooks": "chapters.student_copies",
    "summaries": "study.summaries",
    "validation": "core.validation",
    "verdicts": "study.verdicts",
}
"""Old module (under ``almodules``) -> its new path (under ``almodules``)."""


def _new_name(fullname: str) -> str | None:
    head, _, tail = fullname.removeprefix("almodules.").partition(".")
    if not fullname.startswith("almodules.") or head not in MOVED:
        return None
    return "almodules." + MOVED[head] + (f".{tail}" if tail else "")


class _Alias(importlib.abc.Loader):
    def __init__(self, new: str):
        self.new = new

    def create_module(self, spec):
        warnings.warn(f"{spec.name} moved to {self.new}; the old path works until almodules 0.3",
                      DeprecationWarning, stacklevel=2)
        return importlib.import_module(self.new)

    def exec_module(self, module) -> None:
        """Nothing to run: the module at the new path is already executed."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        new = _new_name(fullname)
        return None if new is None else importlib.util.spec_from_loader(fullname, _Alias(new))


def install() -> None:
    """Serve the old paths; idempotent.

    First among the finders: an old path's submodules (``almodules.strategies.typiclust``) would
    otherwise be found again under the aliased package's folder and loaded a second time. No real
    module is shadowed: the old names no longer exist in the package.
    """
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
