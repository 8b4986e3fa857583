"""Windowing and input-pipeline benchmark on the full one-minute default series.

Measures, side by side in one run:
1. windowing the full series (2,075,259 x 7) into shards: windows/s, peak RSS (child
   process), shard bytes before compression over the split's float32 array bytes, and
   bytes on disk;
2. shuffled read throughput in windows/s at input_length 168 and 1440, batch 256, of
   `make_dataset` (HDF5 and TFRecord), of `keras.utils.timeseries_dataset_from_array` on the
   same array held in memory, and of a plain numpy gather of random windows (the in-memory
   ceiling).

    .venv/bin/python bench/windowing.py [--seconds 8]

Results: bench/results/windowing.json and a Markdown table on stdout.

With ``--checksum-cost`` it measures only what HDF5's per-chunk Fletcher-32 checksums cost
the shuffled read at input_length 168: the same shards written with and without them, read
in turn for ``--rounds`` rounds of ``--seconds`` each (bench/results/fletcher32.json).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SCRATCH = REPO / "bench" / "scratch"
RESULTS = REPO / "bench" / "results"
SERIES = SCRATCH / "minute_series.parquet"
BATCH = 256
HORIZON = 24
TARGET = "Global_active_power"


def prepare_series() -> None:
    """The full minute series, ingested without resampling and standard-scaled."""
    if SERIES.exists():
        return
    from lstm_pipeline.ingest.cleaning import fill_missing, order_and_deduplicate, regularise
    from lstm_pipeline.ingest.reading import TimestampSpec, list_raw_files, read_raw_files
    from lstm_pipeline.scaling.scaler import Scaler, fit_scaler

    files = list_raw_files(REPO / "data/01_raw/household_power")
    spec = TimestampSpec(
        column=None, date_column="Date", time_column="Time", format="%d/%m/%Y %H:%M:%S"
    )
    table = read_raw_files(
        files, timestamp=spec, features=None, targets=[TARGET], missing_markers=["?", ""]
    )
    frame, _ = order_and_deduplicate(table, "error")
    frame, _ = regularise(frame, frame.index[1] - frame.index[0])
    frame, _ = fill_missing(frame, policy="interpolate", max_gap_steps=60)
    train = frame.iloc[: int(0.7 * len(frame))]
    scaled = Scaler(fit_scaler(train, "standard", list(frame.columns))).transform(frame)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    scaled.to_parquet(SERIES)


WRITE = """
import json, sys
from pathlib import Path
from lstm_pipeline.windows import stores
from lstm_pipeline.windows.series import ParquetSeries
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.writing import WindowingJob
series = ParquetSeries(sys.argv[1])
length, fmt, out = int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
stores.HDF5_FLETCHER32 = sys.argv[5] == "checksums"
job = WindowingJob(source=series, spec=WindowSpec(length, 24), features=series.columns,
                   targets=["Global_active_power"], fmt=fmt, layout="segments")
manifest = job.write(out)
print(json.dumps({k: manifest[k] for k in ("windows_total", "array_bytes", "bytes_on_disk",
                  "values_stored", "seconds")}))
