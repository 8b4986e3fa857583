"""`kedro run -e s3_example` (tiny settings) against the moto server: shards, models and
reports go to the bucket, intermediates and checkpoints stay local."""

import json

import pytest
import yaml

from tests.conftest import TINY, new_project, run_in_process
from tests.storage.conftest import objects
from tests.tracking.test_tracked_runs import runs_of


@pytest.fixture
def s3_project(tmp_path, bucket, s3_endpoint, monkeypatch):
    """A project copy whose s3_example environment points at the test bucket; its
    credentials.yml reads the keys, region and endpoint from the environment."""
    folder = new_project(tmp_path / "project")
    globals_file = folder / "conf" / "s3_example" / "globals.yml"
    settings = yaml.safe_load(globals_file.read_text())
    globals_file.write_text(yaml.safe_dump({**settings, "remote": f"{bucket}/run"}))
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    return folder


def test_a_run_keeps_shards_models_and_reports_in_the_bucket(s3_project, bucket, store):
    cache = s3_project / "data" / ".remote_cache"
    run_in_process(s3_project, params=TINY, env="s3_example")
    stored = {key.removeprefix(f"{bucket[5:]}/run/") for key in objects(store, f"{bucket}/run")}
    for name in ("train", "val", "test"):
        assert f"05_model_input/{name}_shards/manifest.json" in stored
    expected = {
        "06_models/untrained_model.keras",
        "06_models/model.keras",
        "07_model_output/predictions.parquet",
        "08_reporting/metrics.json",
        "08_reporting/report.md",
        "08_reporting/evaluation_record.json",
        "08_reporting/plots/index.json",
    }
    assert expected <= stored
    local = s3_project / "data" / "s3_example"
    assert (local / "04_feature" / "train_series.parquet").is_file()  # intermediates: local
    assert not (local / "05_model_input").exists() and not (local / "08_reporting").exists()
    assert {p.parent.name for p in local.rglob("*.keras")} == {"checkpoints"}  # stay local
    metrics = json.loads(store.cat_file(f"{bucket[5:]}/run/08_reporting/metrics.json"))
    assert metrics  # the evaluation read model and test shards back from the bucket
    _, runs = runs_of(s3_project)  # MLflow cannot copy a bucket's object: it gets the URL
    assert (
        runs[0].data.tags["lstm_pipeline.artifact.model"] == f"{bucket}/run/06_models/model.keras"
    )

    # evaluation alone, from an empty cache: everything it reads comes from the bucket
    import shutil

    shutil.rmtree(cache)
    report = f"{bucket[5:]}/run/08_reporting/report.md"
    before = store.cat_file(report).decode().split("<!--")[0]  # the lineage comment differs
    run_in_process(s3_project, "evaluation", params=TINY, env="s3_example")
    assert list(cache.rglob("manifest.json")) and list(cache.rglob("model.keras"))
    store.invalidate_cache()
    assert store.cat_file(report).decode().split("<!--")[0] == before  # same model, same test
