"""rows/s of the data stages on the pandas engine and on Dask with 1 and 2 workers.

The bundled one-minute series (2,075,259 rows x 7 columns, one .csv.xz file) is cut once,
untimed, into ``--parts`` gzip CSV files (the Dask engine reads one file per task, so one
file would give it nothing to share out) and a train split of 70% of its rows (Parquet).
Then, for each engine in turn, in one process and one run (side by side):

1. read: ``read_sorted_series`` of the parts (parse, sort, deduplicate);
2. scaler: ``fit_scaler`` (standard) of the train rows, moments per block of 262,144 rows;
3. shards: ``WindowingJob.write`` of the train split (segments, gzip 4) into shards of
   ``--shard-mb`` MB (each shard compressed and hashed by a worker on Dask).

The Dask figures exclude the cluster's start (given apart): a run starts it once. Rows/s
are of the best of ``--rounds`` rounds.

    .venv/bin/python bench/dask_engine.py [--parts 8] [--rounds 2] [--shard-mb 4]

Results: bench/results/dask_engine.json and a Markdown table on stdout.
"""

import argparse
import gzip
import json
import lzma
import os
import tempfile
import time
from pathlib import Path

import yaml

from lstm_pipeline.ingest.cleaning import MissingSpec
from lstm_pipeline.ingest.series import make_regular_series, read_sorted_series
from lstm_pipeline.ingest.timestamps import TimestampSpec
from lstm_pipeline.parallel.engine import (
    DaskMapper,
    EngineParams,
    close_shared,
    serial_map,
    shared_client,
)
from lstm_pipeline.scaling.scaler import fit_scaler
from lstm_pipeline.windows.series import ParquetSeries
from lstm_pipeline.windows.spec import WindowSpec
from lstm_pipeline.windows.writing import WindowingJob

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data/01_raw/household_power/minute_household_power.csv.xz"
SCRATCH = REPO / "bench" / "scratch" / "dask_engine"
RESULTS = REPO / "bench" / "results"
TARGET = "Global_active_power"


def read_options() -> dict:
    """The conf/base ingestion settings the reader takes."""
    ingestion = yaml.safe_load((REPO / "conf/base/parameters_ingestion.yml").read_text())
    ingestion = ingestion["ingestion"]
    return {
        "timestamp": TimestampSpec.model_validate(ingestion["timestamp"]),
        "features": None,
        "targets": [TARGET],
        "missing_markers": ingestion["missing_markers"],
        "chunk_rows": ingestion["chunk_rows"],
        "csv_options": {},
        "duplicates": "error",
        "max_timestamp_gap": None,
    }


def prepare(parts: int) -> tuple[list[Path], Path]:
    """The raw file cut into ``parts`` gzip CSVs of consecutive rows, and the train split."""
    folder = SCRATCH / f"parts_{parts}"
    train = SCRATCH / "train_series.parquet"
    if not folder.exists():
        lines = lzma.decompress(RAW.read_bytes()).decode().splitlines(keepends=True)
        header, rows = lines[0], lines[1:]
        size = -(-len(rows) // parts)
        folder.mkdir(parents=True)
        for number in range(parts):
            with gzip.open(folder / f"part_{number:03d}.csv.gz", "wt", compresslevel=1) as out:
                out.writelines([header, *rows[number * size : (number + 1) * size]])
    files = sorted(folder.glob("*.csv.gz"))
    if not train.exists():
        raw, report = read_sorted_series(files, **read_options())
        series, _ = make_regular_series(
            raw, report, frequency=None, missing=MissingSpec(), resampling=None
        )
        series.iloc[: int(len(series) * 0.7)].to_parquet(train)
    return files, train


def stage_read(files: list[Path], train: Path, map_items, args) -> dict:
    started = time.perf_counter()
    raw, _ = read_sorted_series(files, **read_options(), map_items=map_items)
    return {"rows": len(raw), "seconds": time.perf_counter() - started}


def stage_scaler(files: list[Path], train: Path, map_items, args) -> dict:
    frame = ParquetSeries(train).to_pandas()  # not timed: not the scaler's work
    started = time.perf_counter()
    fit_scaler(frame, "standard", list(frame.columns), map_items=map_items)
    return {"rows": len(frame), "seconds": time.perf_counter() - started}


def stage_shards(files: list[Path], train: Path, map_items, args) -> dict:
    source = ParquetSeries(train)
    job = WindowingJob(
        source=source,
        spec=WindowSpec(60, 15),
        features=list(source.columns),
        targets=[TARGET],
        shard_mb=args.shard_mb,
        map_items=map_items,
    )
    with tempfile.TemporaryDirectory(dir=SCRATCH) as folder:
        started = time.perf_counter()
        manifest = job.write(Path(folder) / "train_shards")
        seconds = time.perf_counter() - started
    return {"rows": source.num_rows, "seconds": seconds, "files": len(manifest["shards"])}


def timed(stage, files, train, map_items, args) -> dict:
    """The fastest of ``args.rounds`` runs of ``stage``, with its rows/s."""
    runs = [stage(files, train, map_items, args) for _ in range(args.rounds)]
    best = min(runs, key=lambda run: run["seconds"])
    return {**best, "rows_per_s": best["rows"] / best["seconds"]}


def run_engine(name: str, workers: int, files, train, args) -> dict:
    """Every stage on one engine; for Dask, the cluster's start and close times too."""
    result, map_items = {"engine": name}, serial_map
    if workers:
        params = EngineParams(name="dask", n_workers=workers, memory_limit="3GiB")
        started = time.perf_counter()
        shared_client(params)
        result["cluster_start_s"] = time.perf_counter() - started
        map_items = DaskMapper(params)
    for stage_name, stage in STAGES.items():
        result[stage_name] = timed(stage, files, train, map_items, args)
    if workers:
        started = time.perf_counter()
        close_shared()
        result["cluster_close_s"] = time.perf_counter() - started
    return result


STAGES = {"read": stage_read, "scaler": stage_scaler, "shards": stage_shards}


def table(results: list[dict]) -> str:
    base = results[0]
    lines = [
        "| engine | read rows/s | scaler rows/s | shards rows/s | cluster start (s) |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        speeds = [(r[s]["rows_per_s"], base[s]["rows_per_s"]) for s in STAGES]
        cells = [f"{speed:,.0f} ({speed / pandas:.2f}x)" for speed, pandas in speeds]
        start = f"{r['cluster_start_s']:.1f}" if "cluster_start_s" in r else "-"
        lines.append(f"| {r['engine']} | {' | '.join(cells)} | {start} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", type=int, default=8, help="raw files the series is cut into")
    parser.add_argument("--rounds", type=int, default=2, help="runs per stage; the best counts")
    parser.add_argument("--shard-mb", type=float, default=4.0, help="MB per shard")
    args = parser.parse_args()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    files, train = prepare(args.parts)
    engines = (("pandas", 0), ("dask, 1 worker", 1), ("dask, 2 workers", 2))
    results = [run_engine(name, workers, files, train, args) for name, workers in engines]
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "parts": args.parts,
        "rounds": args.rounds,
        "shard_mb": args.shard_mb,
        "cpus": os.cpu_count(),
        "load_average_after": os.getloadavg(),  # other work on the machine skews the figures
    }
    (RESULTS / "dask_engine.json").write_text(json.dumps({**record, "results": results}, indent=2))
    print(table(results))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
