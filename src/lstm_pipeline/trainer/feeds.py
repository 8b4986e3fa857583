"""What training reads: shuffled windows, ordered chunks of B streams (truncated BPTT), or
labelled sequences (classification).

Every feed offers ``batch_size``, ``steps_per_epoch``, ``monitor`` (the loss early stopping,
the plateau schedule and the best checkpoint watch), ``check_model``, ``train_dataset`` (the
rest of one epoch), ``epochs_dataset`` (epochs ``first`` to ``last - 1``, ``steps_per_epoch``
batches each, for one ``fit`` over many epochs), ``validation_dataset`` (None without
validation cases) and ``callbacks``.

Distributed training (``training.distribution``) builds window and sequence feeds with
``pipelines`` = the number of input pipelines (workers): each reads its own share through
``input_context`` (TFRecord: the shard files ``i::pipelines``; HDF5: a contiguous range
of the folder's segments, windows or cases, so fewer files than workers still split
evenly), batches of ``batch_size / pipelines``, and ``steps_per_epoch`` is the smallest
worker's, so that every worker runs the same number of steps (a worker with fewer would
leave the others waiting in a collective for ever).
"""

import operator

import tensorflow as tf

from lstm_pipeline.errors import ModelSpecError, SettingsError, WindowingError
from lstm_pipeline.models.sequence import stateful_layers
from lstm_pipeline.trainer.callbacks import FreshRecurrentStates
from lstm_pipeline.trainer.class_weights import weights_per_class
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.windows.reader import ShardSet, examples_per_pipeline, make_dataset
from lstm_pipeline.windows.streams import StreamLayout, stream_dataset


def _known_length(dataset, batches: int):
    # a known length gives the progress bar its total and spares Keras's end-of-data guessing
    return dataset.apply(tf.data.experimental.assert_cardinality(batches))


def _untuned(dataset):
    """``dataset`` without tf.data's autotuning thread. Its wait grows to tens of seconds over
    a long ``fit``, and dropping the iterator waits it out: seen holding a 500-epoch fit for
    23 s on return (py-spy: ``~LogicalThreadWrapper`` in the iterator's destructor)."""
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def _rest_of_epoch(epochs, steps_per_epoch: int, skip: int):
    """The first epoch of ``epochs`` (an ``epochs_dataset``) after its first ``skip`` batches."""
    return _known_length(epochs.take(steps_per_epoch).skip(skip), steps_per_epoch - skip)


def _shuffled_epochs(feed, first: int, last: int, drop_remainder: bool, input_context=None):
    """Epochs ``first`` to ``last - 1`` of ``feed.train``, ``feed.steps_per_epoch`` batches
    each, in each epoch's own seeded order, or all in epoch 0's order when
    ``training.reshuffle_each_epoch`` is false."""
    reshuffle = feed.config.reshuffle_each_epoch
    data = make_dataset(
        feed.train,
        feed.batch_size,
        input_context=input_context,
        seed=feed.seed,
        repeat=True,
        drop_remainder=drop_remainder,
        epoch=first if reshuffle else 0,
        epoch_steps=feed.steps_per_epoch,
        epochs=last - first if reshuffle else 1,
        prefetch=2,
    )
    return data if reshuffle else data.repeat(last - first)


