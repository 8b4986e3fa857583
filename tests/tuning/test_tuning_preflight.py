"""Tuning's settings are checked before any node runs: never without a validation split
(naming the parameter that empties it), and no search entry the run cannot honour."""

import pytest

from lstm_pipeline.preflight import PreflightError, preflight
from tests.framework.test_preflight import parameters, problems

RECORD = {
    "task": "forecast",
    "input_length": 24,
    "layout": "segments",
    "target_columns": ["Global_active_power"],
    "splits": {"train": {"windows": 200}, "val": {"windows": 40}, "test": {"windows": 40}},
}


def stored(record):
    return lambda name: record if name == "windowing_record" else None


def listed(params, stages, record=RECORD) -> list[str]:
    with pytest.raises(PreflightError) as error:
        preflight(params, stages, stored(record))
    return problems(error.value)


def test_the_default_tuning_settings_pass_on_stored_shards_with_validation():
    preflight(parameters(), {"tuning"}, stored(RECORD))


@pytest.mark.parametrize(
    ("stages", "changes", "record", "parameter"),
    [  # from the stored record: what the shards hold
        ({"tuning"}, {}, {**RECORD, "splits": {"val": {"windows": 0}}}, "normalisation.split.val"),
        # from the parameters when normalisation runs too
        (
            {"normalisation", "windowing", "tuning"},
            {"normalisation__split__val": 0.0, "normalisation__split__train": 0.85},
            None,
            "normalisation.split.val",
        ),
    ],
)
def test_tuning_refuses_an_empty_validation_split_naming_the_parameter(
    stages, changes, record, parameter
):
    found = listed(parameters(**changes), stages, record)
    assert any(p.startswith(f"{parameter}: the validation split is empty") for p in found)
    assert any("never on test" in p for p in found)


def test_classification_names_its_validation_share_and_refuses_an_input_length():
    record = {"task": "classification", "splits": {"train": {"cases": 50}, "val": {"cases": 0}}}
    found = listed(parameters(task="classification"), {"tuning"}, record)
    assert any(p.startswith("normalisation.labelled.validation: the validation") for p in found)
    assert any(p.startswith("tuning.space.input_length: a classifier") for p in found)


def test_search_entries_the_settings_cannot_honour_are_listed():
    params = parameters(training__batch_size="auto", training__memory_budget_mb=500.0)
    params["tuning"]["space"]["batch_size"] = None
    params["tuning"]["space"]["learning_rate"] = {"low": 1e-6, "high": 1e-2, "log": True}
    params["modelling"]["architecture"] = "fcn"
    found = listed(params, {"tuning"})
    assert any(p.startswith("training.batch_size = 'auto': tuning") for p in found)
    assert any(p.startswith("tuning.space.learning_rate: its lowest value 1e-06") for p in found)
    assert any(p.startswith("tuning.space: ['units', 'layers', 'cell', 'dropout']") for p in found)


def test_a_transformer_or_low_rank_cells_refuse_the_entries_they_cannot_use():
    params = parameters(modelling__architecture="transformer")
    found = listed(params, {"tuning"})
    assert any("modelling.architecture = 'transformer' does not use" in p for p in found)
    params = parameters(modelling__low_rank=4)
    found = listed(params, {"tuning"})
    assert any(p.startswith("tuning.space.dropout: modelling.low_rank = 4") for p in found)


def test_tuning_without_stored_shards_says_what_to_run_first():
    found = listed(parameters(), {"tuning"}, None)
    assert found == [
        "tuning: there are no stored shards to tune on; run the pipeline up to windowing "
        "first (kedro run --pipelines=ingestion,normalisation,windowing)"
    ]


def test_searched_lengths_must_suit_a_hierarchical_models_chunks():
    params = parameters()
    params["modelling"]["architecture"] = "hierarchical"
    params["modelling"]["hierarchical"] = {"chunk_length": 24}
    params["tuning"]["space"]["input_length"] = {"low": 24, "high": 96, "step": 12}
    found = listed(params, {"tuning"})
    assert found == [
        "tuning.space.input_length: [36, 60, 84] are not multiples of "
        "modelling.hierarchical.chunk_length = 24"
    ]
    params["tuning"]["space"]["input_length"] = {"choices": [48, 168]}
    preflight(params, {"tuning"}, stored(RECORD))


def test_the_ucr_environment_tunes_once_given_validation_cases():
    """conf/ucr's search space suits FCN; only the validation share has to be given."""
    from tests.framework.test_settings import load_parameters

    ucr = load_parameters(env="ucr")
    with pytest.raises(PreflightError, match="validation"):
        preflight(ucr, {"normalisation", "windowing", "tuning"}, lambda name: None)
    ucr["normalisation"]["labelled"]["validation"] = 0.2
    preflight(ucr, {"normalisation", "windowing", "tuning"}, lambda name: None)
