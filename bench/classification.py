"""Classification throughput and accuracy: the project's FCN against aeon's FCNClassifier.

Side by side in one run, on the same UCR/UEA set with the same epochs and batch size, one
after the other (never at once), both on the CPU:
1. ours: the pipeline, `kedro run -e ucr --params "ucr.dataset=<Name>,seed=<s>,
   training.epochs=<E>,training.batch_size=<B>,training.early_stopping_patience=<E>,
   training.retrain=true"` (the documented ucr configuration otherwise: FCN,
   ReduceLROnPlateau(0.5, 50, min 1e-4) on the training loss, per-channel standard scaler,
   no validation split). A patience of E epochs never stops the run but restores the
   best-loss weights at the end, as aeon does (`--last-weights`: patience null, the last
   epoch's weights). Training time = the train_model node's "Node 'train_model' took N s"
   (loading the shards and the untrained model, training with a checkpoint every 25
   epochs as the ucr environment's `checkpoint_every_epochs` says, saving the model);
2. aeon 1.6.0 `FCNClassifier(n_epochs=E, batch_size=B, random_state=s)` in its own venv
   (`make bench-aeon`: aeon[dl] with our TensorFlow/Keras versions), through a subprocess;
   training time = `fit` alone (building and compiling the model, training, reloading the
   best checkpoint). Its default callbacks are kept, as they match ours: ReduceLROnPlateau
   (loss, 0.5, 50, min 1e-4) and a ModelCheckpoint of the best training loss (aeon adds that
   one itself); a timer callback is added to measure the epochs alone.
3. ours again in aeon's batch order (``training.reshuffle_each_epoch=false``): aeon seeds
   Keras globally, and Keras's fit on arrays then shuffles once, so every aeon epoch reads
   the same batches; the ucr environment reads a new order every epoch. Same throughput,
   other accuracies: this row compares like with like.

Samples/s = train cases x epochs / training seconds; also from the epoch loop alone
(ours: the per-epoch samples_per_s of training_history.json; aeon: the timer callback).
Test accuracy on the archive's TEST split for both.

    .venv/bin/python bench/classification.py [--dataset GunPoint] [--epochs 200]
        [--batch-size 16] [--seeds 1 2 3] [--last-weights] [--only ours|aeon]
        [--aeon-python .venv-aeon-dl/bin/python]

One round per seed, every implementation in each (the order alternating): throughput as
the median over the rounds, test accuracy as mean +- std over the seeds (one seed's
accuracy says little: on GunPoint one case is 0.0067).

Results: bench/results/classification_<Name>_<E>ep.json (the pipeline's metrics, history
and log copied to bench/results/classification/<Name>_<E>ep/round<i>/) and a Markdown
table on stdout.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ucr_results import exclusive_timing  # bench/ is the script's folder on sys.path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench/results"
AEON_PYTHON = REPO / ".venv-aeon-dl/bin/python"
ENV = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1", TF_CPP_MIN_LOG_LEVEL="2", COLUMNS="200")
NODE_TIME = re.compile(r"Node\s+'train_model'\s+took\s+([0-9.e+-]+)\s+s")
FINISHED = re.compile(r"Training finished: (.*?)\.\s+loop\.py")

# Run by the aeon venv's Python: argv[1] = JSON settings, argv[2] = where to write the result.
AEON_SCRIPT = r"""
import json, sys, tempfile, time
settings = json.loads(sys.argv[1])
import numpy as np
import keras
import tensorflow as tf
import aeon
from aeon.classification.deep_learning import FCNClassifier
from aeon.datasets import load_from_ts_file


class EpochTimer(tf.keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


folder = settings["data_dir"] + "/" + settings["dataset"] + "/" + settings["dataset"]
x_train, y_train = load_from_ts_file(folder + "_TRAIN.ts")
x_test, y_test = load_from_ts_file(folder + "_TEST.ts")
if isinstance(x_train, list) or isinstance(x_test, list):
    sys.exit(settings["dataset"] + ": unequal-length cases; aeon's FCN needs equal length")
timer = EpochTimer()
callbacks = [  # aeon's defaults (it appends the ModelCheckpoint itself) plus the timer
    tf.keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=50, min_lr=1e-4),
    timer,
]
with tempfile.TemporaryDirectory() as scratch:
    classifier = FCNClassifier(
        n_epochs=settings["epochs"], batch_size=settings["batch_size"],
        random_state=settings["seed"], callbacks=callbacks, file_path=scratch + "/",
    )
    started = time.perf_counter()
    classifier.fit(x_train, y_train)
    fit_s = time.perf_counter() - started
    accuracy = float(np.mean(classifier.predict(x_test) == y_test))
