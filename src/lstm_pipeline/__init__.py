"""lstm-pipeline."""
