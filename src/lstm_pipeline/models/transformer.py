"""A Transformer encoder beside the recurrent models (``architecture: transformer``).

Values -> Dense(model_dim) -> sine/cosine positions -> ``transformer.layers`` pre-norm
encoder blocks (LayerNorm, multi-head self-attention, residual; LayerNorm, feed-forward
ReLU, residual) -> average over the (real) steps -> the task's head. For both tasks:
classification attends to real steps only (padded keys masked) and averages real steps.

``transformer.attention`` picks what a step attends to, for long inputs:
- ``full``: every step (T x T scores per head);
- ``local``: steps at most ``window`` away (a band mask on the T x T scores: the same
  memory as full, but each output depends only on its neighbourhood);
- ``chunked``: steps of its own chunk of ``window`` steps, the chunks folded into the
  batch (T x window scores: memory grows linearly with T). Chunks do not see each other
  within a layer; the average pooling joins them.

    >>> spec = ModelSpec(architecture="transformer",
    ...                  transformer={"attention": "chunked", "window": 128})
"""

from lstm_pipeline.models.registry import architecture, dense_layer
from lstm_pipeline.models.spec import ModelSpec


def _attention_masks(spec: ModelSpec, x, mask):
    """The attention layers' mask, built once (None: full attention over a fixed window
    needs none); for chunked attention, per folded chunk row ``(B * N, C, C)``."""
    from lstm_pipeline.models.attention_layers import AttentionMask, StepMask
    from lstm_pipeline.models.masking import FoldChunks

    settings = spec.transformer
    if settings.attention == "full" and mask is None:
        return None
    steps = StepMask(name="real_steps")(x) if mask is None else mask
    if settings.attention == "chunked":
        rows = FoldChunks(settings.window, name="chunk_steps")(steps)
        return AttentionMask(name="chunk_attention_mask")(rows)
    window = settings.window if settings.attention == "local" else None
    return AttentionMask(window, name="attention_mask")(steps)


def _self_attention(spec: ModelSpec, x, attention_mask, name: str):
    """Multi-head self-attention over the whole sequence or within each chunk."""
    import keras

    from lstm_pipeline.models.attention_layers import UnfoldSteps
    from lstm_pipeline.models.masking import FoldChunks

    settings = spec.transformer
    attend = keras.layers.MultiHeadAttention(
        settings.heads, settings.key_dim, dropout=settings.dropout, name=f"{name}_attention"
    )
    if settings.attention != "chunked":
        return attend(x, x, attention_mask=attention_mask)
    rows = FoldChunks(settings.window, name=f"{name}_chunks")(x)
    attended = attend(rows, rows, attention_mask=attention_mask)
    return UnfoldSteps(name=f"{name}_unchunked")([attended, x])


def _encoder_block(spec: ModelSpec, x, attention_mask, name: str):
    """Pre-norm block: x + attention(norm(x)), then h + feed_forward(norm(h))."""
    import keras

    settings = spec.transformer
    normed = keras.layers.LayerNormalization(name=f"{name}_norm_1")(x)
    attended = _self_attention(spec, normed, attention_mask, name)
    attended = keras.layers.Dropout(settings.dropout, name=f"{name}_dropout_1")(attended)
    x = keras.layers.Add(name=f"{name}_residual_1")([x, attended])
    normed = keras.layers.LayerNormalization(name=f"{name}_norm_2")(x)
    hidden = dense_layer(spec, settings.ff_units, f"{name}_feed_forward", "relu")(normed)
    hidden = dense_layer(spec, settings.model_dim, f"{name}_feed_forward_out")(hidden)
    hidden = keras.layers.Dropout(settings.dropout, name=f"{name}_dropout_2")(hidden)
    return keras.layers.Add(name=f"{name}_out")([x, hidden])


@architecture("transformer")
def transformer(spec: ModelSpec, inputs, *, mask=None, stateful=False):
    """The encoder, averaged over real steps (``mask``) or all steps of a fixed window."""
    import keras

    from lstm_pipeline.models.attention_layers import SinusoidalPosition
    from lstm_pipeline.models.masking import masked_average

    x = keras.layers.Dense(spec.transformer.model_dim, name="embedding")(inputs)
    x = SinusoidalPosition(name="position")(x)
    attention_mask = _attention_masks(spec, x, mask)
    for i in range(spec.transformer.layers):
        x = _encoder_block(spec, x, attention_mask, f"encoder_{i + 1}")
    x = keras.layers.LayerNormalization(name="encoder_norm")(x)
    return masked_average(x, mask, "transformer_pooled")
