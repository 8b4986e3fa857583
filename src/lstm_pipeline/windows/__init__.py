"""Window arithmetic, shard storage and the streaming tf.data reader.

Nothing here imports TensorFlow at module level: only the TFRecord store and the reader
need it, and they import it when called.
"""
