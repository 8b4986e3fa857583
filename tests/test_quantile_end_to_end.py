"""One whole `kedro run` (tiny settings) with modelling.quantiles: the model trains on the
pinball loss, and every evaluation output carries the quantiles."""

import json

import keras
import numpy as np
import pandas as pd
import pytest

from tests.conftest import TINY, new_project, run_in_process

LEVELS = [0.1, 0.5, 0.9]


def test_a_run_with_quantiles_reports_them_in_every_evaluation_output(tmp_path):
    project = new_project(tmp_path / "project")
    params = {**TINY, "modelling": {**TINY["modelling"], "quantiles": LEVELS}}
    run_in_process(project, params=params)
    data = project / "data"

    summary = json.loads((data / "08_reporting/model_summary.json").read_text())
    assert summary["output_shape"] == [None, 6, 1, 3] and summary["spec"]["quantiles"] == LEVELS
    history = json.loads((data / "08_reporting/training_history.json").read_text())
    assert history["settings"]["loss"] == "pinball"
    assert history["settings"]["quantiles"] == LEVELS
    model = keras.saving.load_model(data / "06_models/model.keras", safe_mode=True)
    assert model.predict(np.zeros((1, 24, 7), np.float32), verbose=0).shape == (1, 6, 1, 3)

    predictions = pd.read_parquet(data / "07_model_output/predictions.parquet")
    assert list(predictions.columns)[-2:] == ["q0.1", "q0.9"]
    assert (predictions["q0.1"] <= predictions["predicted"]).all()
    assert (predictions["predicted"] <= predictions["q0.9"]).all()

    metrics = json.loads((data / "08_reporting/metrics.json").read_text())
    scores = metrics["quantiles"]["per_target"]["Global_active_power"]
    assert metrics["quantiles"]["levels"] == LEVELS
    assert set(scores["pinball_loss"]) == {"0.1", "0.5", "0.9"}
    y = predictions["actual"]
    inside = ((predictions["q0.1"] <= y) & (y <= predictions["q0.9"])).mean()
    assert scores["intervals"]["0.1-0.9"]["coverage"] == inside
    assert scores["pinball_loss"]["0.5"] == pytest.approx(metrics["model"]["overall"]["mae"] / 2)

    report = (data / "08_reporting/report.md").read_text()
    assert "### Quantile forecasts: Global_active_power" in report
    record = json.loads((data / "08_reporting/evaluation_record.json").read_text())
    assert record["quantiles"]["levels"] == LEVELS
    assert (data / "08_reporting/plots/forecast_windows.png").is_file()
