"""What training reads: shuffled windows, or ordered chunks of B streams (truncated BPTT)."""

import tensorflow as tf

from lstm_pipeline.errors import ModelSpecError, WindowingError
from lstm_pipeline.models.sequence import stateful_layers
from lstm_pipeline.trainer.callbacks import FreshRecurrentStates
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.windows.reader import ShardSet, make_dataset
from lstm_pipeline.windows.streams import StreamLayout, stream_dataset


def _known_length(dataset, batches: int):
    # a known length gives the progress bar its total and spares Keras's end-of-data guessing
    return dataset.apply(tf.data.experimental.assert_cardinality(batches))


class WindowFeed:
    """Windows in a new seeded order each epoch, equal micro-batches (drop remainder)."""

    def __init__(self, train: ShardSet, val: ShardSet, config: TrainingConfig, seed: int):
        self.train, self.val, self.config, self.seed = train, val, config, seed
        self.batch_size = config.batch_size
        steps = train.windows_total // self.batch_size
        if steps == 0:
            raise WindowingError(
                f"The train shards hold {train.windows_total} windows, fewer than "
                f"training.batch_size {self.batch_size}: lower the batch size."
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

    def train_dataset(self, epoch: int, skip: int):
        """The micro-batches of ``epoch`` after the first ``skip`` (those a resumed run did)."""
        data = make_dataset(
            self.train,
            self.batch_size,
            shuffle=True,
            seed=self.seed,
            epoch=epoch,  # the epoch's own order: a resumed epoch reads the same batches
            drop_remainder=True,  # equal micro-batches: accumulation averages exactly
        )
        data = data.take(self.steps_per_epoch).skip(skip)
        return _known_length(data, self.steps_per_epoch - skip)

    def validation_dataset(self):
        """Every validation window once, in stored order."""
        batches = -(-self.val.windows_total // self.batch_size)
        return _known_length(make_dataset(self.val, self.batch_size, shuffle=False), batches)

    def callbacks(self, state) -> list:
        """Callbacks this feed needs in ``fit`` and ``evaluate``: none."""
        return []


class StreamFeed:
    """Chunk i of each of B streams per batch, in order; states carried, reset per epoch."""

    def __init__(self, train: ShardSet, val: ShardSet, config: TrainingConfig, seed: int):
        t = config.tbptt
        self.batch_size = t.streams
        self.train = StreamLayout(train, t.chunk_length, t.streams)
        self.val = StreamLayout(val, t.chunk_length, t.streams)
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

    def validation_dataset(self):
        """Every chunk of the validation streams, in order."""
        return _known_length(stream_dataset(self.val), self.val.chunks)

    def callbacks(self, state) -> list:
        """Zeroed recurrent states at each epoch's start and before validation."""
        return [FreshRecurrentStates(state)]


def feed_for(train: ShardSet, val: ShardSet, config: TrainingConfig, seed: int):
    """What training reads for ``config``: a :class:`StreamFeed` under truncated BPTT, else a
    :class:`WindowFeed`. Raises :class:`WindowingError` when the shards are too small."""
    cls = StreamFeed if config.tbptt.enabled else WindowFeed
    return cls(train, val, config, seed)
