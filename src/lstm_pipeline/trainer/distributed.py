"""Training under a ``tf.distribute`` strategy (``training.distribution``: mirrored or
multi_worker) with a custom step, because Keras's ``fit`` cannot do it here:

* MirroredStrategy + ``Adam(gradient_accumulation_steps=k)`` in ``fit`` fails with
  "``merge_call`` called while defining a new graph" (the update sits in an ``ops.cond``);
* MultiWorkerMirroredStrategy + ``fit`` fails with "Attempt to convert a value
  (PerReplica...)" (keras-team/keras#20585, open).

The step: each micro-batch runs in replica context
(``strategy.run``), adds its gradients of ``loss / replicas`` (Keras's own loss scaling, so
the sum over replicas is the global micro-batch's mean) to ON_READ/SUM accumulators without
communicating; every ``accumulation_steps`` micro-batches, in cross-replica context, the
accumulators are read (an all-reduce over replicas and workers), divided by k and handed to
``optimizer.apply``, which then clips the global gradient and unscales the loss scale
(mixed_float16) as on one device.

Data: input pipeline i (worker i) reads its own share (TFRecord: the shard files ``i::n``;
HDF5: the i-th of n contiguous ranges of the folder's segments, windows or cases; see
``windows.reader.pipeline_share``) in batches of ``batch_size / n``, split into equal parts
for the pipeline's replicas. Under ``mirrored`` (one pipeline) replica r trains on part r
of exactly the batch ``distribution: none`` trains on, so both end with the same weights up
to float rounding.

Checkpoints: every worker takes part in saving; the chief writes the checkpoint folder and
``state.json``, the others a temporary folder. Checkpoints are written at update boundaries
only (the accumulators are then empty): an epoch that ends inside an update keeps the step
checkpoint before it.
"""

import logging
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

from lstm_pipeline.errors import CheckpointError, SettingsError
from lstm_pipeline.trainer.checkpoints import CheckpointStore
from lstm_pipeline.trainer.config import TrainingConfig

logger = logging.getLogger(__name__)

_strategies: dict = {}  # one strategy per setting and process (MWMS can start only once)


def start_strategy(config: TrainingConfig):
    """The strategy of ``training.distribution`` (None for ``none``), made once per process.

    ``multi_worker`` must start before TensorFlow runs its first operation (else TF raises
    "Collective ops must be configured at program startup"): a Kedro run starts it from a
    hook when the run begins; ``train`` then finds it. Raises :class:`SettingsError` for
    ``multi_worker`` without ``TF_CONFIG``."""
    import os

    import tensorflow as tf

    if config.distribution == "none":
        return None
    key = (config.distribution, tuple(config.mirrored_devices or ()))
    if key not in _strategies:
        problem = config.distribution == "multi_worker" and tf_config_problem(
            os.environ.get("TF_CONFIG")
        )
        if problem:
            raise SettingsError(f"training.distribution = 'multi_worker': {problem}")
        if config.distribution == "mirrored":
            _strategies[key] = tf.distribute.MirroredStrategy(config.mirrored_devices)
        else:
            _strategies[key] = tf.distribute.MultiWorkerMirroredStrategy()
    return _strategies[key]


def tf_config_problem(text: str | None) -> str | None:
    """What is wrong with a ``TF_CONFIG`` value for ``multi_worker``, in words (None: it
    names a cluster of workers and this process's task in it). Imports no TensorFlow: the
    preflight calls it."""
    import json

    if not text:
        return "the TF_CONFIG environment variable is not set (see the README: multi-worker)"
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        members = cluster[task["type"]]
        index = int(task["index"])
    except (ValueError, KeyError, TypeError) as exc:
        return (
            f"TF_CONFIG must be JSON like {{'cluster': {{'worker': ['host:port', ...]}}, "
            f"'task': {{'type': 'worker', 'index': 0}}}} ({type(exc).__name__}: {exc})"
        )
    if not 0 <= index < len(members):
        return f"TF_CONFIG's task index {index} is not among its {len(members)} {task['type']}(s)"
    return None


def is_chief(strategy) -> bool:
    """Whether this process writes the checkpoints: the ``chief`` task, else worker 0."""
    resolver = getattr(strategy, "cluster_resolver", None)  # MultiWorkerMirroredStrategy's
    if resolver is None or not resolver.task_type:
        return True  # one machine (MirroredStrategy)
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return not has_chief and resolver.task_type == "worker" and resolver.task_id == 0


