"""Train a compiled-on-demand Keras model from shard folders, resumable to the micro-batch.

One ``model.fit`` over every epoch left reads one stream of exactly those epochs, each in
its own shuffle order (``make_dataset(epoch=..., epochs=..., epoch_steps=...)``); a resumed
run first finishes its interrupted epoch with a ``fit`` of its own, skipping exactly the
micro-batches already trained on. Early stopping and reduce-on-plateau live here (run at
each epoch's end by a callback) rather than in Keras callbacks, because their counters must
survive a restart; so do the epoch's loss tracker and metrics (accuracy).

Both tasks run through the same loop; what differs is looked up by ``task``: the feed
(:data:`~lstm_pipeline.trainer.feeds.FEEDS`) and the loss and metrics
(:data:`~lstm_pipeline.trainer.objectives.OBJECTIVES`). Early stopping, the plateau schedule
and the best weights watch the feed's ``monitor``: ``val_loss``, or the training loss when
a classification run has no validation cases (as in the FCN paper).

With ``training.distribution`` mirrored or multi_worker, ``fit`` gives way to a loop of the
project's own distributed step (:mod:`~lstm_pipeline.trainer.distributed`) that keeps the
same bookkeeping: history, early stopping, plateau, checkpoints, exact resume, callbacks.

    >>> model, history = train(model, "data/05_model_input/train_shards",
    ...                        "data/05_model_input/val_shards", TrainingConfig(), seed=42)
"""

import logging
import math
from dataclasses import dataclass

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.task import Task
from lstm_pipeline.trainer.checkpoints import CheckpointStore, TrainerState, fingerprint
from lstm_pipeline.trainer.config import TrainingConfig
from lstm_pipeline.trainer.divergence import DivergenceCheck

logger = logging.getLogger(__name__)


def train(
    model,
    train_dir,
    val_dir,
    config: TrainingConfig,
    *,
    seed: int = 0,
    planned_batch_size: int | None = None,
    extra_callbacks=(),
    verbose="auto",
    task: Task = "forecast",
):
    """Train ``model`` (built, not necessarily compiled) and return ``(model, history)``.

    Resumes from ``config.checkpoint_dir`` when it holds an unfinished run of the same
    model, data and settings, with the batch size that run started with; returns the
    finished model without training again when the run had finished (unless
    ``config.retrain``). ``planned_batch_size`` is the micro-batch size for
    ``batch_size: auto``. ``task`` picks the feed, loss and metrics (see the module).

    Raises :class:`LockHeldError` when another process trains into the checkpoint folder,
    :class:`CheckpointError` for an unusable checkpoint, :class:`ModelSpecError` for a model
    that does not suit the settings, :class:`TrainingDivergedError` when the loss diverges
    (the last good checkpoint is kept) and :class:`SettingsError` for ``batch_size: auto``
    without a planned batch size.
    """
    from lstm_pipeline.trainer.distributed import start_strategy

    train_set, val_set = _shard_set(train_dir), _shard_set(val_dir)
    _check_precision(model, config)
    strategy = start_strategy(config)
    store = _checkpoint_store(config, strategy)
    with store.locked():
        run_id = _run_fingerprint(model, train_set, val_set, config, seed)
        resumed = _state_to_continue(store, run_id, config, strategy)
        if resumed is not None and resumed.finished:
            with _scope(strategy):
                return store.load_model(resumed), resumed.history
        state = resumed or TrainerState(run_id, batch_size=_batch_size(config, planned_batch_size))
        settings = _run_settings(config, state, fresh=resumed is None)
        feed = _feed(train_set, val_set, settings, seed, task, strategy)
        feed.check_model(model)
        model = _trainable_model(model, store, state, settings, feed, seed, task, strategy)
        divergence = DivergenceCheck(settings, train_set, store)
        _train(
            _Run(model, state, store, feed, settings, divergence, strategy),
            extra_callbacks,
            verbose,
        )
    return model, state.history


def _scope(strategy):
    """The strategy's scope (variables made inside are mirrored), or nothing for none."""
    from contextlib import nullcontext

    return nullcontext() if strategy is None else strategy.scope()


def _checkpoint_store(config: TrainingConfig, strategy):
    """The checkpoint folder; distributed, as seen by this worker (only the chief writes)."""
    if strategy is None:
        return CheckpointStore(config.checkpoint_dir)
    from lstm_pipeline.trainer.distributed import WorkerStore, is_chief

    return WorkerStore(config.checkpoint_dir, is_chief(strategy), accumulating=lambda: False)


