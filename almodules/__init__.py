"""almodules: the engine behind the No-Free-Lunch active-learning companion book.

Frozen text embeddings are computed once and cached; an active-learning (AL) run selects an
initial pool, then alternates fitting a logistic-regression probe, evaluating it on the test
split and querying a batch from the unlabeled pool. Runs are stored by config hash, grids of
runs execute locally or on a Dask cluster, and analysis / figure functions feed the book.

Submodules are imported lazily by their users; importing ``almodules`` itself is cheap and has
no side effects.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
