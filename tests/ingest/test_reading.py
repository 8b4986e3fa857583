"""Reading raw files: formats, column choice, and one test per kind of bad input."""

import bz2
import gzip
import lzma
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from lstm_pipeline.errors import (
    ColumnNotFoundError,
    DamagedFileError,
    FileEncodingError,
    NonFiniteValueError,
    NonNumericValueError,
    RawInputError,
    TimestampParseError,
)
from lstm_pipeline.ingest.reading import list_raw_files, read_raw_files
from lstm_pipeline.ingest.timestamps import TimestampSpec

SPEC = TimestampSpec(
    column=None, date_column="Date", time_column="Time", format="%d/%m/%Y %H:%M:%S"
)
MARKERS = ["?", "", "NA"]


def one_column(name, format=None):
    return TimestampSpec(column=name, date_column=None, time_column=None, format=format)


def read(files, **kwargs):
    args = {"timestamp": SPEC, "features": None, "targets": ["Global_active_power"]}
    args.update(kwargs)
    return read_raw_files(files, missing_markers=MARKERS, chunk_rows=5000, **args)


def write_csv(tmp_path, text, name="power.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_the_real_slice_as_float32_with_markers_as_nan(slice_path):
    table = read([slice_path])
    assert len(table.timestamps) == 20160
    assert table.columns == [
        "Global_active_power",
        "Global_reactive_power",
        "Voltage",
        "Global_intensity",
        "Sub_metering_1",
        "Sub_metering_2",
        "Sub_metering_3",
    ]
    assert all(v.dtype == np.float32 for v in table.values.values())
    assert pd.Timestamp(table.timestamps[0]) == pd.Timestamp("2006-12-16 17:24:00")
    assert table.values["Voltage"][0] == np.float32(234.84)
    assert int(np.isnan(table.values["Voltage"]).sum()) == 4  # two 2-minute cuts written '?'
    assert table.location(1) == f"{slice_path} line 3"


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".csv.zst", ".parquet"])
def test_every_format_gives_the_same_table(tmp_path, slice_path, slice_text, suffix):
    target = tmp_path / f"power{suffix}"
    if suffix == ".csv":
        target.write_text(slice_text)
    elif suffix == ".csv.gz":
        target.write_bytes(gzip.compress(slice_text.encode()))
    elif suffix == ".csv.zst":
        target.write_bytes(zstandard.ZstdCompressor().compress(slice_text.encode()))
    else:
        frame = pd.read_csv(slice_path, na_values=MARKERS, keep_default_na=False)
        frame.insert(
            0, "when", pd.to_datetime(frame.pop("Date") + " " + frame.pop("Time"), dayfirst=True)
        )
        frame.to_parquet(target)
    spec = one_column("when") if suffix == ".parquet" else SPEC
    expected = read([slice_path])
    table = read([target], timestamp=spec)
    np.testing.assert_array_equal(table.timestamps, expected.timestamps)
    for column, values in expected.values.items():
        np.testing.assert_array_equal(table.values[column], values)


def test_a_folder_reads_every_supported_file(tmp_path, slice_text):
    lines = slice_text.splitlines()
    (tmp_path / "a.csv").write_text("\n".join(lines[:101]) + "\n")
    (tmp_path / "b.csv").write_text("\n".join([lines[0], *lines[101:201]]) + "\n")
    (tmp_path / "notes.txt").write_text("not data")
    files = list_raw_files(tmp_path)
    assert [f.name for f in files] == ["a.csv", "b.csv"]
    table = read(files)
    assert len(table.timestamps) == 200
    assert table.location(150) == f"{tmp_path / 'b.csv'} line 52"


def test_declared_features_and_targets_are_the_only_columns(slice_path):
    table = read([slice_path], features=["Voltage"], targets=["Global_active_power"])
    assert table.columns == ["Voltage", "Global_active_power"]


def test_missing_path_names_it(tmp_path):
    with pytest.raises(RawInputError, match="nowhere.csv' does not exist"):
        list_raw_files(tmp_path / "nowhere.csv")


