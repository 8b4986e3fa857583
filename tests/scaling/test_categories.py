"""Categorical encoding learned on the train split only, checked against pandas on the text."""

import numpy as np
import pandas as pd
import pytest

from lstm_pipeline.errors import UnseenCategoryError
from lstm_pipeline.pipelines.normalisation.nodes import (
    find_split_ranges,
    fit_train_scaler,
    transform_splits,
)
from lstm_pipeline.pipelines.normalisation.params import NormalisationParams

VOCABULARY = ["sun", "rain", "fog", "snow", "drizzle"]


def weather_series(rows=400) -> tuple[pd.DataFrame, pd.Series]:
    """Daily rows; 'snow' only after the train split, 'drizzle' only in the train split."""
    rng = np.random.default_rng(3)
    text = pd.Series(rng.choice(["sun", "rain", "fog", "drizzle"], rows))
    text[300:] = rng.choice(["sun", "rain", "snow"], rows - 300)
    text[5] = None
    index = pd.date_range("2014-01-01", periods=rows, freq="D", name="timestamp")
    codes = text.map({name: i for i, name in enumerate(VOCABULARY)}).astype("float32")
    frame = pd.DataFrame({"temp": rng.normal(size=rows), "weather": codes.to_numpy()}, index)
    frame = frame.astype("float32")
    frame.attrs = {"frequency": "D", "categories": {"weather": VOCABULARY}}
    return frame, pd.Series(text.to_numpy(), index=index)


def normalise(frame, **settings):
    params = NormalisationParams(split={"train": 0.7, "val": 0.1, "test": 0.2}, **settings)
    ranges = find_split_ranges(frame, params, "forecast", 0)
    fitted = fit_train_scaler(frame, ranges, params, "forecast")
    return ranges, fitted, transform_splits(frame, ranges, fitted, "forecast")


def test_one_hot_columns_are_the_train_categories_plus_other(tmp_path):
    frame, text = weather_series()
    ranges, fitted, (train, val, test, report) = normalise(frame)
    train_text = text.iloc[: ranges["train"]["rows"]]
    categories = sorted(train_text.dropna().unique())  # oracle: pandas on the train text
    assert fitted["categorical"]["columns"]["weather"]["categories"] == categories
    assert "snow" not in categories  # test rows never reached the encoding
    expected_columns = ["temp", *(f"weather={c}" for c in categories), "weather=other"]
    assert all(list(part.columns) == expected_columns for part in (train, val, test))
    for part in (train, val, test):
        truth = text.loc[part.index].where(text.loc[part.index].isin(categories), "other")
        dummies = pd.get_dummies(truth).reindex(columns=[*categories, "other"], fill_value=0)
        present = text.loc[part.index].notna().to_numpy()
        encoded = part.iloc[:, 1:].to_numpy()
        np.testing.assert_array_equal(encoded[present], dummies.to_numpy(np.float32)[present])
        assert np.isnan(encoded[~present]).all()  # missing stays missing
    snow = int((text.loc[test.index] == "snow").sum())
    assert report["splits"]["test"]["unseen_categories"] == {"weather": {"snow": snow}}
    assert report["splits"]["train"]["unseen_categories"] == {"weather": {}}


def test_codes_number_the_train_categories_and_other_last():
    frame, text = weather_series()
    ranges, fitted, (train, _, test, _) = normalise(frame, categorical_encoding="codes")
    categories = fitted["categorical"]["columns"]["weather"]["categories"]
    assert list(test.columns) == ["temp", "weather"]
    lookup = {name: i for i, name in enumerate(categories)}
    expected = text.loc[test.index].map(lambda v: lookup.get(v, len(categories)) if v else v)
    np.testing.assert_array_equal(test["weather"].to_numpy(), expected.to_numpy(np.float32))


def test_an_unseen_category_can_be_refused_naming_column_value_time_and_split():
    frame, text = weather_series()
    first_snow = text[text == "snow"].index[0]
    with pytest.raises(UnseenCategoryError) as error:
        normalise(frame, unseen_category="error")
    message = str(error.value)
    assert "'weather' holds 'snow'" in message and str(first_snow) in message
    assert "split" in message and "unseen_category: other" in message


def test_the_numeric_scaler_never_sees_a_category():
    frame, _ = weather_series()
    _, fitted, _ = normalise(frame)
    assert fitted["columns"] == ["temp"]
