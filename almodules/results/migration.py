"""Moving stored runs to new keys without recomputing them.

Two cases, each for results whose bits the change does not alter (verify a sample with
``python -m almodules verify`` after migrating):

* :func:`migrate_to_run_keys` converts a store written before run keys existed (schema 1: files
  named by the config hash, no data fingerprints): each run gets the fingerprints of the data
  and embeddings it is registered with now, its run key, a checksum, and a new file.
* :func:`fill_defaults` re-keys runs stored before a strategy gained a parameter whose default
  keeps the old behaviour.

Both move a run by writing its new file before removing the old one, so an interrupted call
loses nothing and a second call finishes the job.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pyarrow as pa
import pyarrow.parquet as pq

from almodules.core.atomic import canonical_json
from almodules.engine.config import RunConfig
from almodules.engine.experiment import registered_fingerprints
from almodules.results.store import SCHEMA, ResultStore

__all__ = ["migrate_to_run_keys", "fill_defaults"]

Fingerprints = Callable[[str, str], tuple]


def migrate_to_run_keys(store: ResultStore, fingerprints: Fingerprints = registered_fingerprints,
                        *, progress: bool = True) -> dict[str, str]:
    """Give every schema-1 run of ``store`` its run key; return ``{config hash: run key}``.

    ``fingerprints(dataset, embedder)`` says what the runs were computed on (its first two
    items: the data and embedding fingerprints): by default the
    data and embedder as registered here, which is right when neither changed since the runs
    were made (the caller vouches for that; ``verify`` checks a sample).
    """
    cache: dict[tuple[str, str], tuple[str, str]] = {}
    moved = {}
    old_files = [p for p in sorted((store.root / "runs").glob("*/*.parquet"))
                 if "run_key" not in pq.read_schema(p).names]
    for i, path in enumerate(old_files, start=1):
        old = pq.read_table(path)
        config = RunConfig.from_dict(old["config"][0].as_py())
        pair = (config.dataset, config.embedder)
        if pair not in cache:
            cache[pair] = fingerprints(*pair)
        data_fp, embedding_fp = cache[pair][:2]
        key = config.run_key(data_fp, embedding_fp)
        added = {"run_key": key, "data_fingerprint": data_fp, "embedding_fingerprint": embedding_fp,
                 "code_versions": canonical_json(config.code_versions()), "checksum": ""}
        columns = {name: (pa.array([added[name]] * len(old), SCHEMA.field(name).type) if name in added
                          else old[name].cast(SCHEMA.field(name).type)) for name in SCHEMA.names}
        store.write_table(pa.table(columns, schema=SCHEMA))
        if store.path(key) != path:
            path.unlink()
        moved[config.config_hash] = key
        if progress and i % 500 == 0:
            print(f"{i} of {len(old_files)} runs re-keyed", flush=True)
    return moved


def fill_defaults(store: ResultStore) -> dict[str, str]:
    """Re-key the stored runs whose configs lack a strategy parameter added since they ran.

    Every stored config is completed with the current defaults; where that changes it, the run
    moves to the key of the completed config (its ``config_hash`` and ``config`` updated). Use it
    only right after adding a parameter whose default reproduces what the strategy did before.

    Returns
    -------
    dict
        ``{old run key: new run key}``.
    """
    def completed(run: dict):
        config = RunConfig.create(**json.loads(run["config"]))
        if config.to_json() == run["config"]:
            return None
        key = config.run_key(run["data_fingerprint"], run["embedding_fingerprint"])
        return key, {"config_hash": config.config_hash, "config": config.to_json(),
                     "code_versions": canonical_json(config.code_versions())}

    return store.rekey(completed)
