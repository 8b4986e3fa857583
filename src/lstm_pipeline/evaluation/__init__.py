"""Evaluation: streaming forecast metrics, naive baselines, classification metrics, plots."""
