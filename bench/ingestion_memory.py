"""Peak memory and wall time of ingesting the full default file, beside a naive pandas read.

Each contender runs in its own child process; its peak RSS comes from os.wait4's rusage
(the same figure as `/usr/bin/time -v`'s "Maximum resident set size").

    .venv/bin/python bench/ingestion_memory.py      # prints a Markdown table, writes bench/results/
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data/01_raw/household_power/minute_household_power.csv.xz"

NAIVE = f"""
import pandas as pd
frame = pd.read_csv({str(RAW)!r}, na_values=["?"], low_memory=False)
stamps = frame.pop("Date") + " " + frame.pop("Time")
frame.index = pd.to_datetime(stamps, format="%d/%m/%Y %H:%M:%S")
print(frame.shape)
"""

CONTENDERS = {
    "kedro run --pipelines=ingestion (chunked, float32)": [
        sys.executable,
        "-m",
        "kedro",
        "run",
        "--pipelines=ingestion",
    ],
    "naive pd.read_csv of the whole file (float64)": [sys.executable, "-c", NAIVE],
}


def measure(command: list[str]) -> dict:
    """Run ``command`` in a fresh child and return its peak RSS (MB) and wall time (s)."""
    # wait4 gives the rusage of exactly this child, even with earlier children measured
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed:\n{process.stderr.read().decode()[-3000:]}")
    return {"peak_rss_mb": usage.ru_maxrss / 1024, "wall_s": elapsed}


def main() -> None:
    results = {name: measure(cmd) for name, cmd in CONTENDERS.items()}
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingestion_memory.json").write_text(json.dumps(results, indent=2))
    baseline = results["naive pd.read_csv of the whole file (float64)"]["peak_rss_mb"]
    print("| contender | peak RSS (MB) | wall time (s) | RSS vs naive |")
    print("|---|---|---|---|")
    for name, r in results.items():
        ratio = r["peak_rss_mb"] / baseline
        print(f"| {name} | {r['peak_rss_mb']:.0f} | {r['wall_s']:.1f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
