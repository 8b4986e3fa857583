"""Classifying long sequences: a plain LSTM against a chunked (strided-convolution) encoder.

Two examples built with pandas from the bundled minute data
(data/01_raw/household_power/minute_household_power.csv.xz, 7 features):

- day:  one calendar day of minutes (1,440 steps) -> weekday or weekend;
- week: seven calendar days from a midnight (10,080 steps), one starting every 2 days ->
  winter half (October to March) or summer half (April to September) of the year.

Days with more than 5% of their minutes missing are dropped, other gaps filled forward.
Split by time: examples ending before the cut (70% of the days) train, examples starting
after it test. Features are standard-scaled with train statistics. Each model trains a
fixed number of epochs (nothing is chosen on test); test accuracy beside the majority
class.

The chunked encoder is the registry's conv_rnn, masked: three Conv1D layers (32 filters,
kernel 8, stride 4) shorten the sequence 64-fold (a step per 64 minutes) before LSTM(64).
Why not the others: the hierarchical model (LSTM over 60-minute chunks, LSTM over chunk
summaries) is as fast but still keeps every minute's LSTM gates for backpropagation (about
80% of the plain LSTM's activation memory); truncated BPTT with the label at the end
carries no gradient from the label to the early part of a week. With the strided encoder
the recurrent layer keeps T/64 steps, the convolutions a few floats per step.

Memory: each point trains a few steps on (8, T, 7) in its own child process, which reports
its peak RSS (getrusage RUSAGE_SELF in the child: RUSAGE_CHILDREN in this parent would be
the running maximum over all points). The peak includes about 700 MB of TensorFlow itself.

    .venv/bin/python bench/long_classification.py [--epochs 12]

Results: bench/results/long_classification.json and Markdown tables.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from child import run_json_child  # bench/ is the script's folder on sys.path

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data/01_raw/household_power/minute_household_power.csv.xz"
SCRATCH = REPO / "bench/scratch/long_classification"
RESULTS = REPO / "bench/results"
DAY = 1440
MODELS = {
    "plain LSTM": {"architecture": "lstm", "recurrent": {"units": [64]}},
    "chunked encoder": {
        "architecture": "conv_rnn",
        "recurrent": {"units": [64]},
        "conv": {"filters": [32, 32, 32], "kernel_size": 8, "strides": 4},
    },
}
MEMORY_POINTS = {
    "plain LSTM": [1_440, 10_080, 40_320],
    "chunked encoder": [1_440, 10_080, 40_320, 100_800],
}
MEMORY_BATCH, MEMORY_STEPS = 8, 2


def load_days() -> tuple[np.ndarray, np.ndarray]:
    """(days, 1440, 7) float32 of the complete-enough calendar days, and their dates."""
    import pandas as pd

    cache = SCRATCH / "days.npy", SCRATCH / "dates.npy"
    if all(path.exists() for path in cache):
        return np.load(cache[0], mmap_mode="r"), np.load(cache[1]).astype("datetime64[D]")
    frame = pd.read_csv(RAW, na_values="?", low_memory=False)
    stamps = pd.to_datetime(frame.pop("Date") + " " + frame.pop("Time"), format="%d/%m/%Y %H:%M:%S")
    frame.index = stamps
    frame = frame.astype("float32").asfreq("min")
    missing = frame.isna().any(axis=1).groupby(frame.index.normalize()).mean()
    frame = frame.ffill().bfill()
    days = frame.index.normalize()
    counts = days.value_counts()
    keep = [d for d in missing.index if missing[d] <= 0.05 and counts.get(d, 0) == DAY]
    values = np.stack([frame.loc[days == d].to_numpy(np.float32) for d in keep])
    dates = np.array(keep, dtype="datetime64[D]")
    SCRATCH.mkdir(parents=True, exist_ok=True)
    np.save(cache[0], values)
    np.save(cache[1], dates.astype("int64"))
    return values, dates


def day_example(dates: np.ndarray) -> dict:
    """Each kept day alone: label 1 for Saturday or Sunday."""
    weekday = (dates.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday (3)
    return {"starts": np.arange(len(dates)), "days": 1, "labels": (weekday >= 5).astype("int32")}


def week_example(dates: np.ndarray, every: int = 2) -> dict:
    """Seven consecutive kept days starting every ``every`` days: label 1 for the winter
    half of the year (start month October to March)."""
    day_numbers = dates.astype("int64")
    starts = [
        i for i in range(0, len(dates) - 6, every) if day_numbers[i + 6] - day_numbers[i] == 6
    ]
    months = dates[starts].astype("datetime64[M]").astype("int64") % 12 + 1
    winter = (months >= 10) | (months <= 3)
    return {"starts": np.array(starts), "days": 7, "labels": winter.astype("int32")}


def split_by_time(example: dict, n_days: int, train_fraction: float = 0.7) -> dict:
    """Train: examples ending before the cut; test: examples starting at or after it."""
    cut = int(n_days * train_fraction)
    starts, ends = example["starts"], example["starts"] + example["days"]
    return {"train": np.flatnonzero(ends <= cut), "test": np.flatnonzero(starts >= cut)}


EXAMPLES = {"day": day_example, "week": week_example}


def batches(values: np.ndarray, example: dict, rows: np.ndarray, batch: int, seed=None):
    """A keras PyDataset of ``({"values", "mask"}, labels)``: each example assembled from its
    days when its batch is drawn (a new order per epoch when ``seed`` is given)."""
    import keras

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.order, self.rng = rows.copy(), np.random.default_rng(seed)
            self.on_epoch_end()

        def __len__(self):
            return math.ceil(len(rows) / batch)

        def __getitem__(self, index):
            chosen = self.order[index * batch : (index + 1) * batch]
            days = example["days"]
            cases = [
                values[s : s + days].reshape(days * DAY, -1) for s in example["starts"][chosen]
            ]
            x = np.stack(cases)
            mask = np.ones(x.shape[:2], bool)
            return {"values": x, "mask": mask}, example["labels"][chosen]

        def on_epoch_end(self):
            if seed is not None:
                self.rng.shuffle(self.order)

    return Batches()


def build(name: str):
    import keras

    from lstm_pipeline.models import ModelSpec, build_model

    keras.utils.set_random_seed(0)
    model = build_model(
        ModelSpec(**MODELS[name]), n_features=7, task="classification", n_classes=2, name=None
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def accuracy_point(example_name: str, name: str, epochs: int, batch: int) -> dict:
    """Train ``epochs`` on the train split, then test accuracy and the majority class's."""
    values, dates = load_days()
    example = EXAMPLES[example_name](dates)
    split = split_by_time(example, len(dates))
    cut = int(len(dates) * 0.7)
    mean = values[:cut].mean(axis=(0, 1))
    std = values[:cut].std(axis=(0, 1)) + 1e-6
    scaled = ((values - mean) / std).astype("float32")
    model = build(name)
    started = time.perf_counter()
    model.fit(batches(scaled, example, split["train"], batch, seed=0), epochs=epochs, verbose=0)
    seconds = time.perf_counter() - started
    test = batches(scaled, example, split["test"], batch)
    predicted = np.concatenate(
        [model.predict_on_batch(test[i][0]).argmax(1) for i in range(len(test))]
    )
    truth = example["labels"][split["test"]]
    majority = np.bincount(example["labels"][split["train"]]).argmax()
    return {
        "steps": example["days"] * DAY,
        "train_cases": len(split["train"]),
        "test_cases": len(split["test"]),
        "accuracy": float((predicted == truth).mean()),
        "majority_accuracy": float((truth == majority).mean()),
        "train_s": seconds,
        "epochs": epochs,
    }


