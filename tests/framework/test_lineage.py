"""Lineage: every artifact type carries it, and a node refuses inputs from different runs."""

import json
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.datasets import (
    AtomicJSONDataset,
    AtomicMatplotlibDataset,
    AtomicParquetDataset,
    AtomicPlotlyDataset,
    AtomicTextDataset,
    KerasModelDataset,
    SeriesParquetDataset,
)
from lstm_pipeline.errors import GenerationMismatchError
from lstm_pipeline.lineage import attach, check_consistent, lineage_of, node_lineage


def made(stage, generation, **upstream):
    return {"stage": stage, "generation": generation, "fingerprint": "f", "upstream": upstream}


def test_a_stage_run_mints_one_generation_that_its_later_nodes_inherit():
    settings = attach({"input_length": 24}, made("windowing", "w1", normalisation="n1"))
    series = attach(pd.DataFrame({"a": [1.0]}), made("normalisation", "n1"))
    first = node_lineage("windowing", "window_train_split", {"s": settings, "x": series}, {})
    again = node_lineage("windowing", "window_val_split", {"s": settings}, {})
    assert first["generation"] == again["generation"] == "w1"
    assert first["upstream"] == {"normalisation": "n1"}
    fresh = node_lineage("modelling", "build", {"record": settings}, {"params:m": {"u": 4}})
    assert fresh["generation"] != "w1" and fresh["upstream"] == {
        "normalisation": "n1",
        "windowing": "w1",
    }


def test_the_fingerprint_follows_parameters_and_input_generations():
    inputs = {"s": attach({}, made("normalisation", "n1"))}
    a = node_lineage("windowing", "check", inputs, {"params:windowing": {"input_length": 24}})
    b = node_lineage("windowing", "check", inputs, {"params:windowing": {"input_length": 24}})
    c = node_lineage("windowing", "check", inputs, {"params:windowing": {"input_length": 48}})
    other = {"s": attach({}, made("normalisation", "n2"))}
    d = node_lineage("windowing", "check", other, {"params:windowing": {"input_length": 24}})
    assert a["fingerprint"] == b["fingerprint"] != c["fingerprint"] != d["fingerprint"]


def test_two_splits_of_different_windowing_runs_are_refused_naming_both():
    with pytest.raises(GenerationMismatchError) as error:
        check_consistent(
            "train_model",
            {"train_shards": made("windowing", "new"), "val_shards": made("windowing", "old")},
        )
    message = str(error.value)
    assert "'train_shards' is windowing generation new" in message
    assert "'val_shards' is windowing generation old" in message
    assert "kedro run --pipelines=windowing" in message


def test_a_model_trained_on_other_shards_is_refused():
    with pytest.raises(GenerationMismatchError, match="trained on other shards") as error:
        check_consistent(
            "evaluate",
            {
                "model": made("training", "t1", windowing="w1"),
                "test_shards": made("windowing", "w2"),
            },
        )
    assert "'model' was made from windowing generation w1" in str(error.value)


def test_inputs_of_one_run_pass():
    check_consistent(
        "evaluate",
        {
            "model": made("training", "t1", windowing="w1", normalisation="n1"),
            "test_shards": made("windowing", "w1", normalisation="n1"),
            "scaler": made("normalisation", "n1"),
        },
    )


def saved_and_loaded(dataset, data):
    dataset.save(data)
    return dataset.load()


def test_every_artifact_type_keeps_its_lineage_on_disk(tmp_path):
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go
    from PIL import Image

    tag = made("evaluation", "e1", windowing="w1")
    cases = [
        (AtomicJSONDataset, "m.json", attach({}, tag)),
        (AtomicParquetDataset, "f.parquet", attach(pd.DataFrame({"a": [1.0, 2.0]}), tag)),
        (AtomicTextDataset, "r.md", attach("# report\n", tag)),
        (AtomicPlotlyDataset, "p.json", attach(go.Figure(), tag)),
    ]
    for dataset, name, data in cases:
        loaded = saved_and_loaded(dataset(filepath=str(tmp_path / name)), data)
        assert lineage_of(loaded) == tag, name
    assert (tmp_path / "r.md").read_text().startswith("# report\n")
    png = tmp_path / "p.png"
    AtomicMatplotlibDataset(filepath=str(png)).save(attach(plt.figure(), tag))
    assert json.loads(Image.open(png).text["lineage"]) == tag


def test_a_series_split_carries_its_lineage_to_the_lazy_handle(tmp_path):
    tag = made("normalisation", "n1", ingestion="i1")
    index = pd.date_range("2020-01-01", periods=3, freq="1h", name="timestamp")
    frame = attach(pd.DataFrame({"y": np.ones(3, np.float32)}, index=index), tag)
    dataset = SeriesParquetDataset(filepath=str(tmp_path / "s.parquet"))
    assert saved_and_loaded(dataset, frame).lineage == tag


def test_a_keras_model_file_carries_its_lineage_and_still_loads(tmp_path):
    inputs = keras.Input((4, 2))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(inputs)))
    tag = made("training", "t1", windowing="w1")
    path = tmp_path / "model.keras"
    loaded = saved_and_loaded(KerasModelDataset(filepath=str(path)), attach(model, tag))
    assert lineage_of(loaded) == tag
    assert "lstm_pipeline_lineage.json" in zipfile.ZipFile(path).namelist()
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
    plain = keras.saving.load_model(path, safe_mode=True)  # Keras itself ignores the entry
    assert plain.output_shape == (None, 1)
