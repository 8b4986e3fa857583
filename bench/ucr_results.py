"""Test accuracy and wall time of the documented UCR/UEA configuration, over seeds.

Runs `kedro run -e ucr --params "ucr.dataset=<Name>,seed=<s>,training.retrain=true"` as a
subprocess for each set and seed, one at a time (timings matter: never two runs at once),
and collects from each run the model's test accuracy, the two baselines (majority class,
1-NN Euclidean), the epochs run, the train_model node's time and the run's wall time:

    .venv/bin/python bench/ucr_results.py [--sets GunPoint ArrowHead] [--seeds 1 2 3]
        [--params "training.epochs=50"] [--out bench/results/ucr]

The ucr environment writes under data/ucr/<Name>/, so the seeds of one set overwrite each
other: right after each run its metrics.json, training_history.json, report.md and log are
copied to <out>/<Name>/seed<s>/ with a result.json. A run whose result.json exists (with
the same extra params) is not run again, so an interrupted grid resumes where it stopped.
Raw results: <out>/results.json; a Markdown table on stdout, beside the published figures
of ../shared/data/ucr (README) and the aeon FCN wall times quoted in issue 12.
"""

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "bench/results/ucr"
SETS = ("GunPoint", "ItalyPowerDemand", "ArrowHead", "BasicMotions", "JapaneseVowels")
# Published test accuracy on the standard split (../shared/data README: UCR DataSummary for
# 1-NN, Fawaz et al. 2019 for FCN and ResNet, Karim et al. for LSTM-FCN); None: not published.
PUBLISHED = {
    "GunPoint": {"one_nn": 0.913, "fcn": 1.000, "resnet": 0.991, "lstm_fcn": 1.000},
    "ItalyPowerDemand": {"one_nn": 0.955, "fcn": 0.961, "resnet": 0.963, "lstm_fcn": 0.962},
    "ArrowHead": {"one_nn": 0.800, "fcn": 0.843, "resnet": 0.845, "lstm_fcn": 0.897},
    "JapaneseVowels": {"one_nn": None, "fcn": 0.993, "resnet": 0.992, "lstm_fcn": None},
    "BasicMotions": {"one_nn": None, "fcn": None, "resnet": None, "lstm_fcn": None},
}
# aeon's FCNClassifier at its default 2000 epochs on these 2 cores, as quoted in issue 12.
AEON_FCN_MINUTES = {"GunPoint": 19.0, "ItalyPowerDemand": 10.5}
COPIED = (
    "08_reporting/metrics.json",
    "08_reporting/training_history.json",
    "08_reporting/report.md",
)
NODE_TIME = re.compile(r"Node\s+'(\w+)'\s+took\s+([0-9.e+-]+)\s+s")
TIMING_LOCK = REPO / "bench/results/.timing.lock"


@contextlib.contextmanager
def exclusive_timing():
    """Hold bench/results/.timing.lock for the whole benchmark: bench/ucr_results.py and
    bench/classification.py never time their runs beside each other (nor twice at once)."""
    TIMING_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with TIMING_LOCK.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            sys.exit(
                f"Another timed benchmark holds {TIMING_LOCK}: wait until it finishes "
                "(two at once on 2 cores time neither)."
            )
        yield


def kedro_params(name: str, seed: int, extra: str) -> str:
    """The --params value of one run (training.retrain: a finished run is trained again)."""
    params = f"ucr.dataset={name},seed={seed},training.retrain=true"
    return f"{params},{extra}" if extra else params


