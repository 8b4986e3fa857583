"""Readable logs: one line per epoch off a terminal, and no warning from the project's own
use of its dependencies in a small run."""

import logging
import re
import warnings

from kedro.framework.hooks import hook_impl

from tests.conftest import TINY, run_in_process

EPOCH_LINE = re.compile(
    r"^epoch (\d+)/(\d+): loss [\d.]+, val_loss [\d.]+, lr [\d.e-]+, \d+ samples/s$"
)


class TrainingLogLines(logging.Handler):
    """The training loop's log messages, attached once the run has configured logging
    (Kedro's set-up clears the handlers of every logger)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())

    @hook_impl
    def before_pipeline_run(self):
        logging.getLogger("lstm_pipeline.trainer.loop").addHandler(self)


def test_a_small_run_logs_one_line_per_epoch_and_warns_nothing_from_the_project(project, capfd):
    """Warnings raised in (or attributed by a dependency to) lstm_pipeline's modules are
    errors here, so a deprecated or misused API call fails the run. Dependencies' notices
    about themselves (Kedro's OmegaConf call, Keras internals) are not the project's."""
    lines = TrainingLogLines()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", module=r"lstm_pipeline(\..*)?$")
            run_in_process(project, params=TINY, hooks=[lines])
    finally:
        logging.getLogger("lstm_pipeline.trainer.loop").removeHandler(lines)
    epochs = [EPOCH_LINE.match(line) for line in lines.lines if line.startswith("epoch ")]
    assert all(epochs), lines.lines
    assert [int(m[1]) for m in epochs] == list(range(1, TINY["training"]["epochs"] + 1))
    printed = capfd.readouterr().out
    # Keras' own per-epoch line ("12/12 - 1s - 50ms/step - loss: ...") stays off
    assert not re.search(r"\d+/\d+ - \d+m?s", printed), printed[-2000:]