def _feed(train_set, val_set, settings: TrainingConfig, seed: int, task: Task, strategy):
    """The task's feed; distributed, one input pipeline per worker and equal replica parts."""
    from lstm_pipeline.trainer.distributed import check_batch_size, input_pipelines
    from lstm_pipeline.trainer.feeds import feed_for

    if strategy is None:
        return feed_for(train_set, val_set, settings, seed, task)
    check_batch_size(settings, settings.batch_size, strategy)
    return feed_for(train_set, val_set, settings, seed, task, input_pipelines(strategy))


def _trainable_model(model, store, state, settings, feed, seed: int, task: Task, strategy):
    """The model to train: ``model`` compiled afresh, or the checkpoint's; distributed, with
    its variables (and the optimizer's) made under the strategy's scope."""
    if state.model_file is not None:  # resumed
        with _scope(strategy):
            return store.load_model(state)
    if strategy is not None:
        from lstm_pipeline.trainer.distributed import model_in_scope

        model = model_in_scope(strategy, model)
    with _scope(strategy):
        _compile_fresh(model, settings, feed, seed, task, own_accumulation=strategy is not None)
    return model


def _run_settings(config: TrainingConfig, state: TrainerState, fresh: bool) -> TrainingConfig:
    """The run's settings: its batch size and its own TensorBoard folder (a resumed run
    keeps the folder it began in); listeners (MLflow tracking) hear that training starts."""
    from lstm_pipeline.trainer.callbacks import announce, tensorboard_run_folder

    logs = tensorboard_run_folder(config.tensorboard_dir, state.fingerprint, fresh=fresh)
    announce("training_started", state, logs)
    return config.model_copy(update={"batch_size": state.batch_size, "tensorboard_dir": logs})


def _shard_set(folder):
    from lstm_pipeline.windows.reader import ShardSet

    return folder if hasattr(folder, "manifest") else ShardSet(folder)  # a ShardSet already


def _run_fingerprint(model, train_set, val_set, config: TrainingConfig, seed: int) -> str:
    """What makes two runs the same run: settings, seed, model and its initial weights, data."""
    import keras

    return fingerprint(
        config.fingerprint_fields(),
        seed,
        model.to_json(),
        [float(keras.ops.sum(w)) for w in model.weights],
        [s.sha256 for s in train_set.manifest.shards],
        [s.sha256 for s in val_set.manifest.shards],
    )


def _state_to_continue(store, run_id: str, config, strategy=None) -> TrainerState | None:
    """The saved state of this same run (finished or not), or None to start afresh; the
    same on every worker (else :class:`CheckpointError`) when distributed."""
    state = _saved_state(store, run_id, config)
    if strategy is not None:  # every worker must go on from the chief's checkpoint
        from lstm_pipeline.trainer.distributed import check_same_start

        check_same_start(strategy, state, store.folder)
    return state


def _saved_state(store: CheckpointStore, run_id: str, config) -> TrainerState | None:
    """The saved state of this same run (finished or not), or None to start afresh."""
    if config.retrain:
        return None
    state = store.read_state()
    if state is not None and state.fingerprint != run_id:
        logger.warning(
            "Checkpoints in %s belong to another run (model, data or settings changed): "
            "starting from scratch; they are replaced at this run's first checkpoint.",
            store.folder,
        )
        return None
    if state is not None and state.finished:
        logger.warning(
            "Training already finished (%s, %d epochs): returning that model without training "
            "again. Run with --params training.retrain=true to train again.",
            state.stop_reason,
            len(state.history.get("loss", [])),
        )
    elif state is not None:
        logger.info(
            "Resuming from %s: epoch %d, micro-batch %d, optimizer update %d.",
            store.folder / state.model_file,
            state.epoch + 1,
            state.batches_done,
            state.updates,
        )
    return state


def _batch_size(config: TrainingConfig, planned_batch_size: int | None) -> int:
    if config.batch_size != "auto":
        return config.batch_size
    if planned_batch_size is None:
        raise SettingsError(
            "training.batch_size = 'auto': train() needs planned_batch_size, which the "
            "training pipeline's plan_training_batch node measures (planned_batch_size.json)."
        )
    return planned_batch_size