def run_kedro(params: str, log_path: Path) -> float:
    """Run `kedro run -e ucr --params ...`, its output to ``log_path``; the wall seconds."""
    env = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1", TF_CPP_MIN_LOG_LEVEL="2", COLUMNS="200")
    command = [sys.executable, "-m", "kedro", "run", "-e", "ucr", "--params", params]
    started = time.perf_counter()
    with log_path.open("w") as log:
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        done = subprocess.run(
            command, check=False, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(log_path.read_text().splitlines()[-40:])
        sys.exit(f"kedro run failed (exit {done.returncode}), log {log_path}:\n{tail}")
    return wall


def node_seconds(log_text: str) -> dict[str, float]:
    """Each node's time from the project's "Node 'x' took N s" log lines."""
    return {name: float(seconds) for name, seconds in NODE_TIME.findall(" ".join(log_text.split()))}


def copy_outputs(name: str, seed: int, started: float, target: Path) -> None:
    """Copy this run's reports out of data/ucr/<Name>, refusing files it did not write."""
    source = REPO / "data/ucr" / name
    for relative in COPIED:
        path = source / relative
        if not path.is_file() or path.stat().st_mtime < started:
            sys.exit(f"{path} was not written by the run just made (seed {seed}): stopping.")
        shutil.copy2(path, target / path.name)
    history = json.loads((target / "training_history.json").read_text())
    if history.get("seed") != seed:
        sys.exit(f"{target}/training_history.json has seed {history.get('seed')}, not {seed}.")


def summarise_run(name: str, seed: int, extra: str, wall: float, folder: Path) -> dict:
    """One run's figures from the files copied to ``folder`` and its log."""
    metrics = json.loads((folder / "metrics.json").read_text())
    history = json.loads((folder / "training_history.json").read_text())
    nodes = node_seconds((folder / "kedro.log").read_text())
    baselines = metrics["baselines"]
    return {
        "set": name,
        "seed": seed,
        "params": extra,
        "accuracy": metrics["model"]["overall"]["accuracy"],
        "balanced_accuracy": metrics["model"]["overall"]["balanced_accuracy"],
        "majority_class": baselines["majority_class"]["overall"]["accuracy"],
        "one_nn_euclidean": baselines["one_nn_euclidean"]["overall"]["accuracy"],
        "one_nn_length_policy": baselines["one_nn_euclidean"].get("length_policy"),
        "test_cases": metrics["cases"],
        "train_cases": history.get("train_cases"),
        "epochs_run": len(history["history"]["loss"]),
        "epochs_set": history["settings"]["epochs"],
        "batch_size": history.get("effective_batch_size"),
        "train_model_s": nodes.get("train_model"),
        "node_seconds": nodes,
        "wall_s": wall,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def run_or_load(name: str, seed: int, extra: str, out: Path) -> dict:
    """The result of one set and seed: read back when it exists, else run and keep it."""
    folder = out / name / f"seed{seed}"
    result_path = folder / "result.json"
    if result_path.is_file():
        result = json.loads(result_path.read_text())
        if result.get("params", "") != extra:
            sys.exit(
                f"{result_path} was made with --params {result.get('params')!r}, not "
                f"{extra!r}: pass another --out for other settings, or delete it."
            )
        print(f"{name} seed {seed}: kept from {result_path}", flush=True)
        return result
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{name} seed {seed}: running ...", flush=True)
    started, load_before = time.time(), os.getloadavg()[0]
    wall = run_kedro(kedro_params(name, seed, extra), folder / "kedro.log")
    copy_outputs(name, seed, started, folder)
    result = summarise_run(name, seed, extra, wall, folder)
    result["load_1min_before_after"] = [load_before, os.getloadavg()[0]]
    result_path.write_text(json.dumps(result, indent=2))
    print(
        f"{name} seed {seed}: accuracy {result['accuracy']:.4f}, {result['epochs_run']} "
        f"epochs, train_model {result['train_model_s']:.0f} s, wall {wall:.0f} s",
        flush=True,
    )
    return result


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarise_set(name: str, runs: list[dict]) -> dict:
    """A set's figures over its seeds, beside the published ones."""
    accuracy, accuracy_std = mean_std([r["accuracy"] for r in runs])
    published = PUBLISHED.get(name, {})
    deep = [v for k, v in published.items() if k != "one_nn" and v is not None]
    return {
        "set": name,
        "seeds": [r["seed"] for r in runs],
        "accuracies": [r["accuracy"] for r in runs],
        "accuracy_mean": accuracy,
        "accuracy_std": accuracy_std,
        "majority_class": sorted({round(r["majority_class"], 4) for r in runs}),
        "one_nn_euclidean": sorted({round(r["one_nn_euclidean"], 4) for r in runs}),
        "one_nn_length_policy": runs[0]["one_nn_length_policy"],
        "published": published,
        "best_published_deep": max(deep) if deep else None,
        "gap_to_best_deep": accuracy - max(deep) if deep else None,
        "epochs_run_mean": statistics.fmean(r["epochs_run"] for r in runs),
        "train_model_s_mean": statistics.fmean(r["train_model_s"] for r in runs),
        "wall_s_mean": statistics.fmean(r["wall_s"] for r in runs),
        "aeon_fcn_2000_epochs_min_quoted": AEON_FCN_MINUTES.get(name),
    }


def figure(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(summaries: list[dict]) -> str:
    """The Markdown table of every set's summary."""
    lines = [
        "| set | model accuracy (mean ± std, seeds) | majority | 1-NN (ours) | published 1-NN "
        "| FCN | ResNet | LSTM-FCN | gap to best DL | epochs run (mean) | train_model (mean) "
        "| wall per run (mean) | aeon FCN, 2000 epochs (quoted) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        p = s["published"]
        aeon = s["aeon_fcn_2000_epochs_min_quoted"]
        seeds = ",".join(str(seed) for seed in s["seeds"])
        lines.append(
            f"| {s['set']} | {s['accuracy_mean']:.3f} ± {s['accuracy_std']:.3f} ({seeds}) "
            f"| {' / '.join(figure(v) for v in s['majority_class'])} "
            f"| {' / '.join(figure(v) for v in s['one_nn_euclidean'])} "
            f"| {figure(p.get('one_nn'))} | {figure(p.get('fcn'))} | {figure(p.get('resnet'))} "
            f"| {figure(p.get('lstm_fcn'))} | {figure(s['gap_to_best_deep'], 3)} "
            f"| {s['epochs_run_mean']:.0f} | {s['train_model_s_mean']:.0f} s "
            f"| {s['wall_s_mean'] / 60:.1f} min | {'-' if aeon is None else f'~{aeon} min'} |"
        )
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), help="UCR/UEA set names")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument(
        "--params", default="", help='extra kedro --params, e.g. "training.epochs=5"'
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    out = args.out.resolve()
    grid_started = time.perf_counter()
    with exclusive_timing():
        runs = {
            name: [run_or_load(name, s, args.params, out) for s in args.seeds] for name in args.sets
        }
    summaries = [summarise_set(name, results) for name, results in runs.items()]
    out.mkdir(parents=True, exist_ok=True)
    record = {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "params": args.params,
        "grid_wall_s_this_call": time.perf_counter() - grid_started,
        "sets": summaries,
        "runs": [r for results in runs.values() for r in results],
    }
    (out / "results.json").write_text(json.dumps(record, indent=2))
    policies = {s["set"]: s["one_nn_length_policy"] for s in summaries if s["one_nn_length_policy"]}
    print(f"\nResults: {out / 'results.json'}\n")
    print(table(summaries))
    print("\n1-NN length policies:")
    for name, policy in policies.items():
        print(f"- {name}: {policy}")
    print(
        "\nAccuracy: mean ± sample std over the seeds; gap: our mean minus the best published "
        "deep-learning figure (FCN, ResNet, LSTM-FCN). Times on a shared 2-core machine."
    )


if __name__ == "__main__":
    main()
