"""Quantile forecasts in evaluation: the pinball loss and coverage against numpy oracles,
the predictions table's quantile columns, metrics.json, the report, the record and the
plotted band; a point forecaster's outputs keep their old shape."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lstm_pipeline.evaluation.plots import PlotInputs, draw_all, forecast_windows
from lstm_pipeline.evaluation.quantiles import (
    QuantileScores,
    interval_pairs,
    pinball_loss,
)
from lstm_pipeline.evaluation.record import evaluation_record
from lstm_pipeline.evaluation.report import markdown_report
from lstm_pipeline.evaluation.table import (
    SCHEMA,
    ForecastBlock,
    PredictionsTable,
    block_to_table,
    write_predictions,
)
from tests.evaluation.conftest import H, L, make_case, raw_series
from tests.evaluation.test_forecast import evaluate

LEVELS = [0.1, 0.5, 0.9]
HISTORY = {"history": {"epoch": [1], "loss": [1.0]}, "settings": {"epochs": 1}}


def test_pinball_loss_by_hand():
    # actual 10: a forecast of 8 is 2 too low, one of 13 is 3 too high
    assert pinball_loss(10.0, 8.0, 0.9) == pytest.approx(0.9 * 2)
    assert pinball_loss(10.0, 13.0, 0.9) == pytest.approx(0.1 * 3)
    assert pinball_loss(10.0, 8.0, 0.1) == pytest.approx(0.1 * 2)
    assert pinball_loss(10.0, 13.0, 0.5) == pytest.approx(0.5 * 3)  # the median: |e| / 2


def test_the_constant_that_minimises_the_pinball_loss_on_normal_noise_is_its_quantile():
    noise = np.random.default_rng(0).normal(scale=2.0, size=200_000)
    candidates = np.linspace(-4, 4, 801)
    for level, z in ((0.1, -1.2815516), (0.5, 0.0), (0.9, 1.2815516)):
        losses = [pinball_loss(noise, c, level).mean() for c in candidates]
        assert candidates[int(np.argmin(losses))] == pytest.approx(2.0 * z, abs=0.03)


def test_intervals_pair_the_levels_from_the_outside_in():
    assert interval_pairs(LEVELS) == [(0.1, 0.9)]
    assert interval_pairs([0.05, 0.25, 0.5, 0.75, 0.95]) == [(0.05, 0.95), (0.25, 0.75)]
    assert interval_pairs([0.5]) == []


def test_scores_equal_an_independent_numpy_computation_and_skip_missing_values():
    rng = np.random.default_rng(1)
    actual = rng.normal(size=(40, 3, 2))
    actual[5, 1, 0] = np.nan
    median = rng.normal(size=actual.shape)
    low, high = (
        median - rng.uniform(0.2, 2, actual.shape),
        median + rng.uniform(0.2, 2, actual.shape),
    )
    high[7, 2, 1] = np.nan
    forecasts = {0.1: low, 0.5: median, 0.9: high}
    scores = QuantileScores(LEVELS, 2)
    for part in (slice(0, 17), slice(17, 40)):  # two blocks add up to one pass
        scores.update(actual[part], {q: f[part] for q, f in forecasts.items()})
    summary = scores.summary(["a", "b"])
    assert summary["levels"] == LEVELS
    for t, name in enumerate("ab"):
        y, lo, mid, hi = (v[..., t].ravel() for v in (actual, low, median, high))
        ok = ~(np.isnan(y) | np.isnan(hi))
        y, lo, mid, hi = y[ok], lo[ok], mid[ok], hi[ok]
        got = summary["per_target"][name]
        assert got["count"] == ok.sum()
        for q, f in ((0.1, lo), (0.5, mid), (0.9, hi)):
            e = y - f
            expected = np.mean(np.where(e >= 0, q * e, (q - 1) * e))
            assert got["pinball_loss"][repr(q)] == pytest.approx(expected, rel=1e-12)
            assert got["fraction_below"][repr(q)] == pytest.approx(np.mean(y < f))
        assert got["pinball_loss"]["0.5"] == pytest.approx(np.abs(y - mid).mean() / 2)
        interval = got["intervals"]["0.1-0.9"]
        assert interval["nominal"] == 0.8
        assert interval["coverage"] == pytest.approx(np.mean((lo <= y) & (y <= hi)))
        assert interval["mean_width"] == pytest.approx(np.mean(hi - lo))


def block(levels: list[float]) -> ForecastBlock:
    """Three windows of two steps of one target, random values, quantiles at ``levels``."""
    rng = np.random.default_rng(2)
    shape = (3, 2, 1)
    forecasts = {n: rng.normal(size=shape) for n in ("model", *SCHEMA.names[5:])}
    ends = np.arange(3, dtype=np.int64) * 3_600_000_000_000
    quantiles = {q: rng.normal(size=shape) for q in levels}
    return ForecastBlock(0, ends, rng.normal(size=shape), forecasts, quantiles)


def test_the_table_gains_a_column_per_level_other_than_the_median_and_reads_back(tmp_path):
    written = block([0.1, 0.9])
    path = tmp_path / "predictions.parquet"
    write_predictions(path, [block_to_table(written, ["load"])])
    table = PredictionsTable(path)
    assert table.file.schema_arrow.names == [*SCHEMA.names, "q0.1", "q0.9"]
    assert table.quantile_levels == [0.1, 0.9]
    (read,) = table.blocks(["load"], horizon=2, windows_per_block=10)
    for q in (0.1, 0.9):
        np.testing.assert_array_equal(read.quantiles[q], written.quantiles[q])
    assert list(read.quantile_forecasts()) == LEVELS
    np.testing.assert_array_equal(read.quantile_forecasts()[0.5], written.forecasts["model"])


def test_a_point_forecasters_table_keeps_its_schema(tmp_path):
    path = tmp_path / "predictions.parquet"
    write_predictions(path, [block_to_table(block([]), ["load"])])
    assert PredictionsTable(path).file.schema_arrow.names == SCHEMA.names
    assert SCHEMA.names[-1] == "train_mean" and PredictionsTable(path).quantile_levels == []


@pytest.fixture(scope="module")
def quantile_model():
    import keras

    from lstm_pipeline.models import ModelSpec, build_model

    keras.utils.set_random_seed(0)
    spec = ModelSpec(recurrent={"units": [4]}, quantiles=LEVELS)
    return build_model(spec, input_length=L, n_features=2, horizon=H)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, quantile_model):
    case = make_case(tmp_path_factory.mktemp("quantiles"), raw_series())
    result, predictions = evaluate(case, quantile_model, sample_windows=3)
    return case, result, predictions


def test_each_level_is_the_models_output_in_original_units_and_predicted_is_the_median(
    evaluated, quantile_model
):
    case, _, predictions = evaluated
    assert list(predictions.columns)[-2:] == ["q0.1", "q0.9"]
    scaled = case.scaler.transform(case.test).to_numpy(np.float32)
    inputs = np.stack([scaled[s : s + L] for s in range(3)])  # the first three windows
    output = quantile_model.predict(inputs, verbose=0)[:, :, 0, :].astype(np.float64)
    center, spread = case.scaler.fitted["center"]["load"], case.scaler.fitted["scale"]["load"]
    expected = output * spread + center
    first = predictions.iloc[: 3 * H]
    for k, column in enumerate(("q0.1", "predicted", "q0.9")):
        np.testing.assert_allclose(first[column], expected[..., k].ravel(), rtol=1e-5)


def test_metrics_report_pinball_and_coverage_from_the_table(evaluated):
    _, result, predictions = evaluated
    got = result.metrics["quantiles"]["per_target"]["load"]
    y = predictions["actual"].to_numpy()
    lo, hi = predictions["q0.1"].to_numpy(), predictions["q0.9"].to_numpy()
    assert got["count"] == len(predictions)
    assert got["intervals"]["0.1-0.9"]["coverage"] == pytest.approx(np.mean((lo <= y) & (y <= hi)))
    e = y - hi
    assert got["pinball_loss"]["0.9"] == pytest.approx(np.mean(np.maximum(0.9 * e, -0.1 * e)))
    # the median is the point forecast: its pinball loss is half the model's MAE
    mae = result.metrics["model"]["overall"]["mae"]
    assert got["pinball_loss"]["0.5"] == pytest.approx(mae / 2, rel=1e-9)


def test_report_record_and_plot_show_the_quantiles(evaluated):
    _, result, predictions = evaluated
    metrics, samples = result.metrics, result.samples
    report = markdown_report(metrics, HISTORY, {"name": "lstm", "parameters": 1})
    assert "### Quantile forecasts: load" in report
    coverage = metrics["quantiles"]["per_target"]["load"]["intervals"]["0.1-0.9"]["coverage"]
    assert f"| 0.1-0.9 | 0.800 | {coverage:.3f} |" in report
    assert "median (0.5)" in report
    record = evaluation_record(
        metrics, samples, predictions_rows=len(predictions), report=report, plots=[]
    )
    assert record["quantiles"]["per_target"]["load"]["coverage"]["0.1-0.9"]["nominal"] == 0.8
    assert set(samples["windows"][0]["quantiles"]) == {"0.1", "0.5", "0.9"}
    figure = forecast_windows(PlotInputs(metrics, samples, HISTORY["history"]))
    bands = [c for c in figure.axes[0].collections if c.get_label() == "model 0.1-0.9"]
    assert len(bands) == 1
    plt.close(figure)
    figures = draw_all(metrics, samples, HISTORY["history"])
    plotly = figures["forecast_windows"][1]
    assert any(trace.fill == "tonexty" for trace in plotly.data)
    for png, _ in figures.values():
        plt.close(png)


def test_a_point_forecaster_has_no_quantile_outputs(tmp_path, tiny_model):
    case = make_case(tmp_path, raw_series())
    result, predictions = evaluate(case, tiny_model, sample_windows=2)
    assert "quantiles" not in result.metrics
    assert "quantiles" not in result.samples["windows"][0]
    assert not [c for c in predictions.columns if c.startswith("q")]
    report = markdown_report(result.metrics, HISTORY, {"name": "lstm", "parameters": 1})
    assert "Quantile" not in report
