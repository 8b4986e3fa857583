"""Hyperparameter search with Optuna, knowing nothing of Kedro: the search space and what it
changes in the project's parameters (:mod:`.space`), the SQLite study that resumes after a
kill (:mod:`.study`), the per-epoch pruning callback (:mod:`.pruning`), shards cached per
input length (:mod:`.windows`), one trial (:mod:`.runner`) and the exported results
(:mod:`.export`)."""
