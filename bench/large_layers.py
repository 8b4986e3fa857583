"""Large layers and long inputs, measured side by side: parameters, peak memory, samples/s
and accuracy (classification) or MAE (forecasting) after the same short training budget.

Variants (``modelling`` settings; everything else the conf/base defaults):
- LSTM(64) and the same with low-rank kernels (``low_rank: 8``);
- FCN (128/256/128 filters) and the same with ``fcn.separable: true``;
- Transformer (2 blocks, model_dim 64, 4 heads): full, local (band of 16 on each side) and
  chunked (chunks of 24 steps) attention.

Data, both from the repository:
- classification: GunPoint (../shared/data/ucr/GunPoint: 50 train / 150 test cases of 150
  steps, the archive's split), per-case standard scaling;
- forecasting: the bundled household power minutes (data/01_raw/household_power), hourly
  means of the 7 columns, windows of 168 hours -> the next 24 hours of
  Global_active_power; the first 70% of the hours train, windows after them test (every
  6th window); scaled with train statistics; MAE in kW.

Every point runs in its own child process (bench/child.py): the model trains a fixed number
of batches (``--class-steps`` of 16 cases for GunPoint: 128 epochs by default, since FCN's
BatchNorm statistics need that many updates before inference matches training;
``--forecast-steps`` of 64 windows), the same batches for every variant,
samples/s over those steps after the first (tracing) step, peak RSS of the child
(getrusage RUSAGE_SELF; about 700 MB of it is TensorFlow itself). A second table trains a
few steps on long random inputs (8 x 2,048 steps) where full attention's T x T scores show.

    .venv/bin/python bench/large_layers.py [--class-steps 400] [--forecast-steps 150] [--seed 0]

Results: bench/results/large_layers.json and bench/results/large_layers.md.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from child import run_json_child  # bench/ is the script's folder on sys.path

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data/01_raw/household_power/minute_household_power.csv.xz"
GUNPOINT = REPO.parent / "shared/data/ucr/GunPoint"  # the full set (the fixture has 10 cases)
SCRATCH = REPO / "bench/scratch/large_layers"
RESULTS = REPO / "bench/results"
INPUT, HORIZON = 168, 24
TRANSFORMER = {"layers": 2, "model_dim": 64, "heads": 4, "key_dim": 16, "ff_units": 128}
VARIANTS = {
    "LSTM 64": {"architecture": "lstm", "recurrent": {"units": [64]}},
    "LSTM 64, low-rank 8": {"architecture": "lstm", "recurrent": {"units": [64]}, "low_rank": 8},
    "FCN": {"architecture": "fcn"},
    "FCN, separable": {"architecture": "fcn", "fcn": {"separable": True}},
    "Transformer, full": {"architecture": "transformer", "transformer": TRANSFORMER},
    "Transformer, local 16": {
        "architecture": "transformer",
        "transformer": {**TRANSFORMER, "attention": "local", "window": 16},
    },
    "Transformer, chunked 24": {
        "architecture": "transformer",
        "transformer": {**TRANSFORMER, "attention": "chunked", "window": 24},
    },
}
BATCH = {"classification": 16, "forecast": 64}
LONG_STEPS, LONG_BATCH, LONG_TRAIN_STEPS = 2048, 8, 3
LONG_VARIANTS = list(VARIANTS)


def hourly_power() -> np.ndarray:
    """(hours, 7) float32: hourly means of the minute data, gaps filled forward (cached)."""
    cache = SCRATCH / "hourly.npy"
    if cache.exists():
        return np.load(cache)
    import pandas as pd

    frame = pd.read_csv(RAW, na_values="?", low_memory=False)
    stamps = pd.to_datetime(frame.pop("Date") + " " + frame.pop("Time"), format="%d/%m/%Y %H:%M:%S")
    frame.index = stamps
    hourly = frame.astype("float32").resample("h").mean().ffill().bfill()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    np.save(cache, hourly.to_numpy(np.float32))
    return np.load(cache)


def forecast_data() -> dict:
    """Train windows (every hour of the first 70%) and test windows (every 6th after)."""
    values = hourly_power()
    cut = int(len(values) * 0.7)
    mean, std = values[:cut].mean(0), values[:cut].std(0) + 1e-6
    scaled = ((values - mean) / std).astype("float32")
    span = INPUT + HORIZON
    train_starts = np.arange(0, cut - span + 1)
    test_starts = np.arange(cut, len(values) - span + 1, 6)
    return {"scaled": scaled, "train": train_starts, "test": test_starts, "mean": mean, "std": std}


def forecast_windows(data: dict, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    steps = starts[:, None] + np.arange(INPUT + HORIZON)[None]
    block = data["scaled"][steps]
    return block[:, :INPUT], block[:, INPUT:, :1]  # target: Global_active_power (column 0)


def gunpoint() -> dict:
    """GunPoint's TRAIN/TEST cases (equal lengths: no padding), each standard-scaled."""
    from lstm_pipeline.ingest.labelled.ts import read_ts

    data = {}
    for split in ("TRAIN", "TEST"):
        cases = read_ts(GUNPOINT / f"GunPoint_{split}.ts")
        x = np.stack(cases.values).astype("float32")
        x = (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-6)
        data[split] = x, cases.labels
    classes = sorted(set(data["TRAIN"][1]))
    return {
        split: ({"values": x, "mask": np.ones(x.shape[:2], bool)}, _codes(labels, classes))
        for split, (x, labels) in data.items()
    }