def _compile_fresh(
    model, config: TrainingConfig, feed, seed: int, task: Task, own_accumulation=False
) -> None:
    import keras

    from lstm_pipeline.models.quantiles import quantile_levels
    from lstm_pipeline.trainer.objectives import compile_arguments
    from lstm_pipeline.trainer.optimizers import build_optimizer

    keras.utils.set_random_seed(seed)
    total_updates = config.epochs * math.ceil(feed.steps_per_epoch / config.accumulation_steps)
    model.compile(
        optimizer=build_optimizer(config, total_updates, own_accumulation),
        # the loss follows the model's head: its quantile levels, when it has them
        **compile_arguments(task, config, quantile_levels(model)),
        jit_compile=False,
    )


@dataclass
class _Run:
    """What every step of a run works on."""

    model: object
    state: TrainerState
    store: CheckpointStore
    feed: object  # WindowFeed, StreamFeed or SequenceFeed
    config: TrainingConfig  # with the run's batch size
    divergence: DivergenceCheck
    strategy: object = None  # a tf.distribute strategy, or None (distribution: none)


def _train(run: _Run, extra_callbacks, verbose) -> None:
    """Train until the run finishes: ``fit`` on one device, else the distributed loop (whose
    checkpoints wait for the end of an update)."""
    if run.strategy is None:
        _run_epochs(run, extra_callbacks, verbose)
        return
    run.store.accumulating = lambda: _micro_batches_done(run) % run.config.accumulation_steps
    _run_replicated(run, extra_callbacks)


def _run_epochs(run: _Run, extra_callbacks, verbose) -> None:
    """Train until the run finishes (all epochs, or early stopping): the rest of a resumed
    epoch on its own, then one ``fit`` over every epoch left."""
    from lstm_pipeline.trainer.callbacks import EpochProgress, OneEpoch

    validation = run.feed.validation_dataset()
    verbose = _verbosity(verbose)
    state, feed = run.state, run.feed
    if state.batches_done >= feed.steps_per_epoch:
        _close_epoch(run, _validate_only(run, validation), EpochProgress(state, run.divergence))
    elif state.batches_done:
        data = feed.train_dataset(state.epoch, state.batches_done)
        _fit(run, data, None, validation, [OneEpoch(), *extra_callbacks], verbose)
    if not state.finished:
        data = feed.epochs_dataset(state.epoch, run.config.epochs)
        _fit(run, data, feed.steps_per_epoch, validation, list(extra_callbacks), verbose)


_NOT_SHOWN = ("epoch", "learning_rate", "optimizer_updates", "batch_size", "samples_per_s")


def _fit(run: _Run, data, steps_per_epoch, validation, extra_callbacks, verbose) -> None:
    """One ``model.fit`` from the state's epoch on, closing each epoch as it ends (history,
    early stopping, plateau, checkpoints) and stopping when the run has finished."""
    import keras

    from lstm_pipeline.trainer.callbacks import EpochEnd, EpochProgress, StepCheckpoint
    from lstm_pipeline.windows.reader import named_shard_errors

    model, state, config = run.model, run.state, run.config
    progress = EpochProgress(state, run.divergence)

    def epoch_ended(logs: dict) -> bool:
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        _close_epoch(run, _validation_logs(val_logs), progress)
        return state.finished

    callbacks = [
        progress,
        StepCheckpoint(run.store, state, config.checkpoint_every_steps),
        *run.feed.callbacks(state),
        EpochEnd(epoch_ended),
    ]
    if config.tensorboard_dir:
        callbacks.append(keras.callbacks.TensorBoard(config.tensorboard_dir))
    with named_shard_errors():
        model.fit(
            data,
            epochs=config.epochs,
            initial_epoch=state.epoch,
            steps_per_epoch=steps_per_epoch,  # None: the dataset's own length
            validation_data=validation,
            shuffle=False,  # make_dataset shuffles, reproducibly
            callbacks=[*callbacks, *extra_callbacks],
            verbose=verbose,
        )


