"""Every catalog dataset of the project round-trips through s3:// (a moto server), and a
failed save leaves the objects already there byte-identical."""

import io
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import pytest  # noqa: E402
from kedro.io import DatasetError  # noqa: E402

from lstm_pipeline.datasets import (  # noqa: E402
    AtomicJSONDataset,
    AtomicMatplotlibDataset,
    AtomicParquetDataset,
    KerasModelDataset,
    MarkdownDataset,
    PlotFolderDataset,
    SeriesParquetDataset,
    StreamedParquetDataset,
)
from lstm_pipeline.errors import StorageError  # noqa: E402
from tests.storage.conftest import objects  # noqa: E402

FRAME = pd.DataFrame({"x": np.arange(5.0), "name": list("abcde")})
SPLIT = pd.DataFrame(
    {"y": np.arange(5.0, dtype="float32")},
    index=pd.date_range("2024-01-01", periods=5, freq="h", name="timestamp"),
)


def test_json_parquet_and_markdown_round_trip(bucket, credentials, tmp_path):
    cases = [
        (AtomicJSONDataset, "metrics.json", {"mae": 0.25, "rows": [1, 2]}),
        (MarkdownDataset, "report.md", "# Report\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"),
    ]
    for kind, name, data in cases:
        dataset = kind(filepath=f"{bucket}/08_reporting/{name}", credentials=credentials)
        assert not dataset.exists()
        dataset.save(data)
        assert dataset.exists() and dataset.load() == data
    parquet = AtomicParquetDataset(filepath=f"{bucket}/table.parquet", credentials=credentials)
    parquet.save(FRAME)
    pd.testing.assert_frame_equal(parquet.load(), FRAME)
    # the lazy split handle reads a staged local copy, equal to the split
    series = SeriesParquetDataset(
        filepath=f"{bucket}/train_series.parquet", credentials=credentials, cache=str(tmp_path)
    )
    series.save(SPLIT)
    pd.testing.assert_frame_equal(series.load().to_pandas(), SPLIT, check_freq=False)


def test_png_and_plot_folder_round_trip(bucket, credentials, store):
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    png = AtomicMatplotlibDataset(filepath=f"{bucket}/plot.png", credentials=credentials)
    png.save(figure)
    assert store.cat_file(f"{bucket[5:]}/plot.png").startswith(b"\x89PNG")
    folder = PlotFolderDataset(path=f"{bucket}/plots", credentials=credentials)
    interactive = go.Figure(go.Scatter(y=[1, 2, 3]))
    folder.save({"curve": (figure, interactive), "lineage": {"run": "r1"}})
    loaded = folder.load()
    assert loaded["curve"] == {
        "png": f"{bucket}/plots/curve.png",
        "plotly": f"{bucket}/plots/curve.plotly.json",
    }
    assert loaded["lineage"] == {"run": "r1"}
    stored = json.loads(store.cat_file(f"{bucket[5:]}/plots/curve.plotly.json"))
    assert stored["data"][0]["y"] == [1, 2, 3]
    assert folder.preview()  # kedro-viz reads the figures through the store


def test_keras_model_round_trips_through_a_cache(bucket, credentials, store, tmp_path):
    import keras

    model = keras.Sequential([keras.Input((4, 1)), keras.layers.LSTM(2), keras.layers.Dense(1)])
    model.compile(loss="mse")
    dataset = KerasModelDataset(
        f"{bucket}/06_models/model.keras", credentials=credentials, cache=str(tmp_path)
    )
    dataset.save(model)
    x = np.random.default_rng(0).normal(size=(3, 4, 1)).astype("float32")
    loaded = dataset.load()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert len(list(tmp_path.rglob("model.keras"))) == 1
    dataset.load()  # the same object again: no second copy in the cache
    assert len(list(tmp_path.rglob("model.keras"))) == 1
    before = objects(store, bucket)
    with pytest.raises(DatasetError, match="Failed while saving"):
        dataset.save("not a model")
    assert objects(store, bucket) == before
    np.testing.assert_array_equal(dataset.load().predict(x, verbose=0), model.predict(x, verbose=0))


