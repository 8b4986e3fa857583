"""modelling.quantiles: validated in the parameter model, and refused before any node runs
where other settings contradict it."""

import pytest

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.models import ModelSpec
from lstm_pipeline.preflight import PreflightError, preflight
from tests.framework.test_preflight import EVERYTHING, nothing_stored, parameters, problems

LEVELS = [0.1, 0.5, 0.9]


def test_the_default_is_off_and_good_levels_pass():
    assert ModelSpec().quantiles is None
    assert ModelSpec.model_validate({"quantiles": LEVELS}).quantiles == LEVELS
    assert ModelSpec.model_validate({"quantiles": [0.5]}).quantiles == [0.5]


@pytest.mark.parametrize(
    ("levels", "reason"),
    [
        ([0.1, 0.9], "0.5 is missing"),
        ([0.9, 0.5, 0.1], "ascending"),
        ([0.1, 0.5, 0.5], "without repeats"),
        ([0.0, 0.5], "strictly between 0 and 1"),
        ([0.5, 1.0], "strictly between 0 and 1"),
        ([], "no median"),
    ],
)
def test_bad_levels_are_refused_naming_the_parameter(levels, reason):
    with pytest.raises(SettingsError) as error:
        ModelSpec.model_validate({"quantiles": levels})
    message = str(error.value)
    assert message.startswith(f"modelling.quantiles = {levels!r}:")
    assert reason in message and "e.g. [0.1, 0.5, 0.9]" in message


def test_quantiles_pass_preflight_with_the_default_loss_and_with_truncated_bptt():
    preflight(parameters(modelling__quantiles=LEVELS), EVERYTHING, nothing_stored)
    tbptt = parameters(
        modelling__quantiles=LEVELS,
        training__tbptt={"enabled": True, "chunk_length": 24, "streams": 4},
        windowing__layout="segments",
    )
    preflight(tbptt, EVERYTHING, nothing_stored)


def test_another_training_loss_beside_quantiles_is_refused_before_anything_runs():
    with pytest.raises(PreflightError) as error:
        preflight(
            parameters(modelling__quantiles=LEVELS, training__loss="mae"),
            EVERYTHING,
            nothing_stored,
        )
    (problem,) = problems(error.value)
    assert problem.startswith("training.loss = 'mae': with modelling.quantiles = [0.1, 0.5, 0.9]")
    assert "pinball" in problem


def test_classification_refuses_quantiles():
    classify = parameters(task="classification", modelling__quantiles=LEVELS)
    with pytest.raises(PreflightError) as error:
        preflight(classify, EVERYTHING, nothing_stored)
    assert any(p.startswith("modelling.quantiles = [0.1, 0.5, 0.9]") for p in problems(error.value))


def test_training_alone_refuses_a_stored_model_built_with_other_quantiles():
    summary = {"dtype_policy": "float32", "spec": {"quantiles": None}}

    def stored(name):
        return summary if name == "model_summary" else None

    preflight(parameters(), {"training"}, stored)
    with pytest.raises(PreflightError) as error:
        preflight(parameters(modelling__quantiles=LEVELS), {"training"}, stored)
    (problem,) = problems(error.value)
    assert "stored untrained model was built with quantiles None" in problem
    preflight(parameters(modelling__quantiles=LEVELS), {"modelling", "training"}, stored)