def _run_replicated(run: _Run, extra_callbacks) -> None:
    """Train until the run finishes (or a callback stops it) with the distributed step
    (:mod:`~lstm_pipeline.trainer.distributed`): the epochs ``fit`` would run, by hand, with
    the same bookkeeping and callbacks (``on_epoch_end`` gets ``loss`` and ``val_loss``)."""
    from lstm_pipeline.trainer.callbacks import StepCheckpoint, write_metric_states
    from lstm_pipeline.trainer.distributed import EpochSummaries, ReplicaSteps

    state, model = run.state, run.model
    steps = ReplicaSteps(run.strategy, model, run.config.accumulation_steps)
    summaries = EpochSummaries(run.config.tensorboard_dir, run.store.chief)
    checkpoint = StepCheckpoint(run.store, state, run.config.checkpoint_every_steps)
    for callback in (checkpoint, *extra_callbacks):
        callback.set_model(model)
    model.stop_training = False
    validation = run.feed.validation_dataset()
    for callback in extra_callbacks:
        callback.on_train_begin()
    while not state.finished and not model.stop_training:
        epoch = state.epoch
        for callback in extra_callbacks:
            callback.on_epoch_begin(epoch)
        for metric in steps.metrics:  # as fit does, then on from a resumed epoch's totals
            metric.reset_state()
        write_metric_states(model, state.metric_states)
        progress = _train_replicated_epoch(run, steps, [checkpoint, *extra_callbacks])
        val_logs = _validation_logs(steps.validation_logs(validation))
        _close_epoch(run, val_logs, progress)
        summaries.write({key: values[-1] for key, values in state.history.items()})
        logs = {"loss": state.history["loss"][-1], **val_logs}
        for callback in extra_callbacks:
            callback.on_epoch_end(epoch, logs)
    for callback in extra_callbacks:
        callback.on_train_end()


def _train_replicated_epoch(run: _Run, steps, callbacks):
    """The rest of the state's epoch, one distributed micro-step a batch, an update every
    ``accumulation_steps`` micro-batches counted over the whole run (as Keras counts)."""
    from lstm_pipeline.trainer.callbacks import read_metric_states
    from lstm_pipeline.trainer.distributed import LoopProgress, distributed_batches
    from lstm_pipeline.trainer.optimizers import current_learning_rate, updates_done
    from lstm_pipeline.windows.reader import named_shard_errors

    state, feed, model = run.state, run.feed, run.model
    progress = LoopProgress()
    batches = distributed_batches(run.strategy, feed, state.epoch, state.batches_done)
    with named_shard_errors():
        for batch in batches:
            loss = float(steps.micro_step(batch))
            if (_micro_batches_done(run) + 1) % run.config.accumulation_steps == 0:
                steps.apply_step()
            run.divergence.check(
                "training loss", loss, state, current_learning_rate(model.optimizer)
            )
            if state.first_batch_loss is None:
                state.first_batch_loss = loss
            state.loss_total += loss * feed.batch_size
            state.loss_samples += feed.batch_size
            state.metric_states = read_metric_states(model)
            state.batches_done += 1
            state.updates = updates_done(model.optimizer)
            progress.count(feed.batch_size)
            for callback in callbacks:
                callback.on_train_batch_end(state.batches_done - 1, {"loss": loss})
    return progress


def _micro_batches_done(run: _Run) -> int:
    """Micro-batches trained since the run began (every epoch has ``steps_per_epoch``)."""
    return run.state.epoch * run.feed.steps_per_epoch + run.state.batches_done


def _validate_only(run: _Run, validation) -> dict:
    """Validation logs of a run resumed from the checkpoint of its epoch's last micro-batch:
    nothing is left to train, and ``model.fit`` on no batches is not a no-op (it applied an
    optimizer step)."""
    from lstm_pipeline.windows.reader import named_shard_errors

    if validation is None:
        return {}
    with named_shard_errors():
        logs = run.model.evaluate(
            validation, callbacks=run.feed.callbacks(run.state), verbose=0, return_dict=True
        )
    return _validation_logs(logs)


def _close_epoch(run: _Run, val_logs: dict, progress) -> None:
    """The epoch's line of history and log, the divergence check of its validation loss,
    then early stopping, plateau and checkpoint (:func:`_end_epoch`)."""
    from lstm_pipeline.trainer.callbacks import announce
    from lstm_pipeline.trainer.optimizers import current_learning_rate

    state = run.state
    learning_rate = current_learning_rate(run.model.optimizer)
    if val_logs:
        run.divergence.check("validation loss", val_logs["val_loss"], state, learning_rate)
    record = _epoch_record(run, val_logs, progress, learning_rate)
    for key, value in record.items():
        state.history.setdefault(key, []).append(value)
    announce("epoch_ended", state, record)
    shown = [f"{k} {v:.5f}" for k, v in record.items() if k not in _NOT_SHOWN]
    logger.info(
        "epoch %d/%d: %s, lr %.3g, %.0f samples/s",
        *(record["epoch"], run.config.epochs, ", ".join(shown)),
        record["learning_rate"],
        record["samples_per_s"] or 0,
    )
    _end_epoch(run, record[run.feed.monitor], checked=bool(val_logs))


