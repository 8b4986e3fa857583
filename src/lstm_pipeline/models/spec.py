"""Declarative model description: what `conf/base/parameters_modelling.yml` holds, validated."""

from typing import Literal, get_args

from pydantic import Field, field_validator, model_validator

from lstm_pipeline.models.precision import Precision
from lstm_pipeline.parameters import StrictModel

Architecture = Literal[
    "lstm",
    "gru",
    "conv_rnn",
    "hierarchical",
    "attention",
    "fcn",
    "resnet",
    "lstm_fcn",
    "transformer",
]
AttentionScope = Literal["full", "local", "chunked"]
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


class FcnSpec(StrictModel):
    """FCN (Wang, Yan, Oates 2017): one Conv1D + BatchNorm + ReLU block per entry, then
    global average pooling. Also the convolutional branch of ``lstm_fcn``."""

    filters: list[int] = Field(default=[128, 256, 128], min_length=1)
    kernel_sizes: list[int] = Field(default=[8, 5, 3], min_length=1)
    separable: bool = Field(default=False, description="SeparableConv1D: fewer parameters")

    @model_validator(mode="after")
    def _one_kernel_per_block(self):
        _check_positive(self.filters, self.kernel_sizes, "fcn")
        if len(self.filters) != len(self.kernel_sizes):
            raise ValueError(
                f"fcn.filters ({len(self.filters)} blocks) and fcn.kernel_sizes "
                f"({len(self.kernel_sizes)}) need one kernel size per block"
            )
        return self


class ResNetSpec(StrictModel):
    """ResNet (Wang, Yan, Oates 2017): residual blocks of one convolution per kernel size
    (Conv1D + BatchNorm, ReLU), a shortcut (1x1 Conv1D + BatchNorm where the width changes,
    BatchNorm alone where it does not), then global average pooling."""

    block_filters: list[int] = Field(default=[64, 128, 128], min_length=1)
    kernel_sizes: list[int] = Field(default=[8, 5, 3], min_length=1)
    separable: bool = Field(
        default=False, description="SeparableConv1D for the block convolutions (not the 1x1)"
    )

    @model_validator(mode="after")
    def _positive(self):
        _check_positive(self.block_filters, self.kernel_sizes, "resnet")
        return self


class LstmFcnSpec(StrictModel):
    """LSTM-FCN (Karim et al. 2018): a recurrent branch (``recurrent.cell``, last valid
    state, then dropout) beside the ``fcn`` branch, concatenated. The paper uses 8, 64 or
    128 units and dropout 0.8."""

    units: int = Field(default=8, ge=1)
    dropout: float = Field(default=0.8, ge=0, lt=1)


class TransformerSpec(StrictModel):
    """The Transformer encoder (:mod:`lstm_pipeline.models.transformer`): pre-norm blocks
    of multi-head self-attention and a feed-forward layer, positions as sines/cosines."""

    layers: int = Field(default=2, ge=1)
    model_dim: int = Field(default=64, ge=2, description="width of every step's vector")
    heads: int = Field(default=4, ge=1)
    key_dim: int = Field(default=16, ge=1)
    ff_units: int = Field(default=128, ge=1)
    dropout: float = Field(default=0.0, ge=0, lt=1)
    attention: AttentionScope = Field(
        default="full",
        description="full: every step; local: steps at most `window` away (a band); "
        "chunked: steps of the same chunk of `window` steps (memory linear in T)",
    )
    window: int = Field(default=64, ge=1, description="local: band half-width; chunked: chunk")


def check_quantile_levels(levels: list[float]) -> None:
    """Raise ValueError unless ``levels`` are unique, ascending, strictly between 0 and 1
    and include 0.5 (the median, which point metrics use)."""
    allowed = (
        "give ascending, unique levels strictly between 0 and 1 that include 0.5 (the median "
        "is the point forecast), e.g. [0.1, 0.5, 0.9], or null to turn quantiles off"
    )
    if not levels:
        raise ValueError(f"an empty list has no median: {allowed}")
    if any(not 0 < q < 1 for q in levels):
        raise ValueError(f"levels must lie strictly between 0 and 1: {allowed}")
    if any(b <= a for a, b in zip(levels, levels[1:], strict=False)):
        raise ValueError(f"levels must be ascending without repeats: {allowed}")
    if 0.5 not in levels:
        raise ValueError(f"0.5 is missing: {allowed}")


def _check_positive(filters: list[int], kernel_sizes: list[int], name: str) -> None:
    if any(f < 1 for f in filters) or any(k < 1 for k in kernel_sizes):
        raise ValueError(f"{name} filters and kernel sizes must be positive")


class ModelSpec(StrictModel):
    """The architecture and its knobs (``modelling`` parameters). Defaults equal conf/base."""

    parameter_key = "modelling"

    architecture: Architecture = "lstm"
    recurrent: RecurrentSpec = RecurrentSpec()
    conv: ConvSpec = ConvSpec()
    hierarchical: HierarchicalSpec = HierarchicalSpec()
    attention: AttentionSpec = AttentionSpec()
    fcn: FcnSpec = FcnSpec()
    resnet: ResNetSpec = ResNetSpec()
    lstm_fcn: LstmFcnSpec = LstmFcnSpec()
    transformer: TransformerSpec = TransformerSpec()
    low_rank: int | None = Field(
        default=None,
        ge=1,
        description="rank r of factorised kernels (W = U V, U m x r, V r x n) in the "
        "recurrent layers, dense_units, time_distributed_units and the Transformer's "
        "feed-forward layers; null: full kernels",
    )
    time_distributed_units: list[int] = Field(
        default=[], description="TimeDistributed(Dense) stack on the sequence outputs"
    )
    dense_units: list[int] = Field(default=[], description="Dense layers before the head")
    series_embedding_dim: int = Field(
        default=4,
        ge=1,
        description="many series with normalisation.series_input: embedding: the width of "
        "the learned vector of each series",
    )
    quantiles: list[float] | None = Field(
        default=None,
        description="forecast: quantile levels of a quantile head trained on the pinball "
        "loss, e.g. [0.1, 0.5, 0.9] (sorted, in (0, 1), with 0.5: the point forecast is the "
        "median); null: one point forecast per step and target",
    )

    @field_validator("quantiles")
    @classmethod
    def _valid_levels(cls, levels: list[float] | None) -> list[float] | None:
        if levels is not None:
            check_quantile_levels(levels)
        return levels

    @model_validator(mode="after")
    def _low_rank_without_dropout(self):
        recurrent = self.recurrent
        if self.low_rank is not None and (recurrent.dropout or recurrent.recurrent_dropout):
            raise ValueError(
                f"low_rank {self.low_rank} uses factorised recurrent cells without dropout, "
                f"but recurrent.dropout is {recurrent.dropout} and recurrent.recurrent_dropout "
                f"is {recurrent.recurrent_dropout}: set both to 0, or low_rank to null."
            )
        return self

    @property
    def cell(self) -> str:
        """The recurrent cell: the architecture itself for lstm/gru, else recurrent.cell."""
        return self.architecture if self.architecture in get_args(Cell) else self.recurrent.cell
