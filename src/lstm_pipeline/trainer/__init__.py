"""Training from shard folders: precision, accumulation, checkpoints and exact resume."""
