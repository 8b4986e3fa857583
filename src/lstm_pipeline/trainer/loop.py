"""Train a compiled-on-demand Keras model from shard folders, resumable to the micro-batch.

One ``model.fit`` call per epoch on that epoch's shuffle order (``make_dataset(epoch=...)``)
lets a resumed run skip exactly the micro-batches already trained on. Early stopping and
reduce-on-plateau live here rather than in Keras callbacks, because their counters must
survive a restart; so does the epoch's loss sum.

    >>> model, history = train(model, "data/05_model_input/train_shards",
    ...                        "data/05_model_input/val_shards", TrainingConfig(), seed=42)
"""

import logging
import math

from lstm_pipeline.trainer.checkpoints import CheckpointStore, TrainerState, fingerprint
from lstm_pipeline.trainer.config import TrainingConfig

logger = logging.getLogger(__name__)


def train(
    model,
    train_dir,
    val_dir,
    config: TrainingConfig,
    *,
    seed: int = 0,
    extra_callbacks=(),
    verbose="auto",
):
    """Train ``model`` (built, not necessarily compiled) and return it with its history.

    Resumes from ``config.checkpoint_dir`` when it holds an unfinished run of the same
    model, data and settings; returns the finished model without training again when the
    run had finished (unless ``config.retrain``).
    """
    import keras

    from lstm_pipeline.trainer.feeds import feed_for
    from lstm_pipeline.windows.reader import ShardSet

    train_set, val_set = (
        d if isinstance(d, ShardSet) else ShardSet(d) for d in (train_dir, val_dir)
    )
    _check_precision(model, config)
    feed = feed_for(train_set, val_set, config, seed)
    feed.check_model(model)
    steps_per_epoch = feed.steps_per_epoch
    total_updates = config.epochs * math.ceil(steps_per_epoch / config.accumulation_steps)
    run_id = fingerprint(
        config.fingerprint_fields(),
        seed,
        model.to_json(),
        [float(keras.ops.sum(w)) for w in model.weights],
        [s.sha256 for s in train_set.manifest.shards],
        [s.sha256 for s in val_set.manifest.shards],
    )
    store = CheckpointStore(config.checkpoint_dir)
    state = store.read_state()
    if config.retrain:
        state = None
    if state is not None and state.fingerprint != run_id:
        logger.warning(
            "Checkpoints in %s belong to another run (model, data or settings changed): "
            "starting from scratch.",
            store.folder,
        )
        state = None
    if state is not None and state.finished and not config.retrain:
        logger.warning(
            "Training already finished (%s, %d epochs): returning that model without training "
            "again. Run with --params training.retrain=true to train again.",
            state.stop_reason,
            len(state.history.get("loss", [])),
        )
        return store.load_model(state), state.history
    if state is not None and not state.finished:
        logger.info(
            "Resuming from %s: epoch %d, micro-batch %d, optimizer update %d.",
            store.folder / state.model_file,
            state.epoch + 1,
            state.batches_done,
            state.updates,
        )
        model = store.load_model(state)
    else:
        store.clear()
        keras.utils.set_random_seed(seed)
        state = TrainerState(fingerprint=run_id)
        _compile(model, config, total_updates)

    _run_epochs(model, state, store, feed, config, extra_callbacks, verbose)
    return model, state.history