def input_pipelines(strategy) -> int:
    """How many input pipelines feed ``strategy``: one per worker."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return 1
    cluster = resolver.cluster_spec().as_dict()
    return len(cluster.get("chief", [])) + len(cluster.get("worker", []))


def check_batch_size(config: TrainingConfig, batch_size: int, strategy) -> None:
    """Raises :class:`SettingsError` unless every replica gets an equal part of a batch."""
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise SettingsError(
            f"training.batch_size = {batch_size} cannot be split into {replicas} equal parts "
            f"for the {replicas} replicas of distribution {config.distribution!r}: use a "
            f"multiple of {replicas}."
        )


def model_in_scope(strategy, model):
    """A copy of ``model`` whose variables live under ``strategy`` (mirrored), with the
    same weights and random-generator states."""
    import keras

    from lstm_pipeline.trainer.checkpoints import (
        read_rng_and_rnn_states,
        restore_rng_and_rnn_states,
    )

    with strategy.scope():
        copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    restore_rng_and_rnn_states(copy, read_rng_and_rnn_states(model))
    return copy


class ReplicaSteps:
    """The micro-step and the update step of a compiled model under ``strategy``."""

    def __init__(self, strategy, model, accumulation_steps: int) -> None:
        import tensorflow as tf

        from lstm_pipeline.trainer.callbacks import build_class_metrics, compiled_metrics

        self.strategy, self.model, self.k = strategy, model, accumulation_steps
        self.variables = model.trainable_variables
        self.metrics = compiled_metrics(model)  # accuracy (classification), or none
        with strategy.scope():
            if not model.optimizer.built:  # a loaded model's optimizer is built already
                model.optimizer.build(self.variables)
            if self.metrics and not any(m.variables for m in self.metrics):
                build_class_metrics(model)  # their variables, mirrored, before tracing
            self.accumulators = [
                tf.Variable(
                    tf.zeros(v.shape, tf.float32),
                    trainable=False,
                    synchronization=tf.VariableSynchronization.ON_READ,
                    aggregation=tf.VariableAggregation.SUM,
                )
                for v in self.variables
            ]
        self.micro_step = tf.function(self._micro_step)
        self.apply_step = tf.function(self._apply_step)
        # the last validation batch may be smaller: one trace for both sizes
        self.validation_step = tf.function(self._validation_loss, reduce_retracing=True)

    def _replica_loss(self, batch):
        """One replica's part: its loss (already divided by the replicas, by Keras), its
        gradients added to the accumulators."""
        import keras
        import tensorflow as tf

        x, y, weight = keras.utils.unpack_x_y_sample_weight(batch)
        model = self.model
        with tf.GradientTape() as tape:
            predicted = model(x, training=True)
            loss = model.compute_loss(x, y, predicted, weight, training=True)
            scaled = model.optimizer.scale_loss(loss)  # the loss scale under mixed_float16
        if self.metrics:  # summed over replicas as they update (SUM-aggregated variables)
            model.compute_metrics(x, y, predicted, weight)
        gradients = tape.gradient(scaled, [v.value for v in self.variables])
        for accumulator, gradient in zip(self.accumulators, gradients, strict=True):
            accumulator.assign_add(tf.cast(gradient, tf.float32))
        return loss

    def _micro_step(self, batch):
        import tensorflow as tf

        per_replica = self.strategy.run(self._replica_loss, args=(batch,))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    def _apply_step(self):
        import tensorflow as tf

        # cross-replica context: reading an ON_READ/SUM variable sums it over all replicas
        gradients = [tf.convert_to_tensor(a) / self.k for a in self.accumulators]
        self.model.optimizer.apply(gradients, self.variables)
        for accumulator in self.accumulators:
            accumulator.assign(tf.zeros_like(accumulator))

    def validation_logs(self, dataset) -> dict:
        """``{"loss": .., "accuracy": ..}``: the mean loss (and the compiled metrics) over
        every validation example, computed by each worker on all of them with its
        (mirrored, hence equal) weights, outside the strategy: no collective can hang on an
        uneven validation split. ``{}`` for None."""
        import tensorflow as tf

        if dataset is None:
            return {}
        for metric in self.metrics:  # as evaluate does (the epoch's totals are in the state)
            metric.reset_state()
        total, count = 0.0, 0
        for batch in dataset:
            examples = int(tf.shape(tf.nest.flatten(batch[0])[0])[0])
            total += float(self.validation_step(batch)) * examples
            count += examples
        logs = {"loss": total / max(count, 1)}
        for metric in self.metrics:
            result = metric.result()
            logs.update(result if isinstance(result, dict) else {metric.name: result})
        return {name: float(value) for name, value in logs.items()}

    def _validation_loss(self, batch):
        import keras

        x, y, weight = keras.utils.unpack_x_y_sample_weight(batch)
        predicted = self.model(x, training=False)
        if self.metrics:
            self.model.compute_metrics(x, y, predicted, weight)
        return self.model.compute_loss(x, y, predicted, weight, training=False)


def distributed_batches(strategy, feed, epoch: int, skip: int):
    """The micro-batches of ``epoch`` after the first ``skip``, as a distributed dataset:
    each input pipeline reads its own share of the shards, each replica an equal part of
    the batch."""
    import tensorflow as tf

    replicas = strategy.num_replicas_in_sync

    def pipeline_batches(context):
        pipelines = context.num_input_pipelines
        # batches of batch_size / pipelines (the reader divides by num_replicas_in_sync)
        share = tf.distribute.InputContext(pipelines, context.input_pipeline_id, pipelines)
        data = feed.train_dataset(epoch, skip, share if pipelines > 1 else None)
        if replicas > pipelines:  # this pipeline's batch, cut in one part per local replica
            data = data.unbatch().batch(feed.batch_size // replicas, drop_remainder=True)
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.OFF  # the shards are split above
        )
        return data.with_options(options)

    return strategy.distribute_datasets_from_function(pipeline_batches)


def check_same_start(strategy, state, folder) -> None:
    """Raises :class:`CheckpointError` on every worker unless all start from the same point
    (``state``: the checkpoint's, None for a fresh start): a worker that cannot see the
    chief's checkpoint folder would start afresh and train out of step, or wait for ever in a
    collective while the others return a finished run."""
    import tensorflow as tf

    where = (
        [-1, 0, 0, 0]
        if state is None
        else [state.epoch, state.batches_done, state.updates, int(state.finished)]
    )

    def on_each_replica():
        here = tf.constant(where, tf.float64)
        return here, here * here

    @tf.function
    def sums():
        parts = strategy.run(on_each_replica)
        return [strategy.reduce(tf.distribute.ReduceOp.SUM, p, axis=None) for p in parts]

    total, squares = (part.numpy() for part in sums())
    replicas = strategy.num_replicas_in_sync
    if (replicas * squares != total * total).any():  # equal values, and only they, pass
        raise CheckpointError(
            f"The workers start from different checkpoints (this one: "
            f"{_where_in_words(state)}): every worker must "
            f"read the chief's checkpoint folder '{folder}' (training.checkpoint_dir), shared "
            f"between the machines."
        )


def _where_in_words(state) -> str:
    if state is None:
        return "none, a fresh start"
    if state.finished:
        return f"a run finished after {state.epoch} epochs"
    return f"epoch {state.epoch + 1}, micro-batch {state.batches_done}"


class EpochSummaries:
    """The epoch scalars Keras's TensorBoard callback writes (``train/`` and ``validation/``,
    ``epoch_<name>``), written by the chief: ``fit`` and its callbacks do not run here."""

    _NOT_SCALARS = ("epoch", "batch_size", "samples_per_s")

    def __init__(self, folder: str | None, chief: bool) -> None:
        import tensorflow as tf

        self.writers = None
        if folder and chief:
            parts = ("train", "validation")
            self.writers = {p: tf.summary.create_file_writer(str(Path(folder) / p)) for p in parts}

    def write(self, record: dict) -> None:
        """Write one epoch's line of the history."""
        import tensorflow as tf

        if self.writers is None:
            return
        for key, value in record.items():
            if key in self._NOT_SCALARS or value is None:
                continue
            part, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            with self.writers[part].as_default():
                tf.summary.scalar(f"epoch_{name}", value, step=record["epoch"] - 1)
        for writer in self.writers.values():
            writer.flush()


