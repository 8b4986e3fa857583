"""Categorical columns through ingestion: codes into a vocabulary, never averaged."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.ingest.categories import CategoryCoder, mode_or_last
from lstm_pipeline.ingest.cleaning import MissingSpec, ResampleSpec
from lstm_pipeline.ingest.reading import TimestampSpec
from lstm_pipeline.ingest.series import make_regular_series, read_sorted_series

CSV = """year,month,day,hour,pm25,cbwd,station
2013,3,1,0,10,NW,3
2013,3,1,1,12,NW,3.0
2013,3,1,2,NA,cv,7
2013,3,1,3,20,NA,7
2013,3,1,4,22,SE,3
2013,3,1,5,24,cv,3
"""


def read(tmp_path, text=CSV, duplicates="error", **options):
    path = tmp_path / "air.csv"
    path.write_text(text)
    parts = {"year": "year", "month": "month", "day": "day", "hour": "hour"}
    return read_sorted_series(
        [path],
        timestamp=TimestampSpec(
            column=None, date_column=None, time_column=None, format=None, parts=parts
        ),
        features=None,
        targets=["pm25"],
        missing_markers=["NA"],
        chunk_rows=2,  # the vocabulary grows across chunks
        csv_options={},
        duplicates=duplicates,
        max_timestamp_gap=None,
        categorical=["cbwd", "station"],
        **options,
    )


def test_text_and_integer_categories_are_coded_into_a_vocabulary(tmp_path):
    frame, report = read(tmp_path)
    assert report["categories"] == {"cbwd": ["NW", "cv", "SE"], "station": ["3", "7"]}
    assert report["features"] == ["pm25", "cbwd", "station"]
    vocabulary = report["categories"]["cbwd"]
    decoded = [None if np.isnan(c) else vocabulary[int(c)] for c in frame["cbwd"]]
    assert decoded == ["NW", "NW", "cv", None, "SE", "cv"]  # NA: missing, not a category
    assert frame["station"].tolist() == [0, 0, 1, 1, 0, 0]  # 3 and 3.0 are one category


def test_a_category_is_never_averaged_interpolated_or_resampled_into_a_fraction(tmp_path):
    duplicated = CSV + "2013,3,1,5,30,SE,7\n"
    frame, report = read(tmp_path, duplicated, duplicates="mean")
    assert frame["pm25"].iloc[-1] == 27.0 and frame["cbwd"].iloc[-1] == 1  # cv, the first
    series, _ = make_regular_series(
        frame, report, frequency=None, missing=MissingSpec(policy="interpolate"), resampling=None
    )
    assert series["pm25"].iloc[2] == 16.0  # the number is interpolated
    assert series["cbwd"].iloc[3] == 1  # the category is carried forward (cv)
    assert series.attrs["categories"] == report["categories"]
    coarse, _ = make_regular_series(
        frame,
        report,
        frequency=None,
        missing=MissingSpec(),
        resampling=ResampleSpec(frequency="3h", per_column={}),
    )
    assert coarse["cbwd"].tolist() == [0.0, 1.0]  # NW twice of three; then cv (tie: latest)


def test_mode_or_last():
    assert mode_or_last(pd.Series([2.0, 1.0, 2.0, 1.0])) == 1.0  # a tie: the latest wins
    assert np.isnan(mode_or_last(pd.Series([np.nan, np.nan])))


def test_the_coder_keeps_first_seen_order_across_chunks():
    coder = CategoryCoder(["w"])
    first = coder.encode("w", pd.Series(["b", "a", None]))
    second = coder.encode("w", pd.Series(["c", "b"]))
    np.testing.assert_array_equal(first, [0, 1, np.nan])
    np.testing.assert_array_equal(second, [2, 0])
    assert coder.vocabularies == {"w": ["b", "a", "c"]}


def test_a_categorical_target_is_refused_in_the_settings():
    from lstm_pipeline.errors import SettingsError
    from tests.pipelines.test_ingestion_nodes import default_params

    with pytest.raises(SettingsError, match="'categorical' names target"):
        default_params(categorical=["Global_active_power"])
