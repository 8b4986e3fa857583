"""The search space: each kind of entry suggested as Optuna's matching distribution, bad
entries refused naming the parameter, and a trial's values as the project's parameters."""

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.pipelines.tuning.params import TuningParams
from lstm_pipeline.tuning.space import SearchSpace, parameter_updates, suggest

NOTHING = dict.fromkeys(SearchSpace.model_fields)  # every entry off (conf/base sets all)


def space(**entries) -> SearchSpace:
    return SearchSpace.model_validate({**NOTHING, **entries})


def test_each_kind_of_entry_is_suggested_as_its_optuna_distribution():
    chosen = space(
        batch_size={"choices": [16, 32]},
        units={"low": 8, "high": 64, "log": True},
        layers={"low": 1, "high": 3, "step": 2},
        cell={"choices": ["lstm", "gru"]},
        learning_rate={"low": 1e-4, "high": 1e-2, "log": True},
        dropout={"low": 0.0, "high": 0.5, "step": 0.1},
        input_length={"choices": [12, 24]},
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        trial = study.ask()
        values = suggest(trial, chosen)
        assert values["batch_size"] in (16, 32) and values["input_length"] in (12, 24)
        assert 8 <= values["units"] <= 64 and isinstance(values["units"], int)
        assert values["layers"] in (1, 3)
        assert round(values["dropout"] * 10, 9) == round(values["dropout"] * 10)
        study.tell(trial, 0.0)
    assert trial.distributions == {
        "batch_size": CategoricalDistribution([16, 32]),
        "units": IntDistribution(8, 64, log=True),
        "layers": IntDistribution(1, 3, step=2),
        "cell": CategoricalDistribution(["lstm", "gru"]),
        "learning_rate": FloatDistribution(1e-4, 1e-2, log=True),
        "dropout": FloatDistribution(0.0, 0.5, step=0.1),
        "input_length": CategoricalDistribution([12, 24]),
    }


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"units": {"low": 64, "high": 8}}, "tuning.space.units"),
        ({"learning_rate": {"low": 0.0, "high": 0.1, "log": True}}, "log: true needs low > 0"),
        ({"units": {"low": 8, "high": 64, "log": True, "step": 2}}, "cannot be combined"),
        ({"dropout": {"choices": [0.1, 1.0]}}, "dropout: every value must lie in [0, 1)"),
        ({"cell": {"choices": ["lstm", "rnn"]}}, "tuning.space.cell.choices.1"),
        ({"batch_size": {"choices": [0, 16]}}, "tuning.space.batch_size"),
        (NOTHING, "space is empty"),
    ],
)
def test_bad_entries_are_refused_naming_the_parameter(entry, message):
    with pytest.raises(SettingsError, match="tuning") as error:
        TuningParams.model_validate({"space": {**NOTHING, "units": {"low": 1, "high": 2}, **entry}})
    assert message in str(error.value)


def test_an_enqueued_point_must_name_space_entries():
    with pytest.raises(SettingsError, match=r"enqueue\[0\] names \['unit'\]"):
        TuningParams.model_validate({"enqueue": [{"unit": 8}]})


def test_a_trials_values_become_nested_parameters_of_only_the_tuned_keys():
    values = {"batch_size": 32, "learning_rate": 0.003, "input_length": 48, "dropout": 0.2}
    assert parameter_updates({**values, "cell": "gru"}, ModelSpec(architecture="lstm")) == {
        "modelling": {"architecture": "gru", "recurrent": {"dropout": 0.2}},
        "training": {"batch_size": 32, "learning_rate": 0.003},
        "windowing": {"input_length": 48},
    }


@pytest.mark.parametrize(
    ("values", "recurrent"),
    [
        ({"units": 16}, {"units": [16, 16, 16]}),  # as many layers as the project has
        ({"layers": 2}, {"units": [64, 64]}),  # the project's first width
        ({"units": 8, "layers": 1}, {"units": [8]}),
        ({"cell": "gru"}, {"cell": "gru"}),  # conv_rnn: the cell of its recurrent stack
    ],
)
def test_units_layers_and_cell_fill_in_from_the_projects_model(values, recurrent):
    base = ModelSpec(architecture="conv_rnn", recurrent={"units": [64, 32, 32]})
    assert parameter_updates(values, base) == {"modelling": {"recurrent": recurrent}}