def _codes(labels: np.ndarray, classes: list[str]) -> np.ndarray:
    return np.array([classes.index(label) for label in labels], "int32")


def build(variant: str, task: str, input_length=None, n_features=1):
    import keras

    from lstm_pipeline.models import ModelSpec, build_model

    spec = ModelSpec(**VARIANTS[variant])
    if task == "classification":
        model = build_model(spec, n_features=n_features, task=task, n_classes=2)
        loss = "sparse_categorical_crossentropy"
    else:
        model = build_model(spec, input_length=input_length, n_features=n_features, horizon=HORIZON)
        loss = "mse"
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    return model


def _take(x, rows):
    return {k: v[rows] for k, v in x.items()} if isinstance(x, dict) else x[rows]


def train_timed(model, x, y, batch: int, steps: int, seed: int) -> dict:
    """``steps`` batches drawn with ``seed``; samples/s over all but the first (tracing)."""
    rng = np.random.default_rng(seed)
    n = len(y)
    model.train_on_batch(_take(x, rng.integers(0, n, batch)), y[rng.integers(0, n, batch)])
    started = time.perf_counter()
    for _ in range(steps - 1):
        rows = rng.integers(0, n, batch)
        model.train_on_batch(_take(x, rows), y[rows])
    seconds = time.perf_counter() - started
    return {"train_s": seconds, "samples_per_s": (steps - 1) * batch / seconds}


def classification_point(variant: str, steps: int, seed: int) -> dict:
    import keras

    keras.utils.set_random_seed(seed)
    data = gunpoint()
    model = build(variant, "classification")
    result = train_timed(model, *data["TRAIN"], BATCH["classification"], steps, seed)
    x, y = data["TEST"]
    predicted = np.asarray(model.predict(x, batch_size=64, verbose=0)).argmax(1)
    return {
        **result,
        "parameters": model.count_params(),
        "accuracy": float((predicted == y).mean()),
    }


def forecast_point(variant: str, steps: int, seed: int) -> dict:
    import keras

    keras.utils.set_random_seed(seed)
    data = forecast_data()
    model = build(variant, "forecast", INPUT, data["scaled"].shape[1])
    x, y = forecast_windows(data, data["train"])
    result = train_timed(model, x, y, BATCH["forecast"], steps, seed)
    x, y = forecast_windows(data, data["test"])
    predicted = np.asarray(model.predict(x, batch_size=256, verbose=0)).reshape(y.shape)
    mae = np.abs(predicted - y).mean() * data["std"][0]  # back to kW
    return {**result, "parameters": model.count_params(), "mae_kw": float(mae)}