"""


def write_shards(length: int, fmt: str, checksums: bool = True) -> dict:
    out = SCRATCH / f"shards_{fmt}_{length}{'' if checksums else '_no_checksums'}"
    if out.exists():
        import shutil

        shutil.rmtree(out)
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WRITE,
            str(SERIES),
            str(length),
            fmt,
            str(out),
            "checksums" if checksums else "none",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"windowing {fmt} {length} failed")
    result = json.loads(output)
    result.update(
        {
            "wall_s": time.perf_counter() - started,
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "stored_over_array": result["values_stored"] * 4 / result["array_bytes"],
            "disk_over_array": result["bytes_on_disk"] / result["array_bytes"],
            "windows_per_s": result["windows_total"] / result["seconds"],
            "folder": str(out),
        }
    )
    return result


def rate(batches, seconds: float) -> float:
    """Windows per second drawn from an iterator of (inputs, targets) or inputs batches."""
    iterator = iter(batches)
    next(iterator)  # warm-up: graph tracing, first shard open
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        batch = next(iterator)
        first = batch[0] if isinstance(batch, tuple) else batch
        count += int(first.shape[0])
    return count / (time.perf_counter() - started)


def numpy_gather(values: np.ndarray, target: np.ndarray, length: int):
    rng = np.random.default_rng(0)
    last = len(values) - length - HORIZON
    steps, horizon = np.arange(length), np.arange(HORIZON)
    while True:
        starts = rng.integers(0, last, BATCH)
        yield values[starts[:, None] + steps], target[starts[:, None] + length + horizon]


def read_rates(length: int, folders: dict, seconds: float) -> dict:
    import keras
    import pandas as pd

    from lstm_pipeline import make_dataset

    frame = pd.read_parquet(SERIES)
    values = frame.to_numpy(np.float32)
    values = np.nan_to_num(values)  # the helper cannot skip gaps; fill them for its sake
    target = values[:, list(frame.columns).index(TARGET)]
    result = {}
    for fmt, folder in folders.items():
        dataset = make_dataset(folder, BATCH, shuffle=True, seed=1, repeat=True)
        result[f"make_dataset ({fmt})"] = rate(dataset, seconds)
    helper = keras.utils.timeseries_dataset_from_array(
        values[:-HORIZON], None, sequence_length=length, batch_size=BATCH, shuffle=True, seed=1
    ).repeat()
    result["keras timeseries_dataset_from_array"] = rate(helper, seconds)
    result["numpy gather (in memory)"] = rate(numpy_gather(values, target, length), seconds)
    return result


def checksum_cost(seconds: float, rounds: int) -> None:
    """Shuffled HDF5 read rate at L=168 with and without Fletcher-32, read in turn."""
    from lstm_pipeline import make_dataset

    writes = {"fletcher32": write_shards(168, "hdf5"), "none": write_shards(168, "hdf5", False)}
    rates: dict[str, list[float]] = {name: [] for name in writes}
    for _ in range(rounds):
        for name, written in writes.items():
            dataset = make_dataset(written["folder"], BATCH, shuffle=True, seed=1, repeat=True)
            rates[name].append(rate(dataset, seconds))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fletcher32.json").write_text(json.dumps({"rates": rates}, indent=2))
    plain = float(np.median(rates["none"]))
    print("| HDF5 checksums | windows/s per round, L=168 | median | vs none | bytes on disk |")
    print("|---|---|---|---|---|")
    for name, values in rates.items():
        median = float(np.median(values))
        cells = ", ".join(f"{v:,.0f}" for v in values)
        disk = writes[name]["bytes_on_disk"]
        print(f"| {name} | {cells} | {median:,.0f} | {median / plain:.3f}x | {disk:,} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--checksum-cost", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    prepare_series()
    if args.checksum_cost:
        checksum_cost(args.seconds, args.rounds)
        return
    writes = {}
    for length in (512, 168, 1440):
        for fmt in ("hdf5", "tfrecord"):
            writes[f"{fmt} L={length}"] = write_shards(length, fmt)
    reads = {}
    for length in (168, 1440):
        folders = {fmt: writes[f"{fmt} L={length}"]["folder"] for fmt in ("hdf5", "tfrecord")}
        reads[length] = read_rates(length, folders, args.seconds)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "windowing.json").write_text(
        json.dumps({"writes": writes, "reads": reads}, indent=2)
    )

    print(
        "| windowing (full minute series, stride 1) | windows | windows/s | peak RSS (MB) "
        "| stored / array bytes | on disk / array bytes |"
    )
    print("|---|---|---|---|---|---|")
    for name, w in writes.items():
        print(
            f"| {name} | {w['windows_total']:,} | {w['windows_per_s']:,.0f} | "
            f"{w['peak_rss_mb']:.0f} | {w['stored_over_array']:.3f} | {w['disk_over_array']:.3f} |"
        )
    print()
    print(
        "| shuffled read, batch 256 | windows/s L=168 | vs keras | vs numpy | windows/s L=1440 "
        "| vs keras | vs numpy |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in reads[168]:
        cells = []
        for length in (168, 1440):
            r = reads[length]
            cells += [
                f"{r[name]:,.0f}",
                f"{r[name] / r['keras timeseries_dataset_from_array']:.2f}x",
                f"{r[name] / r['numpy gather (in memory)']:.2f}x",
            ]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
