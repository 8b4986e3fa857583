"""Training throughput: shards through make_dataset vs in-memory numpy arrays, per precision.

Side by side in one process, on the default run's hourly train shards (input_length 168,
7 features, horizon 24) and the default model (LSTM 64), batch 256:
1. `lstm_pipeline.trainer.loop.train` from shards (checkpoints, loss accounting and all),
2. `model.fit` on `make_dataset(train_shards)`,
3. `model.fit` on the same windows materialised as numpy arrays (what hand-written scripts do),
each in float32, mixed_float16 and mixed_bfloat16. Samples/s are counted after warm-up.

    .venv/bin/python bench/training.py [--steps 60]

Needs the windowing outputs (it runs `kedro run --pipelines=ingestion,normalisation,windowing`
when they are missing). Results: bench/results/training.json and a Markdown table.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARDS = REPO / "data/05_model_input"
RESULTS = REPO / "bench/results"
BATCH = 256
WARMUP = 5


class Throughput:
    """A Keras callback timing batches after the first WARMUP (graph tracing)."""

    def __new__(cls):
        import keras

        class _Throughput(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if batch == WARMUP - 1:
                    self.started, self.batches = time.perf_counter(), 0
                elif batch >= WARMUP:
                    self.batches += 1
                    self.seconds = time.perf_counter() - self.started

            @property
            def samples_per_s(self):
                return self.batches * BATCH / self.seconds

        return _Throughput()


def ensure_shards() -> None:
    if (SHARDS / "train_shards/manifest.json").is_file():
        return
    subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--pipelines=ingestion,normalisation,windowing"],
        cwd=REPO,
        check=True,
    )


def default_model(precision: str):
    import keras

    from lstm_pipeline.models import ModelSpec, build_model

    keras.utils.set_random_seed(0)
    return build_model(
        ModelSpec(), input_length=168, n_features=7, horizon=24, n_targets=1, precision=precision
    )


def compiled(precision: str):
    from lstm_pipeline.trainer.config import TrainingConfig
    from lstm_pipeline.trainer.optimizers import build_optimizer

    model = default_model(precision)
    config = TrainingConfig(precision=precision, batch_size=BATCH)
    model.compile(optimizer=build_optimizer(config, 1000), loss="mse", jit_compile=False)
    return model


def fit_rate(model, data, steps: int, **fit_args) -> float:
    meter = Throughput()
    model.fit(
        data, epochs=1, steps_per_epoch=steps + WARMUP, callbacks=[meter], verbose=0, **fit_args
    )
    return meter.samples_per_s


def loop_rate(precision: str, steps: int) -> float:
    from lstm_pipeline.trainer.config import TrainingConfig
    from lstm_pipeline.trainer.loop import train

    with tempfile.TemporaryDirectory() as scratch:
        config = TrainingConfig(
            precision=precision,
            batch_size=BATCH,
            epochs=2,
            max_steps_per_epoch=steps,
            checkpoint_dir=scratch,
            tensorboard_dir=None,
        )
        _, history = train(
            default_model(precision),
            SHARDS / "train_shards",
            SHARDS / "val_shards",
            config,
            verbose=0,
        )
    return history["samples_per_s"][-1]  # the second epoch: no tracing


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    ensure_shards()
    from lstm_pipeline import make_dataset

    batches = list(make_dataset(SHARDS / "train_shards", 1024, shuffle=False))
    x = np.concatenate([b[0].numpy() for b in batches])
    y = np.concatenate([b[1].numpy() for b in batches])
    print(f"{len(x):,} train windows, {x.nbytes / 1e6:.0f} MB as a numpy array", flush=True)

    results = {}
    for precision in ("float32", "mixed_float16", "mixed_bfloat16"):
        shards = make_dataset(SHARDS / "train_shards", BATCH, seed=1, repeat=True)
        row = {
            "train() from shards": loop_rate(precision, args.steps),
            "model.fit(make_dataset)": fit_rate(compiled(precision), shards, args.steps),
            "model.fit(numpy arrays)": fit_rate(
                compiled(precision), x, args.steps, y=y, batch_size=BATCH, shuffle=True
            ),
        }
        results[precision] = row
        print(precision, json.dumps(row), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "training.json").write_text(json.dumps(results, indent=2))

    print(
        "\n| precision | train() from shards | model.fit(make_dataset) | model.fit(numpy) "
        "| shards / numpy |"
    )
    print("|---|---|---|---|---|")
    for precision, row in results.items():
        numpy_rate = row["model.fit(numpy arrays)"]
        print(
            f"| {precision} | {row['train() from shards']:,.0f} | "
            f"{row['model.fit(make_dataset)']:,.0f} | {numpy_rate:,.0f} | "
            f"{row['train() from shards'] / numpy_rate:.2f}x |"
        )


if __name__ == "__main__":
    main()