def test_folder_without_data_files(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(RawInputError, match="holds no data file"):
        list_raw_files(tmp_path)


def test_empty_file(tmp_path):
    path = write_csv(tmp_path, "")
    with pytest.raises(RawInputError, match=r"power.csv' is empty"):
        read([path])


def test_header_only(tmp_path, slice_text):
    path = write_csv(tmp_path, slice_text.splitlines()[0] + "\n")
    with pytest.raises(RawInputError, match="has a header but no data rows"):
        read([path])


def test_declared_column_absent(tmp_path, slice_text):
    path = write_csv(tmp_path, slice_text)
    with pytest.raises(ColumnNotFoundError, match=r"no column\(s\) \['Power'\]"):
        read([path], targets=["Power"])


def test_non_numeric_value_names_column_line_and_value(tmp_path, slice_text):
    lines = slice_text.splitlines()
    fields = lines[7000].split(",")
    fields[4] = "12.3.4"  # Voltage
    lines[7000] = ",".join(fields)
    path = write_csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(NonNumericValueError) as error:
        read([path])
    message = str(error.value)
    assert "Column 'Voltage'" in message
    assert "line 7001" in message
    assert "'12.3.4'" in message


def test_malformed_line_names_the_file_and_line(tmp_path, slice_text):
    lines = slice_text.splitlines()
    lines[7000] += ",extra"
    path = write_csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(RawInputError, match=r"power.csv' cannot be parsed: .*line 7001"):
        read([path])


def test_garbage_text_in_a_feature_column(tmp_path, slice_text):
    lines = slice_text.splitlines()
    lines[5] = lines[5].replace(",0.000,1.000,", ",oops,1.000,", 1)
    path = write_csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(
        NonNumericValueError, match=r"Column 'Sub_metering_1'.* line 6 holds 'oops'"
    ):
        read([path])


def test_unparseable_timestamp(tmp_path, slice_text):
    lines = slice_text.splitlines()
    lines[10] = lines[10].replace("16/12/2006", "16-12-2006", 1)
    path = write_csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(TimestampParseError, match=r"line 11: '16-12-2006 17:33:00'"):
        read([path])


def test_wrong_timestamp_column(tmp_path, slice_text):
    path = write_csv(tmp_path, slice_text)
    with pytest.raises(ColumnNotFoundError, match="Datum"):
        read([path], timestamp=one_column("Datum"))


def test_unsupported_single_file(tmp_path):
    path = tmp_path / "data.xlsx"
    shutil.copy(__file__, path)
    with pytest.raises(RawInputError, match="not a supported file"):
        list_raw_files(path)


def with_voltage(slice_text, line_index, value):
    lines = slice_text.splitlines()
    fields = lines[line_index].split(",")
    fields[4] = value  # Voltage
    lines[line_index] = ",".join(fields)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "1e39", "-1e39", "1e400"])
def test_infinite_or_float32_overflowing_csv_value_names_column_line_and_value(
    tmp_path, slice_text, value
):
    # line 9001 lies in the second chunk of 5000 rows
    path = write_csv(tmp_path, with_voltage(slice_text, 9000, value))
    with pytest.raises(NonFiniteValueError) as error:
        read([path])
    message = str(error.value)
    assert f"Column 'Voltage' of '{path}' line 9001 holds {value!r}" in message


def test_the_largest_float32_still_reads(tmp_path, slice_text):
    path = write_csv(tmp_path, with_voltage(slice_text, 9000, "3.4e38"))
    table = read([path])
    assert table.values["Voltage"][8999] == np.float32(3.4e38)


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        (pa.array([1.0, 1e39]), "'1e+39'"),  # float64 column
        (pa.array([1.0, float("inf")]), "'inf'"),
        (pa.array([1.0, float("-inf")]), "'-inf'"),
        (pa.array(["1.0", "1e39"]), "'1e39'"),  # text column: the text path
    ],
)
def test_infinite_or_overflowing_parquet_value_names_column_row_and_value(tmp_path, values, shown):
    path = tmp_path / "p.parquet"
    stamps = pa.array([0, 60_000_000], type=pa.timestamp("us"))
    pq.write_table(pa.table({"when": stamps, "x": values}), path)
    with pytest.raises(NonFiniteValueError) as error:
        read([path], timestamp=one_column("when"), targets=["x"])
    assert f"Column 'x' of '{path}' row 2 holds {shown}" in str(error.value)


def test_text_not_in_utf8_names_the_file_and_line(tmp_path, slice_text):
    data = with_voltage(slice_text, 754, "240\xb0")  # 240° in Latin-1
    path = tmp_path / "latin.csv"
    path.write_bytes(data.encode("latin-1"))
    with pytest.raises(FileEncodingError, match=rf"'{path}' is not utf-8 text: line 755 .*0xb0"):
        read([path])
    # declared, it is read: the message's advice works
    with pytest.raises(NonNumericValueError, match=r"line 755 holds '240°'"):
        read([path], csv_options={"encoding": "latin-1"})


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)) * 40, gzip.compress(b"Date,Time,x\n1/1/2020,00:00:00,1\n")],
    ids=["bytes", "gzip-named-csv"],
)
def test_a_binary_file_is_named_as_not_text(tmp_path, content):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(FileEncodingError, match=rf"'{path}' is not utf-8 text: line 1"):
        read([path])


COMPRESSORS = {
    ".csv.xz": lzma.compress,
    ".csv.gz": gzip.compress,
    ".csv.bz2": bz2.compress,
    ".csv.zst": lambda data: zstandard.ZstdCompressor().compress(data),
}


@pytest.mark.parametrize("suffix", list(COMPRESSORS))
def test_a_compressed_file_cut_short_is_named_never_read_short(tmp_path, slice_text, suffix):
    data = COMPRESSORS[suffix](slice_text.encode())
    path = tmp_path / f"power{suffix}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DamagedFileError, match=rf"'{path}' is cut short or damaged.* line \d+"):
        read([path])


def test_a_corrupt_xz_file_is_named(tmp_path, slice_path):
    data = bytearray(slice_path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = b"x" * 64
    path = tmp_path / "power.csv.xz"
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedFileError, match="LZMAError"):
        read([path])


def test_a_zst_file_of_several_frames_is_read_whole(tmp_path, slice_path, slice_text):
    cut = slice_text.index("\n", len(slice_text) // 2) + 1
    compressor = zstandard.ZstdCompressor()
    path = tmp_path / "power.csv.zst"
    path.write_bytes(
        compressor.compress(slice_text[:cut].encode())
        + compressor.compress(slice_text[cut:].encode())
    )
    table = read([path])
    np.testing.assert_array_equal(table.timestamps, read([slice_path]).timestamps)