def _epoch_record(run: _Run, val_logs: dict, progress, learning_rate: float) -> dict:
    """The epoch's line of the history: the loss (and accuracy), their validation values,
    the learning rate, updates, batch size and throughput."""
    from lstm_pipeline.trainer.callbacks import metric_results

    state = run.state
    return {
        "epoch": state.epoch + 1,
        "loss": state.epoch_loss,
        **metric_results(run.model, state.metric_states),
        **val_logs,
        "learning_rate": learning_rate,
        "optimizer_updates": state.updates,
        "batch_size": run.feed.batch_size,
        "samples_per_s": progress.samples_per_s(),
    }


def _validation_logs(logs: dict) -> dict:
    """``{"loss": .., "accuracy": ..}`` of a validation pass as ``{"val_loss": ..,
    "val_accuracy": ..}``, the loss first."""
    return {f"val_{k}": float(logs[k]) for k in sorted(logs, key=lambda k: k != "loss")}


def _end_epoch(run: _Run, monitored: float, checked: bool) -> None:
    """Early stopping and plateau counters, then the epoch's checkpoint (or the final one).
    ``checked``: a loss was computed with the epoch's final weights (validation)."""
    state, config = run.state, run.config
    stop = _early_stopping(run, monitored)
    if config.schedule == "reduce_on_plateau":
        _reduce_on_plateau(run, monitored)
    state.epoch, state.batches_done = state.epoch + 1, 0
    state.loss_total = state.loss_samples = 0.0
    state.metric_states = []
    if not stop and state.epoch < config.epochs:
        if state.epoch % config.checkpoint_every_epochs == 0:
            run.store.save(run.model, state, f"epoch-{state.epoch:04d}", checked=checked)
        return
    state.finished = True
    state.stop_reason = stop or f"completed {config.epochs} epochs"
    if state.best_weights_file and config.early_stopping_patience:
        run.store.restore_best_weights(run.model, state)
        monitor = run.feed.monitor
        state.stop_reason += f", best weights ({monitor} {state.best_val_loss:.5f}) restored"
    run.store.save(run.model, state, "final", checked=True)
    logger.info("Training finished: %s.", state.stop_reason)


def _early_stopping(run: _Run, monitored: float) -> str | None:
    """Track the best monitored loss (and keep its weights); a reason to stop once patience
    has run out."""
    state, patience = run.state, run.config.early_stopping_patience
    if state.best_val_loss is None or monitored < state.best_val_loss:
        state.best_val_loss = monitored
        state.epochs_without_improvement = 0
        if patience:
            run.store.save_best_weights(run.model, state, f"epoch-{state.epoch + 1:04d}")
        return None
    state.epochs_without_improvement += 1
    if patience and state.epochs_without_improvement >= patience:
        return f"early stopping: {run.feed.monitor} did not improve for {patience} epochs"
    return None


def _reduce_on_plateau(run: _Run, monitored: float) -> None:
    """Multiply the learning rate by plateau_factor after plateau_patience epochs in which
    the monitored loss fell less than plateau_min_delta below its best (not below
    min_learning_rate): Keras's ReduceLROnPlateau, with its counters in the trainer state."""
    import keras

    from lstm_pipeline.trainer.optimizers import inner_optimizer

    state, config = run.state, run.config
    if state.plateau_best is None or monitored < state.plateau_best - config.plateau_min_delta:
        state.plateau_best, state.plateau_wait = monitored, 0
        return
    state.plateau_wait += 1
    if state.plateau_wait >= config.plateau_patience:
        learning_rate = inner_optimizer(run.model.optimizer).learning_rate
        current = float(keras.ops.convert_to_numpy(learning_rate))
        lowered = max(current * config.plateau_factor, config.min_learning_rate)
        learning_rate.assign(lowered)
        state.plateau_wait = 0
        logger.info(
            "%s on a plateau: learning rate %.3g -> %.3g", run.feed.monitor, current, lowered
        )


def _verbosity(verbose):
    """Keras' progress bar on a terminal only; elsewhere (a log file, an Airflow task) the
    project's own line per epoch says it all, so Keras prints nothing."""
    if verbose != "auto":
        return verbose
    import sys

    return 1 if sys.stdout.isatty() else 0


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
