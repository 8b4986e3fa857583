"""Peak memory of truncated BPTT vs full-sequence training as the series grows.

Each contender runs in its own child process (peak RSS from getrusage, what
`/usr/bin/time -v` reports). The series is the first N rows of the full one-minute default
series (standard-scaled, bench/scratch/minute_series.parquet, made by bench/windowing.py).

1. TBPTT: N rows written as segment shards, then one epoch of `train()` with
   training.tbptt (C=256 steps, B=32 streams, LSTM 64), reading the shards chunk by chunk.
2. Full-sequence training: the same per-step model, stateless, on the whole N-step
   sequence in one call (one gradient step of backpropagation through all N steps).

    .venv/bin/python bench/tbptt_memory.py [--full-max 1000000]

Results: bench/results/tbptt_memory.json and a Markdown table.
"""

import argparse
import json
from pathlib import Path

from child import run_json_child  # bench/ is the script's folder on sys.path

REPO = Path(__file__).resolve().parents[1]
SCRATCH = REPO / "bench" / "scratch"
SERIES = SCRATCH / "minute_series.parquet"
RESULTS = REPO / "bench" / "results"
C, B, HORIZON = 256, 32, 15

CHILD = r"""
import json, resource, sys, time, tempfile
from pathlib import Path
import numpy as np, pandas as pd
mode, rows, series = sys.argv[1], int(sys.argv[2]), sys.argv[3]
C, B, H = 256, 32, 15
import keras
from lstm_pipeline.models import ModelSpec
from lstm_pipeline.models.sequence import build_sequence_model
spec = ModelSpec(recurrent={"units": [64]})
started = time.perf_counter()
if mode == "tbptt":
    from lstm_pipeline.trainer.config import TrainingConfig
    from lstm_pipeline.trainer.loop import train
    from lstm_pipeline.windows.series import ParquetSeries
    from lstm_pipeline.windows.spec import WindowSpec
    from lstm_pipeline.windows.writing import WindowingJob
    scratch = Path(tempfile.mkdtemp(dir=sys.argv[4]))
    import pyarrow.parquet as pq
    table = pq.read_table(series).slice(0, rows)
    pq.write_table(table, scratch / "part.parquet")
    source = ParquetSeries(scratch / "part.parquet")
    for name in ("train", "val"):
        WindowingJob(source=source, spec=WindowSpec(60, H), features=source.columns,
                     targets=["Global_active_power"], fmt="hdf5", layout="segments"
                     ).write(scratch / name)
    model = build_sequence_model(spec, n_features=7, horizon=H, n_targets=1, batch_size=B,
                                 chunk_length=C, stateful=True)
    config = TrainingConfig(epochs=1, checkpoint_dir=str(scratch / "ckpt"), tensorboard_dir=None,
                            checkpoint_every_steps=0, tbptt={"enabled": True, "chunk_length": C,
                            "streams": B})
    started = time.perf_counter()
    train(model, scratch / "train", scratch / "val", config, verbose=0)
    steps = rows // B // C * C * B
else:
    frame = pd.read_parquet(series).iloc[:rows]
    values = np.nan_to_num(frame.to_numpy(np.float32))
    target = values[:, 0]
    x = values[None, : rows - H]
    y = np.lib.stride_tricks.sliding_window_view(target[1:], H)[None, : rows - H, :, None]
    model = build_sequence_model(spec, n_features=7, horizon=H, n_targets=1)
    model.compile(optimizer="adam", loss="mse")
    started = time.perf_counter()
    model.train_on_batch(x, np.ascontiguousarray(y))
    steps = rows - H
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - started, "timesteps": steps}))
"""


def measure(mode: str, rows: int, timeout: int) -> dict:
    """One mode at one length, measured in a fresh process."""
    return run_json_child(["-c", CHILD, mode, str(rows), str(SERIES), str(SCRATCH)], timeout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full-max", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args()
    if not SERIES.exists():
        raise SystemExit("run bench/windowing.py first: it prepares bench/scratch/minute_series")
    results = {}
    for rows in (10_000, 100_000, 1_000_000):
        results[f"tbptt {rows}"] = measure("tbptt", rows, args.timeout)
        print(rows, "tbptt", results[f"tbptt {rows}"], flush=True)
    for rows in (10_000, 100_000, 1_000_000):
        if rows > args.full_max:
            continue
        results[f"full {rows}"] = measure("full", rows, args.timeout)
        print(rows, "full", results[f"full {rows}"], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tbptt_memory.json").write_text(json.dumps(results, indent=2))
    print("\n| timesteps | TBPTT peak RSS (MB) | TBPTT s | full-sequence peak RSS (MB) | full s |")
    print("|---|---|---|---|---|")
    for rows in (10_000, 100_000, 1_000_000):
        t, f = results[f"tbptt {rows}"], results.get(f"full {rows}", {})
        cells = [f"{rows:,}"]
        for r in (t, f):
            if "peak_rss_mb" in r:
                cells += [f"{r['peak_rss_mb']:.0f}", f"{r['seconds']:.1f}"]
            else:
                cells += [r.get("error", "not run"), ""]
        print("| " + " | ".join(cells) + " |")
    base = results["tbptt 10000"]["peak_rss_mb"]
    print(f"\nTBPTT 1,000,000 / 10,000: {results['tbptt 1000000']['peak_rss_mb'] / base:.2f}x")


if __name__ == "__main__":
    main()