def _run_epochs(model, state, store, feed, config, extra, verbose):
    import keras

    from lstm_pipeline.trainer.callbacks import EpochProgress, OneEpoch, StepCheckpoint
    from lstm_pipeline.trainer.optimizers import current_learning_rate, inner_optimizer

    if verbose == "auto":
        import sys

        verbose = 1 if sys.stdout.isatty() else 2
    validation = feed.validation_dataset()
    while not state.finished:
        epoch = state.epoch
        data = feed.train_dataset(epoch, state.batches_done)
        progress = EpochProgress(state, config)
        callbacks = [
            progress,
            StepCheckpoint(store, state, config.checkpoint_every_steps),
            OneEpoch(),
            *feed.callbacks(state),
        ]
        if config.tensorboard_dir:
            callbacks.append(keras.callbacks.TensorBoard(config.tensorboard_dir))
        fit = model.fit(
            data,
            epochs=config.epochs,  # shown as "Epoch 5/8"; OneEpoch stops after this one
            initial_epoch=epoch,
            validation_data=validation,
            shuffle=False,  # make_dataset shuffles, reproducibly
            callbacks=[*callbacks, *extra],
            verbose=verbose,
        )
        val_loss = float(fit.history["val_loss"][-1])
        record = {
            "epoch": epoch + 1,
            "loss": state.loss_sum / max(state.batches_done, 1),
            "val_loss": val_loss,
            "learning_rate": current_learning_rate(model.optimizer),
            "optimizer_updates": state.updates,
            "samples_per_s": progress.batches_this_call * feed.batch_size / progress.seconds
            if progress.seconds
            else None,
        }
        for key, value in record.items():
            state.history.setdefault(key, []).append(value)
        logger.info(
            "epoch %d/%d: loss %.5f, val_loss %.5f, %.0f samples/s",
            epoch + 1,
            config.epochs,
            record["loss"],
            val_loss,
            record["samples_per_s"] or 0,
        )
        stop = _early_stopping(model, state, store, config, val_loss)
        if config.schedule == "reduce_on_plateau":
            _reduce_on_plateau(inner_optimizer(model.optimizer), state, config, val_loss)
        state.epoch, state.batches_done, state.loss_sum = epoch + 1, 0, 0.0
        if stop or state.epoch >= config.epochs:
            state.finished = True
            state.stop_reason = stop or f"completed {config.epochs} epochs"
            if state.best_weights_file and config.early_stopping_patience:
                store.restore_best_weights(model, state)
                state.stop_reason += f", best weights (val_loss {state.best_val_loss:.5f}) restored"
            store.save(model, state, "final")
            logger.info("Training finished: %s.", state.stop_reason)
        else:
            store.save(model, state, f"epoch-{state.epoch:04d}")


def _early_stopping(model, state, store, config, val_loss: float) -> str | None:
    """Track the best val_loss; a reason to stop once patience has run out."""
    if state.best_val_loss is None or val_loss < state.best_val_loss:
        state.best_val_loss = val_loss
        state.epochs_without_improvement = 0
        if config.early_stopping_patience:
            store.save_best_weights(model, state, f"epoch-{state.epoch + 1:04d}")
        return None
    state.epochs_without_improvement += 1
    patience = config.early_stopping_patience
    if patience and state.epochs_without_improvement >= patience:
        return f"early stopping: val_loss did not improve for {patience} epochs"
    return None


def _reduce_on_plateau(optimizer, state, config, val_loss: float) -> None:
    if state.plateau_best is None or val_loss < state.plateau_best:
        state.plateau_best, state.plateau_wait = val_loss, 0
        return
    state.plateau_wait += 1
    if state.plateau_wait >= config.plateau_patience:
        current = float(optimizer.learning_rate.numpy())
        lowered = max(current * config.plateau_factor, config.min_learning_rate)
        optimizer.learning_rate.assign(lowered)
        state.plateau_wait = 0
        logger.info("val_loss on a plateau: learning rate %.3g -> %.3g", current, lowered)


def _compile(model, config: TrainingConfig, total_updates: int) -> None:
    import keras

    from lstm_pipeline.trainer.optimizers import build_optimizer

    losses = {"mse": "mse", "mae": "mae", "huber": keras.losses.Huber()}
    model.compile(
        optimizer=build_optimizer(config, total_updates),
        loss=losses[config.loss],
        jit_compile=False,
    )


def _check_precision(model, config: TrainingConfig) -> None:
    from lstm_pipeline.errors import ModelSpecError
    from lstm_pipeline.models.precision import model_precision

    built = model_precision(model)
    if built != config.precision:
        raise ModelSpecError(
            f"The model was built for precision {built!r} but training.precision is "
            f"{config.precision!r}: run the modelling pipeline again with the same "
            f"training.precision (kedro run --pipelines=modelling,training)."
        )