result = {
    "aeon": aeon.__version__, "tensorflow": tf.__version__, "keras": keras.__version__,
    "train_cases": len(y_train), "test_cases": len(y_test),
    "epochs_run": len(classifier.history.history["loss"]), "training_s": fit_s,
    "epoch_loop_s": float(sum(timer.seconds)), "accuracy": accuracy,
    "final_loss": float(classifier.history.history["loss"][-1]),
    "best_loss": float(min(classifier.history.history["loss"])),
    "callbacks": [type(c).__name__ for c in classifier.callbacks_],
}
with open(sys.argv[2], "w") as out:
    json.dump(result, out, indent=2)
"""


def ours_params(args: argparse.Namespace, seed: int, extra: str) -> str:
    """The pipeline's --params: all epochs run, a fresh training, then ``extra``. A patience
    of ``epochs`` can never stop the run (the first epoch is always an improvement) but
    keeps and restores the best-loss weights, as aeon's ModelCheckpoint does; with ``null``
    the pipeline keeps the last epoch's weights."""
    patience = "null" if args.last_weights else args.epochs
    return (
        f"ucr.dataset={args.dataset},seed={seed},training.epochs={args.epochs},"
        f"training.batch_size={args.batch_size},training.early_stopping_patience={patience},"
        f"training.retrain=true{',' + extra if extra else ''}"
    )


def epoch_loop_seconds(history: dict, cases: int) -> float:
    """Seconds in the epochs alone: each epoch's ``cases`` (every train case, as neither
    side accumulates gradients) / its samples_per_s (cases per second of training)."""
    return sum(cases / rate for rate in history["samples_per_s"])


def run_ours(args: argparse.Namespace, seed: int, folder: Path, extra: str = "") -> dict:
    """Train with the pipeline (``extra`` --params last); its figures from the log and the
    copied reports."""
    folder.mkdir(parents=True, exist_ok=True)
    params = ours_params(args, seed, extra)
    command = [sys.executable, "-m", "kedro", "run", "-e", "ucr", "--params", params]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=ENV, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    (folder / "kedro.log").write_text("$ " + " ".join(command) + "\n" + done.stdout + done.stderr)
    if done.returncode != 0:
        sys.exit(f"ours: kedro run failed (exit {done.returncode}); log {folder / 'kedro.log'}")
    for name in ("metrics.json", "training_history.json", "report.md"):
        shutil.copy2(REPO / "data/ucr" / args.dataset / "08_reporting" / name, folder / name)
    metrics = json.loads((folder / "metrics.json").read_text())
    record = json.loads((folder / "training_history.json").read_text())
    log = " ".join((done.stdout + done.stderr).split())
    node_time, finished = NODE_TIME.findall(log), FINISHED.findall(log)
    if record["seed"] != seed or not node_time:
        sys.exit(f"ours: the reports in data/ucr/{args.dataset} are not this run's (seed, log)")
    return {
        "command": " ".join(command),
        "train_cases": record["train_cases"],
        "test_cases": metrics["cases"],
        "epochs_run": len(record["history"]["loss"]),
        "training_s": float(node_time[-1]),
        "epoch_loop_s": epoch_loop_seconds(record["history"], record["train_cases"]),
        "accuracy": metrics["model"]["overall"]["accuracy"],
        "final_loss": record["history"]["loss"][-1],
        "best_loss": min(record["history"]["loss"]),
        "stop_reason": finished[-1] if finished else None,
        "reshuffle_each_epoch": record["settings"]["reshuffle_each_epoch"],
        "wall_s": wall,
    }


