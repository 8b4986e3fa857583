"""Model architectures: declarative spec -> keras.Model, and summaries of built models."""

# importing these registers fcn, resnet, lstm_fcn and transformer in ARCHITECTURES
from lstm_pipeline.models import classifiers, transformer  # noqa: F401
from lstm_pipeline.models.registry import ARCHITECTURES, build_model
from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.models.summary import summarize

__all__ = ["ARCHITECTURES", "ModelSpec", "build_model", "summarize"]
