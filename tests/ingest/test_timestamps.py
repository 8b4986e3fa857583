"""Timestamps: the nanosecond range, UTC offsets, and the spec of where they come from."""

from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lstm_pipeline.errors import (
    MixedTimezoneError,
    SettingsError,
    TimestampParseError,
    TimestampRangeError,
)
from lstm_pipeline.ingest.reading import read_raw_files
from lstm_pipeline.ingest.timestamps import TimestampSpec, out_of_nanosecond_range

DATE_AND_TIME = TimestampSpec(
    column=None, date_column="Date", time_column="Time", format="%d/%m/%Y %H:%M:%S"
)
ONE_COLUMN = TimestampSpec(column="when", date_column=None, time_column=None, format=None)


def read(files, timestamp=DATE_AND_TIME, targets=("Global_active_power",), chunk_rows=5000):
    return read_raw_files(
        files,
        timestamp=timestamp,
        features=None,
        targets=list(targets),
        missing_markers=["?", "", "NA"],
        chunk_rows=chunk_rows,
    )


def with_year(slice_text, line_index, year):
    """The slice with the year of one line changed; also the changed date and time."""
    lines = slice_text.splitlines()
    lines[line_index] = lines[line_index].replace("/2006", f"/{year}", 1)
    date, clock = lines[line_index].split(",")[:2]
    return "\n".join(lines) + "\n", f"{date} {clock}"


@pytest.mark.parametrize("year", [2300, 1600])
def test_a_year_outside_nanoseconds_is_named_not_wrapped_in_the_date_and_time_path(
    tmp_path, slice_text, year
):
    text, written = with_year(slice_text, 7000, year)
    path = tmp_path / "power.csv"
    path.write_text(text)
    with pytest.raises(TimestampRangeError) as error:
        read([path])
    message = str(error.value)
    assert f"'{path}' line 7001" in message
    assert repr(written) in message
    assert "mistyped year" in message


