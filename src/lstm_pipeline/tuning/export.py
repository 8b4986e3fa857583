"""A study's results: the best trial as a parameters file for ``conf/<env>/``, the trials
table, and Optuna's history, parameter-importance and parallel-coordinate figures."""

from optuna.trial import TrialState

from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.tuning.space import parameter_updates

MIN_FOR_IMPORTANCE = 2  # complete trials parameter importance needs


def complete_trials(study) -> list:
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def best_parameters(study, modelling: ModelSpec) -> dict:
    """The best complete trial's values as the project's nested parameters (only the keys
    the search changes); ``{}`` when no trial completed."""
    if not complete_trials(study):
        return {}
    return parameter_updates(study.best_trial.params, modelling)


def trials_table(study):
    """One row per trial: number, state, value, seconds, each parameter and user
    attribute (epochs run, retry_of, best_val_accuracy)."""
    table = study.trials_dataframe(
        attrs=("number", "state", "value", "params", "duration", "user_attrs")
    )
    if "duration" in table:
        table["duration"] = table["duration"].dt.total_seconds()
        table = table.rename(columns={"duration": "duration_s"})
    return table.astype({"state": str}) if "state" in table else table


def figures(study) -> dict:
    """``{"history", "importance", "parallel"}``: Plotly figures of the study. Parameter
    importance (PED-ANOVA: fast, and not degenerate on small studies as fANOVA is) needs
    two complete trials; before that its figure says so."""
    from optuna import visualization
    from optuna.importance import PedAnovaImportanceEvaluator

    complete = len(complete_trials(study))
    if complete >= MIN_FOR_IMPORTANCE:
        importance = visualization.plot_param_importances(
            study, evaluator=PedAnovaImportanceEvaluator()
        )
    else:
        importance = _note(
            f"Parameter importance needs {MIN_FOR_IMPORTANCE} complete trials; "
            f"the study has {complete}."
        )
    return {
        "history": visualization.plot_optimization_history(study),
        "importance": importance,
        "parallel": visualization.plot_parallel_coordinate(study),
    }


def _note(text: str):
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return figure.update_layout(xaxis={"visible": False}, yaxis={"visible": False})