def long_point(variant: str, seed: int) -> dict:
    """A few training steps on random (8, 2048, 1) sequences: memory and seconds per step."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build(variant, "classification")
    rng = np.random.default_rng(seed)
    x = {"values": rng.normal(size=(LONG_BATCH, LONG_STEPS, 1)).astype("float32")}
    x["mask"] = np.ones((LONG_BATCH, LONG_STEPS), bool)
    y = rng.integers(0, 2, LONG_BATCH)
    result = train_timed(model, x, y, LONG_BATCH, LONG_TRAIN_STEPS, seed)
    return {**result, "parameters": model.count_params(), "steps": LONG_STEPS}


def child(argv: list[str]) -> None:
    import resource

    kind, variant, steps, seed = argv[0], argv[1], int(argv[2]), int(argv[3])
    if kind == "classification":
        result = classification_point(variant, steps, seed)
    elif kind == "forecast":
        result = forecast_point(variant, steps, seed)
    else:
        result = long_point(variant, seed)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def table(results: dict, kind: str, metric: str) -> list[str]:
    lines = [
        f"| variant | parameters | peak RSS MB | samples/s | {metric} |",
        "|---|---:|---:|---:|---:|",
    ]
    for variant, point in results[kind].items():
        if "error" in point:
            lines.append(f"| {variant} | | | | {point['error']} |")
            continue
        value = point.get("accuracy", point.get("mae_kw", point.get("train_s")))
        lines.append(
            f"| {variant} | {point['parameters']:,} | {point['peak_rss_mb']:.0f} | "
            f"{point['samples_per_s']:.0f} | {value:.3f} |"
        )
    return lines


def baselines() -> dict:
    """What a model must beat: the TRAIN majority class on GunPoint's TEST cases, and the
    seasonal naive forecast (the same hours of the day before) on the test windows."""
    data = gunpoint()
    majority = np.bincount(data["TRAIN"][1]).argmax()
    power = forecast_data()
    x, y = forecast_windows(power, power["test"])
    naive = x[:, -HORIZON:, :1]  # the last 24 input hours, column 0
    return {
        "majority_accuracy": float((data["TEST"][1] == majority).mean()),
        "seasonal_naive_mae_kw": float(np.abs(naive - y).mean() * power["std"][0]),
    }


def report(results: dict) -> str:
    settings, base = results["settings"], results["baselines"]
    return "\n".join(
        [
            f"GunPoint (150 steps, 1 feature), {settings['class_steps']} steps of batch "
            f"{BATCH['classification']}, test accuracy on the 150 TEST cases (majority "
            f"class: {base['majority_accuracy']:.3f}):",
            "",
            *table(results, "classification", "test accuracy"),
            "",
            f"Household power, hourly, {INPUT} h -> {HORIZON} h of Global_active_power, "
            f"{settings['forecast_steps']} steps of batch {BATCH['forecast']}, MAE (kW) on "
            f"test windows (seasonal naive, the day before: {base['seasonal_naive_mae_kw']:.3f}):",
            "",
            *table(results, "forecast", "test MAE kW"),
            "",
            f"Long inputs: {LONG_TRAIN_STEPS} training steps on random ({LONG_BATCH}, "
            f"{LONG_STEPS:,}, 1) sequences (last column: seconds for the timed steps):",
            "",
            *table(results, "long", "train s"),
            "",
            f"Run: {settings['command']} ({settings['date']}, {settings['machine']})",
        ]
    )


def write_report(results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "large_layers.json").write_text(json.dumps(results, indent=2))
    text = report(results)
    (RESULTS / "large_layers.md").write_text(text + "\n")
    print("\n" + text)


def run(kind: str, variant: str, args) -> dict:
    steps = args.forecast_steps if kind == "forecast" else args.class_steps
    point = run_json_child(
        [__file__, "--child", kind, variant, str(steps), str(args.seed)],
        args.timeout,
        hide_gpu=True,
    )
    print(kind, variant, point, flush=True)
    return point


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--class-steps", type=int, default=400)
    parser.add_argument("--forecast-steps", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--report-only", action="store_true", help="re-render the saved JSON")
    args = parser.parse_args()
    if args.report_only:
        results = json.loads((RESULTS / "large_layers.json").read_text())
        write_report({**results, "baselines": baselines()})
        return
    hourly_power()  # parse the raw minutes once (cached under bench/scratch)
    results = {
        "settings": {
            "command": ("bench/large_layers.py " + " ".join(sys.argv[1:])).strip(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{os.cpu_count()}-core CPU, load {os.getloadavg()[0]:.1f} at the start",
            "class_steps": args.class_steps,
            "forecast_steps": args.forecast_steps,
        },
        "baselines": baselines(),
    }
    for kind in ("classification", "forecast"):
        results[kind] = {variant: run(kind, variant, args) for variant in VARIANTS}
    results["long"] = {variant: run("long", variant, args) for variant in LONG_VARIANTS}
    write_report(results)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()
