"""The prediction pipeline (`kedro run --pipelines=prediction`) on the session's finished
runs: new raw files through the stored preprocessing and the trained model.

Forecasting (household-power fixture): the forecasts equal the model called by hand on the
last window (scaled with the numbers of scaler.json, not the project's Scaler), the
timestamps continue the series, and files with a missing column, another frequency or an
extra feature are refused naming the file and the column, leaving the previous predictions
file as it was. Classification (ItalyPowerDemand): the probabilities equal the evaluation's
on the same TEST cases, and a file with another number of dimensions is refused.
"""

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.prediction import InputMismatchError
from tests.conftest import TINY, UCR_TINY, copy_project, run_in_process

NEW_FROM = "2006-12-26"  # the new data: the fixture's last days, from midnight


def _forecast_params(raw: str) -> dict:
    return {**TINY, "prediction": {"raw": raw}}


def _write_new_minutes(slice_text: str, path: Path, edit=None) -> Path:
    """The fixture's minutes from NEW_FROM on, as text (missing markers kept), optionally
    edited (a frame of str -> a frame of str), written as CSV at ``path``."""
    frame = pd.read_csv(io.StringIO(slice_text), dtype=str, keep_default_na=False)
    stamps = pd.to_datetime(frame["Date"] + " " + frame["Time"], format="%d/%m/%Y %H:%M:%S")
    frame = frame[stamps >= NEW_FROM]
    if edit is not None:
        frame = edit(frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def predicted_project(finished_project, tmp_path_factory, slice_text) -> Path:
    """A copy of the finished forecasting run on which the prediction pipeline ran once on
    the new minutes in data/01_raw/new/."""
    folder = copy_project(finished_project, tmp_path_factory.mktemp("predicted") / "project")
    _write_new_minutes(slice_text, folder / "data" / "01_raw" / "new" / "minutes.csv")
    run_in_process(folder, "prediction", params=_forecast_params("data/01_raw/new"))
    return folder


def _model_by_hand(folder: Path) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """The oracle: the stored model on the last input window of the training run's own
    ingested series, scaled and unscaled with scaler.json's centre and scale in numpy."""
    import keras

    data = folder / "data"
    record = json.loads((data / "05_model_input" / "windowing_record.json").read_text())
    scaler = json.loads((data / "04_feature" / "scaler.json").read_text())
    series = pd.read_parquet(data / "02_intermediate" / "series.parquet")
    features, targets = record["feature_columns"], record["target_columns"]
    last = series[features].iloc[-record["input_length"] :].to_numpy(np.float64)
    center = np.array([scaler["center"][c] for c in features])
    scale = np.array([scaler["scale"][c] for c in features])
    window = ((last - center) / scale).astype(np.float32)[None]
    model = keras.saving.load_model(data / "06_models" / "model.keras")
    scaled = np.asarray(model.predict_on_batch(window), np.float64)[0]  # (horizon, targets)
    t_center = np.array([scaler["center"][c] for c in targets])
    t_scale = np.array([scaler["scale"][c] for c in targets])
    return scaled * t_scale + t_center, series.index


def test_forecasts_equal_the_model_on_the_last_window(predicted_project):
    table = pd.read_parquet(predicted_project / "data/07_model_output/new_predictions.parquet")
    expected, index = _model_by_hand(predicted_project)
    horizon = expected.shape[0]
    assert len(table) == horizon  # one target, one series
    assert list(table["horizon_step"]) == list(range(1, horizon + 1))
    assert set(table["target"]) == {"Global_active_power"}
    np.testing.assert_allclose(table["predicted"].to_numpy(), expected[:, 0], rtol=1e-5)


def test_forecast_timestamps_continue_the_series(predicted_project):
    table = pd.read_parquet(predicted_project / "data/07_model_output/new_predictions.parquet")
    _, index = _model_by_hand(predicted_project)
    assert (table["window_end"] == index[-1]).all()
    steps = pd.to_timedelta(table["horizon_step"].astype(int), unit="h")
    assert list(table["timestamp"]) == list(index[-1] + steps)
    assert table["timestamp"].iloc[0] > index[-1]  # beyond the end of the data


def _drop_voltage(frame):
    return frame.drop(columns="Voltage")


def _every_other_minute(frame):
    return frame.iloc[::2]


def _extra_feature(frame):
    return frame.assign(Outdoor_temperature="4.5")


REFUSED = [
    pytest.param(_drop_voltage, ["no column", "'Voltage'"], id="missing-column"),
    pytest.param(_every_other_minute, ["'2min'", "'min'", "Date/Time"], id="other-frequency"),
    pytest.param(_extra_feature, ["'Outdoor_temperature'", "8 features"], id="extra-feature"),
]


@pytest.mark.parametrize(("edit", "named"), REFUSED)
def test_mismatching_files_are_refused_and_old_predictions_kept(
    predicted_project, tmp_path, slice_text, edit, named
):
    folder = copy_project(predicted_project, tmp_path / "project")
    output = folder / "data/07_model_output/new_predictions.parquet"
    before = output.read_bytes()
    bad = _write_new_minutes(slice_text, folder / "data/01_raw/bad/readings.csv", edit)
    with pytest.raises(InputMismatchError) as raised:
        run_in_process(folder, "prediction", params=_forecast_params("data/01_raw/bad"))
    message = str(raised.value)
    assert str(bad) in message or "data/01_raw/bad/readings.csv" in message
    for part in named:
        assert part in message
    assert output.read_bytes() == before


def test_classification_predicts_every_new_case(finished_classification_project, tmp_path):
    folder = copy_project(finished_classification_project, tmp_path / "project")
    new = "data/01_raw/ucr/ItalyPowerDemand/ItalyPowerDemand_TEST.ts"
    params = {**UCR_TINY, "prediction": {"raw": new}}
    run_in_process(folder, "prediction", params=params, env="ucr")
    outputs = folder / "data" / "ucr" / "ItalyPowerDemand" / "07_model_output"
    table = pd.read_parquet(outputs / "new_predictions.parquet")
    evaluated = pd.read_parquet(outputs / "predictions.parquet").sort_values("case")
    # the oracle: the evaluation stage's predictions of the same TEST cases (read from shards)
    assert len(table) == len(evaluated) == 1029
    assert list(table["case"]) == list(evaluated["case"])
    assert (table["file"] == str(folder / new)).all() or table["file"].str.endswith(new).all()
    assert list(table["given_label"]) == list(evaluated["true_label"])
    assert list(table["predicted_label"]) == list(evaluated["predicted_label"])
    for name in ("prob_1", "prob_2"):
        np.testing.assert_allclose(table[name], evaluated[name], rtol=1e-5, atol=1e-6)


def _two_dimensional_ts(source: Path, target: Path) -> Path:
    """``source`` (a univariate .ts file) with every case's values given twice (2 dims)."""

    def doubled(line: str) -> str:
        if line.lower().startswith("@univariate"):
            return "@univariate false"
        if not line or line.startswith(("#", "@")):
            return line
        values, _, label = line.rpartition(":")
        return f"{values}:{values}:{label}"

    lines = [doubled(line) for line in source.read_text().splitlines()]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n")
    return target


def test_classification_refuses_other_dimensions(finished_classification_project, tmp_path):
    folder = copy_project(finished_classification_project, tmp_path / "project")
    source = folder / "data/01_raw/ucr/ItalyPowerDemand/ItalyPowerDemand_TEST.ts"
    bad = _two_dimensional_ts(source, folder / "data/01_raw/new_cases/two_dims.ts")
    params = {**UCR_TINY, "prediction": {"raw": "data/01_raw/new_cases"}}
    with pytest.raises(InputMismatchError) as raised:
        run_in_process(folder, "prediction", params=params, env="ucr")
    message = str(raised.value)
    assert "two_dims.ts" in message and "2 dimension(s)" in message and "'dim_0'" in message
    assert not (
        folder / "data/ucr/ItalyPowerDemand/07_model_output/new_predictions.parquet"
    ).exists()
    assert bad.exists()