def run_aeon(args: argparse.Namespace, seed: int, folder: Path) -> dict:
    """Train aeon's FCNClassifier in its own venv; its figures."""
    if not Path(args.aeon_python).is_file():
        sys.exit(f"{args.aeon_python} not found: run `make bench-aeon` first.")
    settings = {
        "dataset": args.dataset,
        "data_dir": str(REPO / args.data_dir),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "seed": seed,
    }
    out = folder / "aeon_result.json"
    command = [str(args.aeon_python), "-c", AEON_SCRIPT, json.dumps(settings), str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=ENV, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    (folder / "aeon.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        sys.exit(f"aeon failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(out.read_text()) | {"wall_s": wall}


def run_ours_in_aeons_order(args: argparse.Namespace, seed: int, folder: Path) -> dict:
    """Ours with every epoch in epoch 0's batch order, as aeon's fit reads its batches."""
    return run_ours(args, seed, folder / "aeons_order", "training.reshuffle_each_epoch=false")


IMPLEMENTATIONS = {
    "ours (pipeline FCN)": run_ours,
    "ours, aeon's batch order": run_ours_in_aeons_order,
    "aeon FCNClassifier": run_aeon,
}
AEON = "aeon FCNClassifier"


def with_rates(row: dict) -> dict:
    """Samples/s over the training time and over the epochs alone."""
    samples = row["train_cases"] * row["epochs_run"]
    return row | {
        "samples_per_s": samples / row["training_s"],
        "epoch_loop_samples_per_s": samples / row["epoch_loop_s"],
    }


def table(rows: list[dict]) -> str:
    """The Markdown table: one row per implementation and round, then ours / aeon from the
    medians over the rounds."""
    lines = [
        "| implementation | seed | epochs | train cases | training s | samples/s "
        "| epoch loop s | samples/s (epochs alone) | best training loss | test accuracy "
        "| wall s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['implementation']} | {r['seed']} | {r['epochs_run']} | {r['train_cases']} "
            f"| {r['training_s']:.1f} | {r['samples_per_s']:.0f} | {r['epoch_loop_s']:.1f} "
            f"| {r['epoch_loop_samples_per_s']:.0f} | {r['best_loss']:.5f} "
            f"| {r['accuracy']:.4f} | {r['wall_s']:.0f} |"
        )
    aeon = summary(rows, AEON)
    for name in [n for n in IMPLEMENTATIONS if n != AEON]:
        ours = summary(rows, name)
        if not (ours and aeon):
            continue
        rate = ours["samples_per_s"] / aeon["samples_per_s"]
        epochs_alone = ours["epoch_loop_samples_per_s"] / aeon["epoch_loop_samples_per_s"]
        lines.append(
            f"| {name} / aeon (median rates; accuracy mean +- std) | | | | | {rate:.2f}x | "
            f"| {epochs_alone:.2f}x | | {accuracy_text(ours)} vs {accuracy_text(aeon)} | |"
        )
    return "\n".join(lines)


def accuracy_text(figures: dict) -> str:
    return f"{figures['accuracy_mean']:.3f} +- {figures['accuracy_std']:.3f}"


def summary(rows: list[dict], implementation: str) -> dict | None:
    """One implementation over its rounds: median rates, accuracy mean and std over seeds."""
    mine = [r for r in rows if r["implementation"] == implementation]
    if not mine:
        return None
    rates = ("samples_per_s", "epoch_loop_samples_per_s")
    accuracies = [r["accuracy"] for r in mine]
    return {k: statistics.median(r[k] for r in mine) for k in rates} | {
        "accuracy_mean": statistics.mean(accuracies),
        "accuracy_std": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="GunPoint", help="an equal-length UCR/UEA set")
    parser.add_argument("--data-dir", default="data/01_raw/ucr", help="folder of <Name>/")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=[1, 2, 3], help="one round per seed"
    )
    parser.add_argument("--aeon-python", default=str(AEON_PYTHON))
    parser.add_argument("--only", choices=("ours", "aeon"), help="run one side only")
    parser.add_argument(
        "--last-weights",
        action="store_true",
        help="ours keeps the last epoch's weights (early_stopping_patience=null) instead of "
        "the best training loss's (aeon always takes its best-loss checkpoint)",
    )
    return parser.parse_args()


def run_round(args: argparse.Namespace, number: int, seed: int) -> list[dict]:
    """One round: each implementation once with ``seed``, the order alternating between
    rounds (drift in the machine's load falls on both sides)."""
    folder = RESULTS / "classification" / f"{args.dataset}_{args.epochs}ep" / f"round{number}"
    folder.mkdir(parents=True, exist_ok=True)
    names = [n for n in IMPLEMENTATIONS if args.only is None or n.startswith(args.only)]
    rows = []
    for name in names if number % 2 else names[::-1]:
        print(
            f"round {number}, {name}: {args.dataset}, {args.epochs} epochs, seed {seed}", flush=True
        )
        load_before = os.getloadavg()[0]
        row = with_rates(IMPLEMENTATIONS[name](args, seed, folder))
        row |= {"implementation": name, "round": number, "seed": seed}
        row["load_1min_before_after"] = [load_before, os.getloadavg()[0]]
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    args = parse_args()
    with exclusive_timing():
        rounds = enumerate(args.seeds, start=1)
        rows = [row for number, seed in rounds for row in run_round(args, number, seed)]
    record = {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "settings": vars(args),
        "runs": rows,
        "summary": {name: summary(rows, name) for name in IMPLEMENTATIONS},
    }
    path = RESULTS / f"classification_{args.dataset}_{args.epochs}ep.json"
    path.write_text(json.dumps(record, indent=2, default=str))
    print(f"\nResults: {path}\n")
    print(table(rows))
    print(
        f"\n{args.dataset}, {args.epochs} epochs, batch {args.batch_size}, seeds {args.seeds}, "
        "CPU. Samples/s = train cases x epochs / training s (ours: the train_model node; "
        "aeon: fit). Epochs alone: ours from training_history.json, aeon from a timer callback."
    )


if __name__ == "__main__":
    main()
