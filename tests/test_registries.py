"""The registration API of the dataset and embedder registries, and the one error class for bad input."""

from __future__ import annotations

import dataclasses

import pytest

from almodules.core.validation import ConfigError, NumberRule, check_int, check_number
from almodules.datasets.registry import DATASETS, DatasetSpec, register_dataset, unregister_dataset
from almodules.embeddings.encoders import ENCODERS
from almodules.embeddings.registry import EMBEDDERS, EmbedderSpec, register_embedder, unregister_embedder


def test_a_registered_dataset_is_usable_by_name_until_removed():
    spec = DatasetSpec("my_set", "My set", "user", ("a", "b"), n_train=10)
    register_dataset(spec)
    try:
        assert DATASETS["my_set"] is spec
        with pytest.raises(ConfigError, match="already registered"):
            register_dataset(spec)
        register_dataset(dataclasses.replace(spec, title="Mine"), replace=True)
        assert DATASETS["my_set"].title == "Mine"
    finally:
        unregister_dataset("my_set")
    assert "my_set" not in DATASETS


def test_built_in_entries_can_be_neither_replaced_nor_removed():
    with pytest.raises(ConfigError, match="already registered"):
        register_dataset(DATASETS["trec6"], replace=True)
    with pytest.raises(ConfigError, match="built in"):
        unregister_dataset("trec6")
    with pytest.raises(ConfigError, match="already registered"):
        register_embedder(EMBEDDERS["tfidf-svd"], replace=True)
    with pytest.raises(ConfigError, match="built in"):
        unregister_embedder("tfidf-svd")
    with pytest.raises(TypeError):  # the registries are read-only views
        DATASETS["x"] = DATASETS["trec6"]


def test_a_registered_embedder_must_name_a_known_backend():
    with pytest.raises(ConfigError, match="unknown backend 'magic'; allowed values: " + ", ".join(sorted(ENCODERS))):
        EmbedderSpec(name="m", title="M", backend="magic", dim=4)
    spec = register_embedder(EmbedderSpec(name="my-emb", title="M", backend="tfidf-svd", dim=8, pooling=None))
    try:
        assert EMBEDDERS["my-emb"] is spec
    finally:
        unregister_embedder("my-emb")


def test_config_errors_are_value_and_type_errors_with_the_parameter_named():
    with pytest.raises(ConfigError, match="seed must be an integer, got '3'") as info:
        check_int("seed", "3")
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    with pytest.raises(ConfigError, match="gamma must be a finite number, got nan"):
        check_number("gamma", float("nan"))
    with pytest.raises(ConfigError, match="p must be < 1"):
        check_number("p", 1, below=1)
    assert NumberRule(optional=True).check("x", None) is None
    with pytest.raises(ConfigError, match="r must be >= 1"):
        NumberRule(integer=True, minimum=1).check("r", 0)