class WorkerStore(CheckpointStore):
    """The checkpoint folder as seen by one worker: all read it (a resumed run starts from
    the chief's files: a shared filesystem), all save (MultiWorkerMirroredStrategy wants
    every worker in a save), only the chief writes and locks it. No checkpoint is written
    while ``accumulating()`` (gradients of an unfinished update), except the final one."""

    def __init__(self, folder, chief: bool, accumulating) -> None:
        super().__init__(folder)
        self.chief, self.accumulating = chief, accumulating

    @contextmanager
    def locked(self):
        with super().locked() if self.chief else nullcontext():
            yield

    def save(self, model, state, tag: str, *, checked: bool = False) -> None:
        if tag != "final" and self.accumulating():
            logger.info(
                "Checkpoint %s not written: the current update's gradients are still being "
                "accumulated (distributed training checkpoints at update boundaries).",
                tag,
            )
            return
        if self.chief:
            super().save(model, state, tag, checked=checked)
            return
        self._pending_best = None  # the chief writes the best weights
        with tempfile.TemporaryDirectory() as scratch:
            model.save(Path(scratch) / "worker.keras")

    def keep_last_good(self, state) -> str:
        if self.chief:
            return super().keep_last_good(state)
        return f"the chief worker keeps the last good checkpoint in '{self.folder}'"


class LoopProgress:
    """Cases trained and seconds spent in an epoch's training (the epoch record's
    throughput), as :class:`~lstm_pipeline.trainer.callbacks.EpochProgress` for ``fit``."""

    def __init__(self) -> None:
        self.started, self.samples, self.seconds = time.perf_counter(), 0.0, 0.0

    def count(self, samples: int) -> None:
        self.samples += samples
        self.seconds = time.perf_counter() - self.started

    def samples_per_s(self) -> float | None:
        return self.samples / self.seconds if self.seconds else None
