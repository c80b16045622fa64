"""almodules: the engine behind the No-Free-Lunch active-learning companion book.

Frozen text embeddings are computed once and cached; an active-learning (AL) run selects an
initial pool, then alternates fitting a logistic-regression probe, evaluating it on the test
split and querying a batch from the unlabeled pool. Runs are stored by run key, grids of runs
execute locally or on a Dask cluster, and analysis and figure functions feed the book.

The subpackages follow the data flow, each importing only from those before it:
``core`` -> ``datasets`` -> ``embeddings`` -> ``engine`` -> ``results`` -> ``study`` -> ``figures``
-> ``labeling`` -> ``chapters``; ``commands`` and ``cli`` sit on top. Importing ``almodules`` itself
is cheap; its one effect is that the flat module paths of release 0.1 keep working, with a
deprecation warning (:mod:`almodules.moved`).
"""

from almodules import moved

__version__ = "0.2.0"

__all__ = ["__version__"]

moved.install()
