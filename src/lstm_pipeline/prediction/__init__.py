"""Predictions on new data with a trained model: the library behind the ``prediction``
pipeline (no Kedro here).

New raw files go through the stored preprocessing of the training run (the ingestion
readers and cleaning with the same settings, the train-fitted scaler, category encoders,
calendar features, series identities, the label mapping), after checks that they match what
the model was trained on (columns, time step, dimensions), each failure an
:class:`InputMismatchError` naming the file and the column.

- forecasting (:mod:`.series`, :mod:`.forecasting`): the model's forecast of the ``horizon``
  steps after the last timestamp of each series, in original units, quantiles too;
- classification (:mod:`.cases`): the predicted label and a probability per class of every
  new case.

    >>> window = model_window(series, scaler, record)   # the last input rows, scaled
    >>> forecasts = forecast_ahead(model, window, scaler, record)
"""

from lstm_pipeline.prediction.checks import InputMismatchError, TrainedSeries

__all__ = ["InputMismatchError", "TrainedSeries"]
