"""Declarative model description: what `conf/base/parameters_modelling.yml` holds, validated."""

from typing import Literal, get_args

from pydantic import Field, model_validator

from lstm_pipeline.models.precision import Precision
from lstm_pipeline.parameters import StrictModel

Architecture = Literal["lstm", "gru", "conv_rnn", "hierarchical", "attention"]
Cell = Literal["lstm", "gru"]  # also the architectures that are plain stacks of one cell
__all__ = ["Architecture", "Cell", "ModelSpec", "Precision"]


class RecurrentSpec(StrictModel):
    """The recurrent stack. ``cell`` applies to conv_rnn, hierarchical and attention; the
    ``lstm`` and ``gru`` architectures are stacks of that cell."""

    cell: Cell = "lstm"
    units: list[int] = Field(default=[64], min_length=1)
    bidirectional: bool = False
    dropout: float = Field(default=0.0, ge=0, lt=1)
    recurrent_dropout: float = Field(default=0.0, ge=0, lt=1)

    @model_validator(mode="after")
    def _positive_units(self):
        if any(u < 1 for u in self.units):
            raise ValueError(f"units must all be positive, got {self.units}")
        return self


class ConvSpec(StrictModel):
    """conv_rnn's Conv1D front-end, which shortens the sequence before the recurrent layers."""

    filters: list[int] = Field(default=[32], min_length=1)
    kernel_size: int = Field(default=5, ge=1)
    strides: int = Field(default=2, ge=1)
    dilation_rate: int = Field(default=1, ge=1)
    separable: bool = Field(default=False, description="SeparableConv1D: fewer parameters")
    activation: str = "relu"

    @model_validator(mode="after")
    def _strides_or_dilation(self):
        if self.strides > 1 and self.dilation_rate > 1:
            raise ValueError(
                "conv.strides > 1 and conv.dilation_rate > 1 cannot be combined (Keras refuses "
                "it): shorten the sequence with strides, or widen the view with dilation."
            )
        return self


class HierarchicalSpec(StrictModel):
    """A lower recurrent layer over each chunk, the recurrent stack over chunk summaries."""

    chunk_length: int = Field(default=24, ge=1)
    lower_units: int = Field(default=32, ge=1)


class AttentionSpec(StrictModel):
    """Multi-head attention pooling: the last encoder step queries every encoder step."""

    heads: int = Field(default=4, ge=1)
    key_dim: int = Field(default=16, ge=1)


class ModelSpec(StrictModel):
    """The architecture and its knobs (``modelling`` parameters). Defaults equal conf/base."""

    parameter_key = "modelling"

    architecture: Architecture = "lstm"
    task: Literal["forecast", "classification"] = "forecast"
    recurrent: RecurrentSpec = RecurrentSpec()
    conv: ConvSpec = ConvSpec()
    hierarchical: HierarchicalSpec = HierarchicalSpec()
    attention: AttentionSpec = AttentionSpec()
    time_distributed_units: list[int] = Field(
        default=[], description="TimeDistributed(Dense) stack on the sequence outputs"
    )
    dense_units: list[int] = Field(default=[], description="Dense layers before the head")
    n_classes: int | None = Field(default=None, ge=2, description="classification only")

    @model_validator(mode="after")
    def _classes_for_classification(self):
        if self.task == "classification" and self.n_classes is None:
            raise ValueError("task 'classification' needs n_classes (2 or more)")
        return self

    @property
    def cell(self) -> str:
        """The recurrent cell: the architecture itself for lstm/gru, else recurrent.cell."""
        return self.architecture if self.architecture in get_args(Cell) else self.recurrent.cell
