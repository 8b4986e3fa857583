"""Model architectures: declarative spec -> keras.Model, and summaries of built models."""

from lstm_pipeline.models import classifiers  # noqa: F401 - registers fcn, resnet, lstm_fcn
from lstm_pipeline.models.registry import ARCHITECTURES, build_model
from lstm_pipeline.models.spec import ModelSpec
from lstm_pipeline.models.summary import summarize

__all__ = ["ARCHITECTURES", "ModelSpec", "build_model", "summarize"]
