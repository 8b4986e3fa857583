"""Ingestion nodes on the real 14-day slice, with the project's own default parameters."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lstm_pipeline.errors import IrregularSpacingError, SettingsError, TimestampGapError
from lstm_pipeline.pipelines.ingestion.nodes import clean_series, read_raw_series
from lstm_pipeline.pipelines.ingestion.params import IngestionParams

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"


def default_params(**changes) -> IngestionParams:
    raw = yaml.safe_load((CONF / "parameters_ingestion.yml").read_text())["ingestion"]
    raw.update(changes)
    return IngestionParams.model_validate(raw)


def test_default_parameters_make_an_hourly_series_with_per_column_aggregation(slice_path):
    params = default_params()
    raw, read_report = read_raw_series([slice_path], params, "forecast")
    series, report, mapping = clean_series(raw, read_report, params, "forecast")
    assert report["rows_read"] == 20160
    assert report["frequency"] == {"native": "min", "output": "h", "regular": True}
    # the first hour (17:24-17:59) is incomplete and dropped; the last full hour is 16:00
    assert series.index[0] == pd.Timestamp("2006-12-16 18:00")
    assert series.index[-1] == pd.Timestamp("2006-12-30 16:00")
    assert report["rows_written"] == len(series) == 335
    hour = raw.loc["2006-12-17 09:00":"2006-12-17 09:59"]
    assert series.loc["2006-12-17 09:00", "Global_active_power"] == pytest.approx(
        hour["Global_active_power"].mean(), rel=1e-6
    )
    assert series.loc["2006-12-17 09:00", "Sub_metering_3"] == pytest.approx(
        hour["Sub_metering_3"].sum(), rel=1e-6
    )
    assert (series.dtypes == np.float32).all()
    assert report["missing"]["columns"]["Voltage"] == {"missing": 4, "filled": 4, "remaining": 0}
    assert report["gaps"]["longer_than_max_gap"] == 0
    assert report["targets"] == ["Global_active_power"]
    assert mapping == {"task": "forecast", "classes": [], "counts": {}}


def test_native_grid_without_resampling_keeps_every_minute(slice_path):
    params = default_params(resample=None)
    raw, read_report = read_raw_series([slice_path], params, "forecast")
    series, report, mapping = clean_series(raw, read_report, params, "forecast")
    assert len(series) == 20160
    assert not series.isna().any().any()  # the two 2-minute cuts are interpolated
    assert report["time_range"] == {"start": "2006-12-16 17:24:00", "end": "2006-12-30 17:23:00"}


def test_irregular_input_is_resampled_when_a_frequency_is_declared(tmp_path, slice_text):
    lines = slice_text.splitlines()
    # shift one reading by 30 s: the grid is no longer regular
    lines[100] = lines[100].replace(":00,", ":30,", 1)
    path = tmp_path / "irregular.csv"
    path.write_text("\n".join(lines) + "\n")
    native = default_params(resample=None)
    raw, read_report = read_raw_series([path], native, "forecast")
    with pytest.raises(IrregularSpacingError):
        clean_series(raw, read_report, native, "forecast")
    coarse = default_params(resample={"frequency": "15min", "per_column": {}})
    series, report, mapping = clean_series(raw, read_report, coarse, "forecast")
    assert report["frequency"]["regular"] is False
    assert report["frequency"]["output"] == "15min"
    assert not series.isna().any().any()


def test_parameter_errors_name_the_parameter():
    with pytest.raises(SettingsError, match=r"ingestion\.missing\.max_gap = 'soon': .*duration"):
        default_params(missing={"max_gap": "soon"})
    with pytest.raises(SettingsError, match="ingestion.missing: policy 'seasonal' needs 'period'"):
        default_params(missing={"policy": "seasonal"})
    with pytest.raises(SettingsError, match="ingestion.chunk_rows = 'many': Input should be"):
        default_params(chunk_rows="many")
    with pytest.raises(SettingsError, match="ingestion.timestamp: give one of 'column'"):
        default_params(
            timestamp={"column": "t", "date_column": "Date", "time_column": None, "format": None}
        )
    with pytest.raises(SettingsError, match="ingestion.unknown_knob = 1: Extra inputs"):
        default_params(unknown_knob=1)


def test_a_mistyped_year_stops_the_read_before_gap_filling_can_make_decades(tmp_path, slice_text):
    lines = slice_text.splitlines()
    lines[20160] = lines[20160].replace("/2006", "/2099", 1)  # the last row: 30/12/2099
    path = tmp_path / "typo.csv"
    path.write_text("\n".join(lines) + "\n")
    params = default_params()
    with pytest.raises(TimestampGapError) as error:
        read_raw_series([path], params, "forecast")
    message = str(error.value)
    assert f"from 2006-12-30 17:22:00 ({path} line 20160) to 2099-12-30 17:23:00" in message
    assert f"({path} line 20161)" in message
    # null turns the check off: the rows are read, the gap is the user's to keep
    unchecked = default_params(missing={**params.missing.model_dump(), "max_timestamp_gap": None})
    raw, _ = read_raw_series([path], unchecked, "forecast")
    assert raw.index[-1] == pd.Timestamp("2099-12-30 17:23")


def test_max_timestamp_gap_must_be_a_duration_or_null():
    with pytest.raises(
        SettingsError, match=r"ingestion\.missing\.max_timestamp_gap = 'a month': .*duration"
    ):
        default_params(missing={"max_timestamp_gap": "a month"})


@pytest.mark.parametrize("field", ["timestamp", "features", "missing_markers", "resample"])
def test_fields_that_describe_the_data_have_no_default(field):
    raw = yaml.safe_load((CONF / "parameters_ingestion.yml").read_text())["ingestion"]
    del raw[field]
    with pytest.raises(SettingsError, match=rf"ingestion\.{field}: Field required"):
        IngestionParams.model_validate(raw)


def test_features_may_not_be_an_empty_list():
    with pytest.raises(SettingsError, match="'features' is an empty list"):
        default_params(features=[])


def test_classification_reads_labelled_sequences_through_the_same_nodes():
    folder = Path(__file__).resolve().parents[1] / "data" / "labelled" / "JapaneseVowels"
    params = default_params(labelled={"missing": "error"})
    raw, read_report = read_raw_series(sorted(folder.iterdir()), params, "classification")
    assert read_report["cases"] == {"train": 6, "test": 4}
    series, report, mapping = clean_series(raw, read_report, params, "classification")
    assert mapping["classes"] == ["1", "2", "3"] and report["n_classes"] == 3
    assert list(series.columns[:4]) == ["split", "case", "step", "label"]
    assert series["label"].dtype == np.int32 and len(series) == len(raw)


def test_forecasting_ignores_labelled_files_beside_its_csv(tmp_path, slice_path):
    (tmp_path / "power.csv.xz").write_bytes(slice_path.read_bytes())
    (tmp_path / "notes.txt").write_text("not data")
    from lstm_pipeline.datasets import RawFilesDataset

    files = RawFilesDataset(path=str(tmp_path)).load()
    assert [f.name for f in files] == ["notes.txt", "power.csv.xz"]
    raw, report = read_raw_series(files, default_params(resample=None), "forecast")
    assert report["rows_read"] == 20160


def test_a_target_recorded_late_and_stopped_early_is_trimmed_not_reported_as_gaps(
    tmp_path, slice_text
):
    lines = slice_text.splitlines()
    for i in [*range(1, 91), *range(len(lines) - 75, len(lines))]:  # 90 first, 75 last rows
        fields = lines[i].split(",")
        lines[i] = ",".join([*fields[:2], "?", *fields[3:]])
    path = tmp_path / "late_target.csv"
    path.write_text("\n".join(lines) + "\n")
    kept = default_params(resample=None)
    raw, read_report = read_raw_series([path], kept, "forecast")
    _, untrimmed = clean_series(raw, read_report, kept, "forecast")[:2]
    assert untrimmed["gaps"]["longer_than_max_gap"] == 2  # both edges, over 60 minutes each
    trim = default_params(resample=None, missing={"trim_target_edges": True})
    series, report, _ = clean_series(raw, read_report, trim, "forecast")
    assert report["missing"]["trimmed_target_edges"] == {"leading_rows": 90, "trailing_rows": 75}
    assert report["gaps"]["longer_than_max_gap"] == 0
    assert series.index[0] == raw.index[90] and series.index[-1] == raw.index[-76]
    assert not series["Global_active_power"].isna().any()
