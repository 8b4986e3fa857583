"""One exception type per kind of user mistake.

Every message names the file, column, row or parameter at fault and says what to do.
All of them derive from :class:`LstmPipelineError` so callers can catch the family.
"""


class LstmPipelineError(Exception):
    """Base class of every error this project raises on bad input or configuration."""


class RawInputError(LstmPipelineError):
    """A raw input file or folder is missing, empty, or holds only a header."""


class ColumnNotFoundError(LstmPipelineError):
    """A declared column is absent from the data."""


class NonNumericValueError(LstmPipelineError):
    """A feature column holds a value that is neither a number nor a declared missing marker."""


class TimestampParseError(LstmPipelineError):
    """A timestamp could not be parsed with the declared format."""


class MissingDataError(LstmPipelineError):
    """Missing values the configured policy does not allow (all-missing column, policy `error`)."""


class UnseenCategoryError(LstmPipelineError):
    """A category absent from the train split, under `normalisation.unseen_category: error`."""


class DuplicateTimestampError(LstmPipelineError):
    """The same timestamp appears more than once and the duplicate policy is `error`."""


class IrregularSpacingError(LstmPipelineError):
    """Timestamps are not on a regular grid and no resampling frequency was declared."""


class SplitError(LstmPipelineError):
    """The chronological split cannot be made as configured (too short, empty, out of range)."""


class WindowingError(LstmPipelineError):
    """Windows cannot be made as configured (longer than a split, unknown target column)."""


class ShardIntegrityError(LstmPipelineError):
    """A shard folder's manifest is missing or invalid, or a shard disagrees with it."""


class ModelSpecError(LstmPipelineError):
    """Model parameters that cannot describe a model for these windows."""


class TrainingDivergedError(LstmPipelineError):
    """The training or validation loss became NaN/infinite or grew far beyond its start."""


class CheckpointError(LstmPipelineError):
    """A checkpoint that cannot be resumed from."""


class SettingsError(LstmPipelineError, ValueError):
    """Parameters that are invalid alone or together; lists every problem at once."""


class LockHeldError(LstmPipelineError):
    """Another running process is writing the same artifact (shard folder, checkpoints)."""


class StorageError(LstmPipelineError):
    """An object store refused an artifact: missing bucket or object, wrong credentials,
    unreachable endpoint."""


class GenerationMismatchError(LstmPipelineError):
    """Inputs of a node come from different runs of a stage (a mixture a killed or
    concurrent run left behind), or a model meets other shards than it was trained on."""


class TimestampRangeError(TimestampParseError):
    """A timestamp outside what int64 nanoseconds can hold (before 1677-09-21 or after
    2262-04-11), usually a mistyped year."""


class MixedTimezoneError(TimestampParseError):
    """The UTC offset of a timestamp column changes from one row to another."""


class TimestampGapError(LstmPipelineError):
    """Two consecutive timestamps (after sorting) are further apart than allowed, usually
    because one row has a mistyped date."""


class NonFiniteValueError(LstmPipelineError):
    """A feature or target holds an infinite value, or a number too large for float32."""


class FileEncodingError(LstmPipelineError):
    """A raw text file is not in the declared encoding (UTF-8 unless said otherwise), or is
    not text at all."""


class DamagedFileError(LstmPipelineError):
    """A compressed raw file is cut short or corrupt, so it cannot be decompressed to its end."""


class PrecisionLossError(LstmPipelineError):
    """Stored (scaled, float32) values too coarse in original units for the metrics to mean
    anything, e.g. a huge spike in the train split set the scaler's spread."""


class LabelError(LstmPipelineError):
    """Class labels that cannot be used: a test label never seen in training, a single
    class, labels that do not match the cases."""


class SequenceShapeError(LstmPipelineError):
    """Labelled sequences of an unusable shape: a case of length 0, splits with a different
    number of dimensions, a data array that is not (cases, steps, dims)."""
