"""MLflow tracking: one MLflow run per pipeline run.

:mod:`~lstm_pipeline.tracking.runs` (which run to log into, and logging that never fails a
run), :mod:`~lstm_pipeline.tracking.flatten` (parameters and metrics as MLflow wants them)
and :mod:`~lstm_pipeline.tracking.origin` (git commit, orchestrator) know nothing of Kedro;
:mod:`~lstm_pipeline.tracking.hooks` wires them to a Kedro run.
"""