def test_predictions_table_round_trips(bucket, credentials, tmp_path):
    dataset = StreamedParquetDataset(
        f"{bucket}/predictions.parquet",
        load_args={"pandas": True},
        credentials=credentials,
        cache=str(tmp_path),
    )
    frame = FRAME.copy()
    frame.attrs["lineage"] = {"run": "r2"}
    dataset.save(frame)
    loaded = dataset.load()
    pd.testing.assert_frame_equal(loaded, FRAME)
    assert loaded.attrs["lineage"] == {"run": "r2"}


class Unserialisable:
    pass


def test_a_failed_save_leaves_every_object_byte_identical(bucket, credentials, store):
    json_entry = AtomicJSONDataset(filepath=f"{bucket}/metrics.json", credentials=credentials)
    json_entry.save({"mae": 1.0})
    parquet = AtomicParquetDataset(filepath=f"{bucket}/table.parquet", credentials=credentials)
    parquet.save(FRAME)
    before = objects(store, bucket)
    # json.dump writes '{"mae": 2.0, "bad": ' before it fails: an s3fs file opened on the
    # final key would commit that fragment when it closes
    with pytest.raises(DatasetError):
        json_entry.save({"mae": 2.0, "bad": Unserialisable()})
    with pytest.raises(DatasetError):
        parquet.save(pd.DataFrame({"x": [object()]}))
    assert objects(store, bucket) == before
    assert json_entry.load() == {"mae": 1.0}


def test_missing_bucket_and_object_are_named(credentials, bucket):
    missing = AtomicJSONDataset(filepath=f"{bucket}/nothing.json", credentials=credentials)
    with pytest.raises(DatasetError, match=f"'{bucket}/nothing.json' does not exist") as error:
        missing.load()
    assert isinstance(error.value.__cause__, StorageError)  # Kedro wraps the project's error
    shards = "s3://no-such-bucket-lstm/05_model_input/train_shards"
    from lstm_pipeline.datasets import WindowShardsDataset

    with pytest.raises(DatasetError, match=f"'{shards}/manifest.json' does not exist"):
        WindowShardsDataset(shards, credentials=credentials).load()
    model = KerasModelDataset(f"{bucket}/absent.keras", credentials=credentials)
    with pytest.raises(DatasetError, match=f"'{bucket}/absent.keras' does not exist"):
        model.load()


def test_refused_credentials_name_the_url(bucket, credentials):
    from moto.core.authorization import enable_iam_authentication

    AtomicJSONDataset(filepath=f"{bucket}/metrics.json", credentials=credentials).save({})
    wrong = {**credentials, "key": "AKIAWRONGWRONGWRONG0", "secret": "wrong"}
    dataset = AtomicJSONDataset(filepath=f"{bucket}/metrics.json", credentials=wrong)
    with enable_iam_authentication():  # moto checks keys only when asked to
        with pytest.raises(DatasetError, match=rf"Access to '{bucket}/metrics.json' was refused"):
            dataset.save({"mae": 1.0})
        with pytest.raises(DatasetError, match=rf"Access to '{bucket}/metrics.json' was refused"):
            dataset.load()
        model = KerasModelDataset(f"{bucket}/model.keras", credentials=wrong)
        with pytest.raises(DatasetError, match=rf"Access to '{bucket}/model.keras' was refused"):
            model.load()


def test_png_bytes_are_whole(bucket, credentials, store):
    """The object is exactly what matplotlib drew (no truncation by the staged put)."""
    figure, axes = plt.subplots()
    axes.plot([3, 1, 2])
    AtomicMatplotlibDataset(
        filepath=f"{bucket}/p.png", credentials=credentials, save_args={"dpi": 50}
    ).save(figure)
    expected = io.BytesIO()
    figure.savefig(expected, dpi=50)
    stored = store.cat_file(f"{bucket[5:]}/p.png")
    assert len(stored) == len(expected.getvalue())
