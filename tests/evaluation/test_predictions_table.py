"""The predictions dataset runs the job into its own temporary file, carries the lineage, and
reads back whole windows whatever the file's row groups; the pipeline ends with the record."""

import numpy as np
import pyarrow.parquet as pq
import pytest
from kedro.io import DatasetError

from lstm_pipeline.datasets import StreamedParquetDataset
from lstm_pipeline.errors import GenerationMismatchError, ModelSpecError
from lstm_pipeline.evaluation.predicting import PredictionJob
from lstm_pipeline.evaluation.record import evaluation_record
from lstm_pipeline.evaluation.table import (
    FORECASTERS,
    ForecastBlock,
    PredictionsTable,
    block_to_table,
    write_predictions,
)
from lstm_pipeline.files import leftovers
from tests.evaluation.conftest import PERIOD, make_case, raw_series


def block(first: int, windows: int, horizon: int = 3, targets: int = 2) -> ForecastBlock:
    shape = (windows, horizon, targets)
    values = np.arange(first * horizon * targets, (first + windows) * horizon * targets)
    actual = values.reshape(shape).astype(np.float64)
    forecasts = {name: actual + i for i, name in enumerate(FORECASTERS)}
    ends = (np.arange(first, first + windows) * 3_600_000_000_000).astype(np.int64)
    return ForecastBlock(first, ends, actual, forecasts)


def test_blocks_come_back_whole_when_row_groups_end_mid_window(tmp_path):
    targets = ["a", "b"]
    table = block_to_table(block(0, 10), targets)
    path = tmp_path / "p.parquet"
    pq.write_table(table, path, row_group_size=7)  # 6 rows a window: groups cut windows
    blocks = list(PredictionsTable(path).blocks(targets, horizon=3, windows_per_block=4))
    assert sum(len(b) for b in blocks) == 10 and max(len(b) for b in blocks) <= 4
    assert [b.first for b in blocks] == list(np.cumsum([0] + [len(b) for b in blocks[:-1]]))
    expected = block(0, 10)
    np.testing.assert_array_equal(np.concatenate([b.actual for b in blocks]), expected.actual)
    np.testing.assert_array_equal(np.concatenate([b.ends for b in blocks]), expected.ends)
    for name in FORECASTERS:
        got = np.concatenate([b.forecasts[name] for b in blocks])
        np.testing.assert_array_equal(got, expected.forecasts[name])


def test_a_table_cut_mid_window_is_refused(tmp_path):
    table = block_to_table(block(0, 2), ["a", "b"]).slice(0, 9)
    path = tmp_path / "p.parquet"
    write_predictions(path, [table])
    with pytest.raises(ValueError, match="not a whole window of 6"):
        list(PredictionsTable(path).blocks(["a", "b"], horizon=3, windows_per_block=8))


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return make_case(tmp_path_factory.mktemp("table"), raw_series())


def test_the_dataset_runs_the_job_atomically_and_keeps_its_lineage(case, tiny_model, tmp_path):
    target = tmp_path / "out" / "predictions.parquet"
    dataset = StreamedParquetDataset(str(target))
    job = PredictionJob(tiny_model, case.shards, case.scaler, case.splits, PERIOD, 64)
    job.lineage = {"stage": "evaluation", "generation": "abc123"}
    dataset.save(job)
    loaded = dataset.load()
    assert loaded.lineage == job.lineage
    assert loaded.num_rows == case.shards.manifest.windows_total * 5
    before = target.read_bytes()

    class Failing(PredictionJob):
        def tables(self):
            yield next(super().tables())
            raise RuntimeError("killed mid-way")

    failing = Failing(tiny_model, case.shards, case.scaler, case.splits, PERIOD, 64)
    with pytest.raises(DatasetError, match="killed mid-way"):
        dataset.save(failing)
    assert target.read_bytes() == before  # the previous table, untouched
    assert leftovers(target) == []  # and no temporary left beside it
    frame = StreamedParquetDataset(str(target), load_args={"pandas": True}).load()
    assert frame.attrs["lineage"] == job.lineage and len(frame) == loaded.num_rows


def test_a_seasonal_period_reaching_before_the_series_fails_when_the_job_is_made(case, tiny_model):
    with pytest.raises(ModelSpecError, match="seasonal_period 600 reaches before the series"):
        PredictionJob(tiny_model, case.shards, case.scaler, case.splits, 600)


def test_the_record_summarises_and_refuses_a_table_of_another_run():
    per_target = {"y": {"mae": 1.0, "rmse": 2.0}}
    metrics = {
        "windows": 3,
        "units": {"y": "Wh"},
        "model": {"per_target": per_target, "per_horizon_step": {"mae": [1.0, 1.0]}},
        "baselines": {"persistence": {"per_target": {"y": {"mae": 0.5, "rmse": 2.5}}}},
    }
    record = evaluation_record(
        metrics,
        {"windows": [{}], "residuals": [0.1]},
        predictions_rows=6,
        report="# r",
        plots=["residuals"],
    )
    assert record["per_target"]["y"]["model_vs_baselines"]["persistence"] == {
        "mae": "loses to",
        "rmse": "beats",
    }
    assert record["verdict"]["y"].startswith("The model does not beat every baseline")
    assert record["artifacts"]["predictions"] == {"rows": 6}
    assert record["task"] == "forecast"
    assert record["artifacts"]["plots"] == ["plots/residuals.png"]
    assert record["artifacts"]["plotly"] == ["plots/residuals.plotly.json"]
    with pytest.raises(GenerationMismatchError, match="has 7 rows"):
        evaluation_record(metrics, {}, predictions_rows=7, report="", plots=[])


def test_the_record_node_runs_last_on_every_output_of_the_stage():
    from lstm_pipeline.pipelines.evaluation import create_pipeline

    pipeline = create_pipeline()
    last = pipeline.nodes[-1]  # topological order
    assert last.name == "record_evaluation" and last.outputs == ["evaluation_record"]
    made = set().union(*(node.outputs for node in pipeline.nodes[:-1]))
    assert made == {"predictions", "metrics", "evaluation_samples", "evaluation_plots", "report"}
    assert set(last.inputs) == made | {"params:task"}
    # one shape for both tasks: every node that differs by task is told the task
    assert all("params:task" in node.inputs for node in pipeline.nodes)