def _steps_per_pipeline(shard_set, total: int, batch_size: int, pipelines: int, divide) -> int:
    """Batches per epoch that every one of ``pipelines`` input pipelines can give, each
    reading its own share (:func:`~lstm_pipeline.windows.reader.pipeline_share`) in batches
    of ``batch_size / pipelines``; ``total``: the examples of all shards."""
    if pipelines == 1:
        return divide(total, batch_size)
    try:
        examples = examples_per_pipeline(shard_set, pipelines)
    except ValueError as exc:
        raise WindowingError(str(exc)) from exc
    return min(divide(count, batch_size // pipelines) for count in examples)


def _require_layout(shard_set: ShardSet, sequences: bool, task: str) -> None:
    """Raises :class:`WindowingError` when the shards were written for the other task."""
    layout = shard_set.manifest.layout
    if (layout == "sequences") != sequences:
        raise WindowingError(
            f"'{shard_set.folder}' holds {layout!r} shards, written for the other task, but "
            f"task is {task!r}: run windowing (and the stages after it) again with the same "
            f"task."
        )


class WindowFeed:
    """Windows in a new seeded order each epoch (unless ``reshuffle_each_epoch`` is false),
    equal micro-batches (drop remainder). Without validation windows the training loss is
    monitored."""

    def __init__(
        self, train: ShardSet, val: ShardSet, config: TrainingConfig, seed: int, pipelines=1
    ):
        _require_layout(train, False, "forecast")
        self.train, self.val, self.config, self.seed = train, val, config, seed
        self.monitor = monitor_for(val.windows_total)
        self.batch_size = config.batch_size
        total = train.windows_total
        steps = _steps_per_pipeline(train, total, self.batch_size, pipelines, operator.floordiv)
        if steps == 0:
            share = f" / {pipelines} workers in one of their shares" if pipelines > 1 else ""
            raise WindowingError(
                f"The train shards hold {train.windows_total} windows, fewer than "
                f"training.batch_size {self.batch_size}{share}: lower the batch size."
            )
        self.steps_per_epoch = min(steps, config.max_steps_per_epoch or steps)

    def check_model(self, model) -> None:
        """Raises :class:`ModelSpecError` for a stateful model (built for truncated BPTT)."""
        if stateful_layers(model):
            raise ModelSpecError(
                "The model has stateful recurrent layers (built for truncated BPTT) but "
                "training.tbptt.enabled is false: run modelling and training with the same "
                "training settings."
            )

    def train_dataset(self, epoch: int, skip: int, input_context=None):
        """The micro-batches of ``epoch`` after the first ``skip`` (those a resumed run did);
        ``input_context``: this input pipeline's share (distributed training)."""
        # the epoch's own order: a resumed epoch reads the same batches
        epochs = self.epochs_dataset(epoch, epoch + 1, input_context)
        return _rest_of_epoch(epochs, self.steps_per_epoch, skip)

    def epochs_dataset(self, first: int, last: int, input_context=None):
        """The micro-batches of epochs ``first`` to ``last - 1`` (counted from 0)."""
        # equal micro-batches (drop remainder): accumulation averages exactly
        return _untuned(_shuffled_epochs(self, first, last, True, input_context))

    def validation_dataset(self):
        """Every validation window once, in stored order; None without any."""
        if self.monitor == "loss":
            return None
        batches = -(-self.val.windows_total // self.batch_size)
        return _known_length(make_dataset(self.val, self.batch_size, shuffle=False), batches)

    def callbacks(self, state) -> list:
        """Callbacks this feed needs in ``fit`` and ``evaluate``: none."""
        return []


class StreamFeed:
    """Chunk i of each of B streams per batch, in order; states carried, reset per epoch.
    Without validation windows the training loss is monitored."""

    def __init__(self, train: ShardSet, val: ShardSet, config: TrainingConfig, seed: int):
        t = config.tbptt
        self.batch_size = t.streams
        self.train = StreamLayout(train, t.chunk_length, t.streams)
        self.monitor = monitor_for(val.windows_total)
        self.val = StreamLayout(val, t.chunk_length, t.streams) if val.windows_total else None
        steps = self.train.chunks
        self.steps_per_epoch = min(steps, config.max_steps_per_epoch or steps)

    def check_model(self, model) -> None:
        """Raises :class:`ModelSpecError` unless the model is stateful with batch = streams."""
        stateful = stateful_layers(model)
        if not stateful or model.input_shape[0] != self.batch_size:
            raise ModelSpecError(
                f"training.tbptt needs a stateful model with batch size {self.batch_size} "
                f"(training.tbptt.streams); the untrained model has batch "
                f"{model.input_shape[0]} and {len(stateful)} stateful layer(s). Run the "
                f"modelling pipeline again with the same training settings."
            )

    def train_dataset(self, epoch: int, skip: int):
        """Chunks ``skip`` onwards of every stream (the same order every epoch)."""
        data = stream_dataset(self.train, skip).take(self.steps_per_epoch - skip)
        return _known_length(data, self.steps_per_epoch - skip)

    def epochs_dataset(self, first: int, last: int):
        """The chunks of epochs ``first`` to ``last - 1`` (every epoch in the same order)."""
        data = stream_dataset(self.train).take(self.steps_per_epoch).repeat(last - first)
        return _untuned(data)

    def validation_dataset(self):
        """Every chunk of the validation streams, in order; None without any."""
        if self.val is None:
            return None
        return _known_length(stream_dataset(self.val), self.val.chunks)

    def callbacks(self, state) -> list:
        """Zeroed recurrent states at each epoch's start and before validation."""
        return [FreshRecurrentStates(state)]


class SequenceFeed:
    """Labelled sequences (classification): cases bucketed by length into batches in a new
    seeded order each epoch (or epoch 0's every time), padded per batch with a mask; labels
    as class codes (one-hot rows are converted), weighted per class as
    ``training.class_weight`` says (as sample weights, a third element). Without validation
    cases the training loss is monitored.

    Every case trains each epoch (the last batch may be smaller), except under gradient
    accumulation, where equal micro-batches keep an update the exact average of its
    micro-batches (the cases left over change with each epoch's order)."""

    def __init__(
        self, train: ShardSet, val: ShardSet, config: TrainingConfig, seed: int, pipelines=1
    ):
        if config.tbptt.enabled:
            raise SettingsError(
                "training.tbptt.enabled = true is for forecasting (stateful streams); task "
                "classification trains on whole sequences: set it to false."
            )
        _require_layout(train, True, "classification")
        _require_layout(val, True, "classification")
        self.train, self.val, self.config, self.seed = train, val, config, seed
        self.batch_size = config.batch_size
        # replicas need equal batches too
        self.drop_remainder = config.accumulation_steps > 1 or config.distribution != "none"
        cases = train.manifest.cases_total
        divide = operator.floordiv if self.drop_remainder else _ceil_div
        steps = _steps_per_pipeline(train, cases, self.batch_size, pipelines, divide)
        if steps == 0:
            raise WindowingError(
                f"The train shards '{train.folder}' hold {cases} case(s), fewer than "
                f"training.batch_size {self.batch_size} with accumulation_steps "
                f"{config.accumulation_steps}: lower the batch size."
            )
        self.steps_per_epoch = min(steps, config.max_steps_per_epoch or steps)
        self.monitor = monitor_for(val.manifest.cases_total)
        self.classes = list(train.manifest.classes)
        labels = train.case_table()["label"].to_numpy() if config.class_weight else None
        self.class_weights = weights_per_class(config.class_weight, labels, self.classes)

    def check_model(self, model) -> None:
        """Raises :class:`ModelSpecError` unless the model outputs one probability per class
        and is not stateful."""
        outputs = model.output_shape[-1]
        if stateful_layers(model) or len(model.output_shape) != 2 or outputs != len(self.classes):
            raise ModelSpecError(
                f"task classification needs a model with one output per class "
                f"({len(self.classes)}: {self.classes}); the untrained model outputs "
                f"{model.output_shape}. Run the modelling pipeline again with the same task "
                f"and data."
            )

    def train_dataset(self, epoch: int, skip: int, input_context=None):
        """The batches of ``epoch`` after the first ``skip`` (those a resumed run did);
        ``input_context``: this input pipeline's share (distributed training)."""
        # the epoch's own order: a resumed epoch reads the same batches
        epochs = self.epochs_dataset(epoch, epoch + 1, input_context)
        return _rest_of_epoch(epochs, self.steps_per_epoch, skip)

    def epochs_dataset(self, first: int, last: int, input_context=None):
        """The batches of epochs ``first`` to ``last - 1`` (counted from 0)."""
        data = _shuffled_epochs(self, first, last, self.drop_remainder, input_context)
        return _untuned(self._labelled(data, weighted=True))

    def validation_dataset(self):
        """Every validation case once, in stored order, unweighted; None without any."""
        if self.monitor == "loss":
            return None
        data = make_dataset(self.val, self.batch_size, shuffle=False)
        batches = _ceil_div(self.val.manifest.cases_total, self.batch_size)
        return _known_length(self._labelled(data, weighted=False), batches)

    def _labelled(self, data, weighted: bool):
        if data.element_spec[1].shape.rank == 2:  # one-hot rows -> class codes
            data = data.map(lambda x, y: (x, tf.argmax(y, axis=-1, output_type=tf.int32)))
        if weighted and self.class_weights is not None:
            table = tf.constant(self.class_weights, tf.float32)
            data = data.map(lambda x, y: (x, y, tf.gather(table, y)))
        return data

    def callbacks(self, state) -> list:
        """Callbacks this feed needs in ``fit`` and ``evaluate``: none."""
        return []


def monitor_for(validation_examples: int) -> str:
    """The loss a run watches: ``val_loss``, or ``loss`` (training) when the validation
    split has no windows or cases (turned off)."""
    return "val_loss" if validation_examples else "loss"


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def forecast_feed(train: ShardSet, val: ShardSet, config: TrainingConfig, seed: int, pipelines=1):
    """What forecasting reads for ``config``: a :class:`StreamFeed` under truncated BPTT,
    else a :class:`WindowFeed`. Raises :class:`WindowingError` when the shards are too
    small."""
    if config.tbptt.enabled:  # one device only (the settings refuse it distributed)
        return StreamFeed(train, val, config, seed)
    return WindowFeed(train, val, config, seed, pipelines)


def feed_for(
    train: ShardSet,
    val: ShardSet,
    config: TrainingConfig,
    seed: int,
    task="forecast",
    pipelines: int = 1,
):
    """What training reads for ``task`` and ``config`` (see :data:`FEEDS`); ``pipelines``:
    the input pipelines (workers) of distributed training, each reading its own shards."""
    return FEEDS[task](train, val, config, seed, pipelines)


FEEDS = {"forecast": forecast_feed, "classification": SequenceFeed}
"""The feed of each task: ``(train, val, config, seed, pipelines) -> feed``."""
