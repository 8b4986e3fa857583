"""Artifacts on object storage through fsspec URLs (``s3://bucket/...``): atomic puts,
content-keyed local staging, and errors that name the URL. Knows nothing of Kedro; the
catalog datasets in :mod:`lstm_pipeline.datasets` use it when their path is a URL."""

from lstm_pipeline.storage.remote import (
    DEFAULT_CACHE,
    Remote,
    StorageError,
    is_remote,
    open_remote,
)

__all__ = ["DEFAULT_CACHE", "Remote", "StorageError", "is_remote", "open_remote"]
