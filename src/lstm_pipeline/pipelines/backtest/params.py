"""Validated parameters of the backtest pipeline (conf/base/parameters_backtest.yml)."""

from pydantic import Field, model_validator

from lstm_pipeline.backtest import Window
from lstm_pipeline.parameters import StrictModel


class BacktestParams(StrictModel):
    """How the rolling-origin folds are cut, in rows of the series. Defaults equal conf/base
    (hourly data: a test part of 26 weeks, validation of 13 weeks before it)."""

    parameter_key = "backtest"

    folds: int = Field(
        default=3,
        ge=1,
        description="fold namespaces (backtest.fold_1, ...); read when the pipelines are built",
    )
    window: Window = Field(
        default="expanding",
        description="expanding: each fold trains from the first row; sliding: on the "
        "train_rows rows before its validation part",
    )
    test_rows: int = Field(default=4368, ge=1, description="rows of each fold's test part")
    step: int | None = Field(
        default=None,
        ge=1,
        description="rows between consecutive folds' test parts; null: test_rows",
    )
    val_rows: int = Field(
        default=2184, ge=0, description="validation rows before each test part; 0: none"
    )
    train_rows: int | None = Field(
        default=None, ge=1, description="sliding only: the rows each fold trains on"
    )
    folder: str = Field(
        default="data/backtest",
        description="each fold's checkpoints and TensorBoard logs go under <folder>/fold_<k>/",
    )

    @model_validator(mode="after")
    def _train_rows_with_sliding_only(self):
        if self.window == "sliding" and self.train_rows is None:
            raise ValueError(
                "train_rows = None: window 'sliding' trains each fold on the train_rows rows "
                "before its validation part; give their number"
            )
        if self.window == "expanding" and self.train_rows is not None:
            raise ValueError(
                f"train_rows = {self.train_rows}: window 'expanding' trains each fold on every "
                f"row before its validation part; set train_rows: null or window: sliding"
            )
        return self
