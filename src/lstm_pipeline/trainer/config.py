"""Training settings (conf/base/parameters_training.yml), validated.

Both tasks share every setting except two: ``loss`` (mse/mae/huber) applies to forecasting
only (classification always trains on sparse categorical cross-entropy and logs accuracy),
and ``class_weight`` applies to classification only. ``tbptt`` is forecasting only.
``distribution`` other than ``none`` trains with a custom step under a ``tf.distribute``
strategy, ``batch_size`` then being the global micro-batch split over the replicas (see
:mod:`lstm_pipeline.trainer.distributed`).
"""

from typing import Literal

from pydantic import Field, field_validator, model_validator

from lstm_pipeline.models.precision import Precision
from lstm_pipeline.parameters import StrictModel

Distribution = Literal["none", "mirrored", "multi_worker"]


class TbpttConfig(StrictModel):
    """Truncated backpropagation through time with stateful recurrent layers."""

    enabled: bool = False
    chunk_length: int = Field(default=256, ge=1, description="steps per chunk (C)")
    streams: int = Field(default=32, ge=1, description="parallel streams = batch rows (B)")
    layout: Literal["batchify"] = Field(
        default="batchify",
        description="the split cut into B equal contiguous streams; batch i = chunk i of each",
    )


class TrainingConfig(StrictModel):
    """How to train: epochs, batch size (or auto), accumulation, precision, optimizer and
    schedule, clipping, early stopping, checkpoints. Defaults equal conf/base."""

    parameter_key = "training"

    epochs: int = Field(default=8, ge=1)
    batch_size: int | Literal["auto"] = Field(
        default=256, description="samples per micro-batch; auto: planned from memory_budget_mb"
    )
    memory_budget_mb: float | None = Field(
        default=None, gt=0, description="peak memory allowed to batch_size: auto"
    )
    auto_batch_sizes: list[int] = Field(
        default=[32, 64, 128, 256, 512, 1024], min_length=1, description="candidates for auto"
    )
    max_steps_per_epoch: int | None = Field(
        default=None, ge=1, description="cap on micro-batches per epoch (None: every window)"
    )
    reshuffle_each_epoch: bool = Field(
        default=True,
        description="false: every epoch repeats epoch 0's seeded order (the same batches), "
        "as Keras's fit on arrays does once a global seed is set (so aeon's FCN trains); "
        "truncated BPTT reads its streams in order either way",
    )
    accumulation_steps: int = Field(
        default=1, ge=1, description="micro-batches per optimizer update"
    )
    precision: Precision = "float32"
    loss: Literal["mse", "mae", "huber"] = Field(
        default="mse",
        description="forecasting only; classification trains on sparse categorical "
        "cross-entropy whatever this says",
    )
    class_weight: Literal["balanced"] | dict[str, float] | None = Field(
        default=None,
        description="classification only: null (every case weighs 1), balanced "
        "(n / (k * count) from the train labels) or {label name: weight} (others 1)",
    )
    optimizer: Literal["adam", "adamw", "sgd", "rmsprop"] = "adam"
    learning_rate: float = Field(default=1e-3, gt=0)
    schedule: Literal["constant", "cosine", "reduce_on_plateau"] = "cosine"
    min_learning_rate: float = Field(default=1e-5, ge=0)
    plateau_factor: float = Field(default=0.5, gt=0, lt=1)
    plateau_patience: int = Field(default=2, ge=1)
    plateau_min_delta: float = Field(
        default=1e-4,
        ge=0,
        description="reduce_on_plateau: a fall of the monitored loss smaller than this is no "
        "improvement (Keras's ReduceLROnPlateau default)",
    )
    clip_norm: float | None = Field(default=1.0, gt=0)
    early_stopping_patience: int | None = Field(
        default=3,
        ge=1,
        description="epochs without improvement of the monitored loss (val_loss; the "
        "training loss when the validation split is empty); None: off",
    )
    checkpoint_every_steps: int = Field(
        default=200, ge=0, description="optimizer updates between checkpoints (0: epochs only)"
    )
    checkpoint_every_epochs: int = Field(
        default=1,
        ge=1,
        description="epochs between end-of-epoch checkpoints (the last one is always kept); "
        "more for tiny data sets, where a checkpoint costs as much as an epoch",
    )
    checkpoint_dir: str = "data/06_models/checkpoints"
    tensorboard_dir: str | None = "data/07_model_output/tensorboard"
    retrain: bool = Field(default=False, description="train again although a run finished")
    tbptt: TbpttConfig = TbpttConfig()
    distribution: Distribution = Field(
        default="none",
        description="none: model.fit on one device; mirrored: the devices of this machine "
        "(tf.distribute.MirroredStrategy); multi_worker: several processes or machines "
        "(MultiWorkerMirroredStrategy, from the TF_CONFIG environment variable)",
    )
    mirrored_devices: list[str] | None = Field(
        default=None,
        min_length=1,
        description="mirrored only: the devices to train on, e.g. ['/gpu:0', '/gpu:1'] "
        "(None: every GPU, or the CPU)",
    )

    @model_validator(mode="after")
    def _auto_needs_a_budget(self):
        if isinstance(self.batch_size, int) and self.batch_size < 1:
            raise ValueError(f"batch_size must be positive or 'auto', got {self.batch_size}")
        if self.batch_size == "auto" and self.memory_budget_mb is None:
            raise ValueError("batch_size 'auto' needs memory_budget_mb (MB of peak memory)")
        if self.batch_size == "auto" and self.tbptt.enabled:
            raise ValueError(
                "batch_size 'auto' plans windows; with tbptt the batch is tbptt.streams"
            )
        return self

    @model_validator(mode="after")
    def _distribution_fits(self):
        if self.mirrored_devices is not None and self.distribution != "mirrored":
            raise ValueError(
                f"mirrored_devices is for distribution 'mirrored', but distribution is "
                f"{self.distribution!r}: remove mirrored_devices or set distribution: mirrored"
            )
        if self.distribution != "none" and self.tbptt.enabled:
            raise ValueError(
                f"distribution {self.distribution!r} does not support tbptt (stateful streams "
                f"carry their state from batch to batch on one device): set distribution: "
                f"none or tbptt.enabled: false"
            )
        return self

    @field_validator("checkpoint_dir", "tensorboard_dir")
    @classmethod
    def _local_folder(cls, value: str | None) -> str | None:
        from lstm_pipeline.storage import is_remote  # fsspec only; no TensorFlow

        if value is not None and is_remote(value):
            raise ValueError(
                f"must be a local folder, got '{value}': checkpoints are renamed into place "
                "and object stores cannot rename. Keep `outputs` local and point only the "
                "catalog entries at the bucket (see conf/s3_example)."
            )
        return value

    @field_validator("class_weight", mode="before")
    @classmethod
    def _label_names_as_text(cls, value):
        # YAML reads `{1: 2.0}` with an int key; label names are text (as in label_mapping)
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    @field_validator("class_weight", mode="after")
    @classmethod
    def _positive_class_weights(cls, value):
        if isinstance(value, dict) and (not value or any(not w > 0 for w in value.values())):
            raise ValueError(
                "give every named label a positive weight ({label name: weight}), or "
                "null or 'balanced'"
            )
        return value

    @model_validator(mode="after")
    def _sane_minimum(self):
        if self.min_learning_rate >= self.learning_rate:
            raise ValueError(
                f"min_learning_rate {self.min_learning_rate} must be below learning_rate "
                f"{self.learning_rate}"
            )
        return self

    def fingerprint_fields(self) -> dict:
        """The settings that change what a run computes (not where it logs or retraining)."""
        where = {"retrain", "tensorboard_dir", "checkpoint_every_steps", "checkpoint_every_epochs"}
        return self.model_dump(exclude=where)