def memory_point(name: str, length: int) -> dict:
    """A few training steps on random (8, length, 7): seconds per step (after the first)."""
    model = build(name)
    rng = np.random.default_rng(0)
    x = {"values": rng.normal(size=(MEMORY_BATCH, length, 7)).astype("float32")}
    x["mask"] = np.ones((MEMORY_BATCH, length), bool)
    y = np.zeros(MEMORY_BATCH, "int32")
    model.train_on_batch(x, y)  # tracing
    started = time.perf_counter()
    for _ in range(MEMORY_STEPS):
        model.train_on_batch(x, y)
    return {"steps": length, "s_per_step": (time.perf_counter() - started) / MEMORY_STEPS}


def child(argv: list[str]) -> None:
    import resource

    kind, *args = argv
    if kind == "memory":
        result = memory_point(args[0], int(args[1]))
    else:
        result = accuracy_point(args[0], args[1], int(args[2]), int(args[3]))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(args: list[str], timeout: int) -> dict:
    """One point, measured in a fresh process on the CPU."""
    return run_json_child([__file__, "--child", *args], timeout, hide_gpu=True)


def memory_table(results: dict) -> list[str]:
    lengths = sorted({length for points in MEMORY_POINTS.values() for length in points})
    lines = [
        "| steps | " + " | ".join(f"{name}: peak RSS MB, s/step" for name in MODELS) + " |",
        "|---|" + "---|" * len(MODELS),
    ]
    for length in lengths:
        cells = [f"{length:,}"]
        for name in MODELS:
            point = results.get(f"memory {name} {length}")
            if point is None:
                cells.append("not run")
            elif "error" in point:
                cells.append(point["error"])
            else:
                cells.append(f"{point['peak_rss_mb']:.0f}, {point['s_per_step']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def accuracy_table(results: dict) -> list[str]:
    lines = [
        "| example | steps | model | train/test cases | test accuracy | majority class "
        "| epochs | train s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, point in results.items():
        if not key.startswith("accuracy "):
            continue
        _, example, name = key.split(" ", 2)
        if "error" in point:
            lines.append(f"| {example} | | {name} | | {point['error']} | | | |")
            continue
        lines.append(
            f"| {example} | {point['steps']:,} | {name} | {point['train_cases']}/"
            f"{point['test_cases']} | {point['accuracy']:.3f} | "
            f"{point['majority_accuracy']:.3f} | {point['epochs']} | {point['train_s']:.0f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--timeout", type=int, default=300)
    args = parser.parse_args()
    load_days()  # parse the raw minutes once (cached under bench/scratch)
    results = {}
    runs = [("day", "chunked encoder"), ("day", "plain LSTM"), ("week", "chunked encoder")]
    for example, name in runs:
        point = [example, name, str(args.epochs), str(args.batch)]
        results[f"accuracy {example} {name}"] = run_child(["accuracy", *point], args.timeout)
        print(example, name, results[f"accuracy {example} {name}"], flush=True)
    for name, lengths in MEMORY_POINTS.items():
        for length in lengths:
            point = run_child(["memory", name, str(length)], args.timeout)
            results[f"memory {name} {length}"] = point
            print(name, length, point, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "long_classification.json").write_text(json.dumps(results, indent=2))
    print("\n" + "\n".join(accuracy_table(results)))
    print(f"\nTraining on (batch {MEMORY_BATCH}, steps, 7 features):\n")
    print("\n".join(memory_table(results)))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()