def test_a_year_after_2262_in_one_timestamp_column_is_named(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("when,x\n2020-01-01 00:00,1\n2020-01-01 00:01,2\n2300-01-01 00:02,3\n")
    with pytest.raises(TimestampRangeError, match=r"'2300-01-01 00:02'.*one.csv' line 4"):
        read([path], timestamp=ONE_COLUMN, targets=["x"])


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_a_parquet_datetime_after_2262_is_named(tmp_path, unit):
    path = tmp_path / "p.parquet"
    stamps = pa.array([datetime(2020, 1, 1), datetime(2300, 1, 1)], type=pa.timestamp(unit))
    pq.write_table(pa.table({"when": stamps, "x": [1.0, 2.0]}), path)
    with pytest.raises(TimestampRangeError, match=r"'2300-01-01 00:00:00'.*p.parquet' row 2"):
        read([path], timestamp=ONE_COLUMN, targets=["x"])


def test_the_last_minutes_nanoseconds_hold_are_read_exactly_and_the_next_is_not(tmp_path):
    path = tmp_path / "edge.csv"
    path.write_text("Date,Time,x\n11/04/2262,23:00:00,1\n11/04/2262,23:47:00,2\n")
    table = read([path], targets=["x"])
    assert [pd.Timestamp(t) for t in table.timestamps] == [
        pd.Timestamp("2262-04-11 23:00"),
        pd.Timestamp("2262-04-11 23:47"),
    ]
    path.write_text("Date,Time,x\n11/04/2262,23:00:00,1\n11/04/2262,23:48:00,2\n")
    with pytest.raises(TimestampRangeError, match="line 3"):
        read([path], targets=["x"])


def test_out_of_nanosecond_range_in_any_unit():
    days = np.array(["1677-09-21", "1677-09-22", "2262-04-11", "2262-04-12"], "datetime64[D]")
    assert out_of_nanosecond_range(days).tolist() == [True, False, False, True]
    seconds = days.astype("datetime64[s]")
    assert out_of_nanosecond_range(seconds).tolist() == [True, False, False, True]
    # a margin of a day rules out the last day too
    margin = out_of_nanosecond_range(seconds, margin_ns=86_400 * 10**9)
    assert margin.tolist() == [True, False, True, True]


def offsets_file(tmp_path, name="offsets.csv", first="+01:00", second="+02:00"):
    rows = [f"2020-03-29 00:{i:02d}{first},{i}" for i in range(10)]
    rows += [f"2020-03-29 03:{i:02d}{second},{i}" for i in range(10)]
    path = tmp_path / name
    path.write_text("when,x\n" + "\n".join(rows) + "\n")
    return path


def test_mixed_offsets_in_one_chunk_name_the_file_and_both_lines(tmp_path):
    path = offsets_file(tmp_path)
    with pytest.raises(MixedTimezoneError) as error:
        read([path], timestamp=ONE_COLUMN, targets=["x"])
    message = str(error.value)
    assert f"'{path}' line 2 is '2020-03-29 00:00+01:00'" in message
    assert f"'{path}' line 12 is '2020-03-29 03:00+02:00'" in message
    assert isinstance(error.value, TimestampParseError)


def test_an_offset_that_changes_between_chunks_is_named(tmp_path):
    path = offsets_file(tmp_path)
    with pytest.raises(MixedTimezoneError, match=r"line 2 is UTC\+01:00, .*line 12 is UTC\+02"):
        read([path], timestamp=ONE_COLUMN, targets=["x"], chunk_rows=10)


def test_an_offset_that_changes_between_files_is_named(tmp_path):
    first = offsets_file(tmp_path, "a.csv", "+01:00", "+01:00")
    second = offsets_file(tmp_path, "b.csv", "", "")
    with pytest.raises(MixedTimezoneError, match=r"b.csv' line 2 is without offset"):
        read([first, second], timestamp=ONE_COLUMN, targets=["x"])


def test_one_offset_throughout_is_converted_to_utc(tmp_path):
    path = offsets_file(tmp_path, first="+01:00", second="+01:00")
    table = read([path], timestamp=ONE_COLUMN, targets=["x"])
    assert pd.Timestamp(table.timestamps[0]) == pd.Timestamp("2020-03-28 23:00")


def test_the_spec_takes_one_column_or_a_date_and_a_time_column():
    with pytest.raises(SettingsError, match="give one of 'column', 'date_column'"):
        TimestampSpec.model_validate(
            {"column": "t", "date_column": "d", "time_column": "h", "format": None}
        )
    with pytest.raises(SettingsError, match="both 'date_column' and 'time_column'"):
        TimestampSpec.model_validate(
            {"column": None, "date_column": "d", "time_column": None, "format": None}
        )
    with pytest.raises(SettingsError, match="format: Field required"):
        TimestampSpec.model_validate({"column": "t", "date_column": None, "time_column": None})
    assert DATE_AND_TIME.source_columns == ["Date", "Time"]
    assert ONE_COLUMN.source_columns == ["when"]


PARTS = TimestampSpec(
    column=None,
    date_column=None,
    time_column=None,
    format=None,
    parts={"year": "year", "month": "month", "day": "day", "hour": "hour"},
)


def parts_file(tmp_path, rows: list[str], header: str = "year,month,day,hour,pm2.5,TEMP"):
    path = tmp_path / "air.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_a_timestamp_is_assembled_from_date_part_columns(tmp_path):
    rows = ["2010,1,1,0,NA,-11", "2010,1,1,1,129,-12", "2012,2,29,23,7,3.5"]
    table = read([parts_file(tmp_path, rows)], timestamp=PARTS, targets=["pm2.5"])
    expected = [datetime(2010, 1, 1, 0), datetime(2010, 1, 1, 1), datetime(2012, 2, 29, 23)]
    assert [pd.Timestamp(t).to_pydatetime() for t in table.timestamps] == expected
    # the part columns are the timestamp, not features
    assert table.columns == ["pm2.5", "TEMP"]
    assert PARTS.source_columns == ["year", "month", "day", "hour"]


def test_date_parts_left_out_take_their_defaults(tmp_path):
    monthly = TimestampSpec.model_validate(
        {**PARTS.model_dump(), "parts": {"year": "y", "month": "m"}}
    )
    path = parts_file(tmp_path, ["1949,1,112", "1949,2,118"], header="y,m,passengers")
    table = read([path], timestamp=monthly, targets=["passengers"])
    assert [pd.Timestamp(t) for t in table.timestamps] == [
        pd.Timestamp("1949-01-01"),
        pd.Timestamp("1949-02-01"),
    ]


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        ("2010,13,1,0,1,1", TimestampParseError, r"line 3 make no date: .*'month': '13'"),
        ("2010,2,30,0,1,1", TimestampParseError, r"line 3 make no date"),
        ("2010,1,1,x,1,1", TimestampParseError, r"hour in column 'hour' of .*line 3 is 'x'"),
        ("2010,1,1,1.5,1,1", TimestampParseError, r"line 3 is '1.5', not a whole number"),
        ("2300,1,1,0,1,1", TimestampRangeError, r"'2300-01-01' .*line 3 .*mistyped year"),
    ],
)
def test_date_parts_that_make_no_timestamp_are_named(tmp_path, row, error, message):
    path = parts_file(tmp_path, ["2010,1,1,0,1,1", row])
    with pytest.raises(error, match=message):
        read([path], timestamp=PARTS, targets=["pm2.5"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"column": "t"}, "give one of 'column'"),
        ({"parts": {"month": "m"}}, "needs a 'year' column"),
        ({"format": "%Y"}, "'format' reads text timestamps"),
        ({"parts": {"year": "y", "week": "w"}}, "parts.week"),
    ],
)
def test_the_parts_spec_is_checked(change, message):
    with pytest.raises(SettingsError, match=message):
        TimestampSpec.model_validate({**PARTS.model_dump(), **change})
