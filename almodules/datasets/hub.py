"""Datasets by Hugging Face hub id: ``hub:OWNER/NAME[:CONFIG][?options]`` wherever a dataset is named.

The dataset is loaded with ``datasets.load_dataset`` from the hub, or from the Hugging Face cache
when ``HF_HUB_OFFLINE=1`` (a copy downloaded earlier), and registered under
``owner--name[--config]``. Options (:data:`HUB_OPTIONS`) map its columns and splits::

    text=COLUMN          the text (default: text)
    text_pair=COLUMN     the second text of a pair task (default: none)
    label=COLUMN         the label (default: label)
    splits=TRAIN,TEST    the splits used as train and test (default: train,test); with one split
                         only, a stratified test_fraction of its distinct texts is held out
    test_fraction=F      (default 0.2, split_seed 0)

Classes: the names of a ``ClassLabel`` label column in its order; otherwise the labels found in
the splits, sorted. Python users call :func:`hub_dataset` with the same options as arguments.
"""

from __future__ import annotations

from collections.abc import Sequence

from almodules.core.hub_references import parse_reference, registry_slug
from almodules.core.validation import ConfigError, check_number
from almodules.datasets.registry import DATASETS, DatasetSpec, register_dataset
from almodules.datasets.sources import DatasetUnavailableError, SourceUnavailable, load_hub_splits

__all__ = ["HUB_OPTIONS", "find_hub_dataset", "hub_dataset"]

HUB_OPTIONS: tuple[str, ...] = ("text", "text_pair", "label", "splits", "test_fraction")
"""Options of a ``hub:`` dataset name."""


def hub_dataset(hub_id: str, *, config: str | None = None, text: str = "text", text_pair: str | None = None,
                label: str = "label", splits: Sequence[str] = ("train", "test"), test_fraction: float = 0.2,
                name: str | None = None) -> str:
    """Register a hub dataset for this process and return its registry name.

    Parameters
    ----------
    hub_id : str
        ``OWNER/NAME`` on the Hugging Face hub.
    config : str, optional
        The dataset config (``datasets.load_dataset(hub_id, config)``).
    text, text_pair, label : str
        Its columns holding the text, the second text of a pair task, the label.
    splits : sequence of str
        One or two split names: train, then test. With one, ``test_fraction`` of it is held out.
    test_fraction : float
        Share of distinct texts held out as test when only one split is named.
    name : str, optional
        Registry name (default ``owner--name[--config]``, lowercase).

    Raises
    ------
    ConfigError
        Bad options, or columns the dataset lacks (the message lists its columns).
    DatasetUnavailableError
        When neither the hub nor the Hugging Face cache can provide it.
    """
    splits = tuple(splits)
    if not 1 <= len(splits) <= 2 or not all(isinstance(s, str) and s for s in splits):
        raise ConfigError(f"splits must name one or two splits (train, test), got {list(splits)!r}")
    check_number("test_fraction", test_fraction, above=0, below=1)
    try:
        loaded = load_hub_splits(hub_id, config, splits)
    except SourceUnavailable as exc:
        raise DatasetUnavailableError(
            f"hub dataset {hub_id!r} could not be loaded: {exc}. Run where the hub is reachable once "
            "(the copy lands in the Hugging Face cache), then set HF_HUB_OFFLINE=1 here.") from None
    columns = {"text": text, "label": label, **({"text_pair": text_pair} if text_pair else {})}
    for split_name, split in zip(splits, loaded):
        absent = [c for c in columns.values() if c not in split.column_names]
        if absent:
            raise ConfigError(f"hub dataset {hub_id!r} split {split_name!r} lacks column(s) {', '.join(absent)}; "
                              f"its columns: {', '.join(split.column_names)} (map them with ?text=...&label=...)")
    classes = _classes(loaded, label)
    slug = name or registry_slug(parse_reference("dataset", f"hub:{hub_id}" + (f":{config}" if config else ""), ()))
    spec = DatasetSpec(slug, f"{hub_id}" + (f" ({config})" if config else ""), "user", classes,
                       n_train=len(loaded[0]), pair=bool(text_pair), hub_id=hub_id, hub_config=config,
                       hub_splits=(splits[0], splits[1] if len(splits) > 1 else None), text_column=text,
                       pair_column=text_pair, label_column=label,
                       test_fraction=None if len(splits) > 1 else test_fraction,
                       note=f"Hugging Face hub dataset {hub_id}" + (f", config {config}" if config else ""))
    if spec.name in DATASETS and DATASETS[spec.name].hub_id != hub_id:
        raise ConfigError(f"hub dataset {hub_id!r} would be registered as {spec.name!r}, a registered dataset; "
                          "pass name= (Python) to choose another name")
    register_dataset(spec, replace=True)
    return spec.name


def _classes(loaded: list, label: str) -> tuple[str, ...]:
    from datasets import ClassLabel

    feature = loaded[0].features[label]
    if isinstance(feature, ClassLabel):
        return tuple(feature.names)
    values = sorted({str(v) for split in loaded for v in split[label]})
    if all(v.lstrip("-").isdigit() for v in values):
        numbers = sorted(int(v) for v in values)
        if numbers != list(range(len(numbers))):
            raise ConfigError(f"label column {label!r} holds integers {numbers[:10]} that are not 0..K-1 class "
                              "indices; give a column of class names")
        return tuple(str(n) for n in numbers)
    return tuple(values)


def find_hub_dataset(name: str) -> str:
    """Register the dataset of a ``hub:`` name (with its options) and return its registry name."""
    ref = parse_reference("dataset", name, HUB_OPTIONS)
    options = dict(ref.options)
    splits = tuple(s.strip() for s in options.pop("splits", "train,test").split(","))
    if "test_fraction" in options:
        try:
            options["test_fraction"] = float(options["test_fraction"])
        except ValueError:
            raise ConfigError(f"dataset {name!r}: test_fraction must be a number in (0, 1), "
                              f"got {options['test_fraction']!r}") from None
    return hub_dataset(ref.target, config=ref.config, splits=splits, **options)
