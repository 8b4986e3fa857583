"""The bad-input catalogue: every kind of user mistake the project knows about, run as a user
would meet it (a `kedro run` of the stage, in this process), each asserting

- the error type (one per kind of mistake, see lstm_pipeline.errors),
- that the message names the culprit (file, column, line, value or parameter),
- that every earlier output is byte-identical afterwards (a failed run loses nothing), and
  that no temporary file is left behind. Where the mistake shows only in a stage's second
  node, the first node's outputs are this run's, new and complete: each such case names
  them (``first_node_writes``), and nothing else may change. The lineage check keeps them
  from being used with the old outputs of the same stage.

Every case starts from a copy of one finished tiny run of the whole project.
"""

import gzip
import json
import lzma
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.framework.hooks import hook_impl
from kedro.validation import ParameterValidationError

from lstm_pipeline import errors
from tests.conftest import SLICE, TINY, copy_project, run_in_process

RAW = Path("data/01_raw/household_power")
STORES = ("data/06_models/checkpoints", "data/07_model_output/tensorboard")  # declared stores
LEFTOVER = re.compile(r"^\..+\.(tmp|old)-\d+-[0-9a-f]{8}")


@dataclass(frozen=True)
class Case:
    """One kind of bad input: how to spoil a finished project, what to run, what to expect."""

    id: str
    pipelines: tuple[str, ...]
    error: type[Exception]
    names: tuple[str, ...]  # the message must contain each of these
    spoil: Callable[[Path], None] = lambda project: None
    params: dict = field(default_factory=dict)
    first_node_writes: tuple[str, ...] = ()  # outputs of a node of this run that completed


# --- spoilers ------------------------------------------------------------------------------


def slice_lines() -> list[str]:
    return lzma.decompress(SLICE.read_bytes()).decode().splitlines()


def raw_file(name: str, content: bytes) -> Callable[[Path], None]:
    """Replace the raw data by one file ``name`` holding ``content``."""

    def spoil(project: Path) -> None:
        folder = project / RAW
        shutil.rmtree(folder)
        folder.mkdir()
        (folder / name).write_bytes(content)

    return spoil


def raw_lines(change: Callable[[list[str]], list[str]], name="power.csv") -> Callable:
    return raw_file(name, ("\n".join(change(slice_lines())) + "\n").encode())


COLUMNS = slice_lines()[0].split(",")


def set_field(number: int, column: str, value: str) -> Callable:
    """Line ``number`` (1 = the header) with ``column`` set to the text ``value``."""

    def change(lines: list[str]) -> list[str]:
        fields = lines[number - 1].split(",")
        fields[COLUMNS.index(column)] = value
        lines[number - 1] = ",".join(fields)
        return lines

    return raw_lines(change)


def compressed_then_cut(suffix: str, compress: Callable[[bytes], bytes]) -> Callable:
    data = compress(("\n".join(slice_lines()) + "\n").encode())
    return raw_file(f"power.csv{suffix}", data[: len(data) // 2])


def edit_json(relative: str, change: Callable[[dict], None]) -> Callable:
    def spoil(project: Path) -> None:
        path = project / relative
        content = json.loads(path.read_text())
        change(content)
        path.write_text(json.dumps(content))

    return spoil


def write_text(relative: str, text: str) -> Callable:
    return lambda project: (project / relative).write_text(text)


def flip_a_byte(relative: str) -> Callable:
    def spoil(project: Path) -> None:
        path = project / relative
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))

    return spoil


def truncate(relative: str) -> Callable:
    def spoil(project: Path) -> None:
        path = project / relative
        path.write_bytes(path.read_bytes()[:-100])

    return spoil


def spoil_split(name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable:
    """A normalised split rewritten, keeping the lineage it carries."""

    def spoil(project: Path) -> None:
        path = project / f"data/04_feature/{name}_series.parquet"
        frame = pd.read_parquet(path)
        attrs = frame.attrs
        frame = change(frame)
        frame.attrs = attrs
        frame.to_parquet(path)

    return spoil


def every_tenth_row_missing(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.iloc[::10] = np.nan
    return frame


def from_another_run(*relative: str, pipelines=("windowing",)) -> Callable:
    """Outputs of the same stage, same settings, but another run (another generation)."""

    def spoil(project: Path) -> None:
        other = copy_project(project, project.parent / f"{project.name}-other")
        run_in_process(other, *pipelines, params=TINY)
        for item in relative:
            shutil.rmtree(project / item, ignore_errors=True)
            (project / item).unlink(missing_ok=True) if (project / item).is_file() else None
            copy = shutil.copytree if (other / item).is_dir() else shutil.copy2
            copy(other / item, project / item)

    return spoil


HOLD_LOCK = """
import sys, time
from lstm_pipeline.files import exclusive_lock
with exclusive_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(120)
"""


# --- the catalogue -------------------------------------------------------------------------

E = errors
INGEST, NORMALISE, WINDOW = ("ingestion",), ("normalisation",), ("windowing",)
# what the first node of a stage writes when the stage's second node finds the mistake
READ_NODE = ("data/02_intermediate/raw_series.parquet", "data/02_intermediate/read_report.json")
PLAN_NODE = ("data/06_models/planned_batch_size.json",)
TRAIN, EVALUATE = ("training",), ("evaluation",)

CASES = [
    # ingestion: files
    Case(
        "raw folder missing",
        INGEST,
        E.RawInputError,
        ("household_power", "does not exist"),
        spoil=lambda p: shutil.rmtree(p / RAW),
    ),
    Case(
        "empty file",
        INGEST,
        E.RawInputError,
        ("power.csv", "empty"),
        spoil=raw_file("power.csv", b""),
    ),
    Case(
        "header only",
        INGEST,
        E.RawInputError,
        ("power.csv", "no data rows"),
        spoil=raw_lines(lambda lines: lines[:1]),
    ),
    Case(
        "line with too many fields",
        INGEST,
        E.RawInputError,
        ("power.csv", "line 101"),
        spoil=set_field(101, "Sub_metering_3", "16,9,9"),
    ),
    Case(
        "unsupported file type",
        INGEST,
        E.RawInputError,
        ("power.txt", ".csv"),
        spoil=raw_file("power.txt", b"a,b\n1,2\n"),
    ),
    Case(
        "corrupt parquet",
        INGEST,
        E.RawInputError,
        ("power.parquet", "Parquet"),
        spoil=raw_file("power.parquet", b"PAR1 not really parquet PAR1"),
    ),
    Case(
        "not UTF-8",
        INGEST,
        E.FileEncodingError,
        ("power.csv", "line 3"),
        spoil=raw_file(
            "power.csv", "\n".join(slice_lines()[:3]).encode() + ",\xe9\n".encode("latin-1")
        ),
    ),
    Case(
        "binary file",
        INGEST,
        E.FileEncodingError,
        ("power.csv",),
        spoil=raw_file(
            "power.csv", bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8))
        ),
    ),
    Case(
        "truncated xz",
        INGEST,
        E.DamagedFileError,
        ("power.csv.xz",),
        spoil=compressed_then_cut(".xz", lzma.compress),
    ),
    Case(
        "truncated gz",
        INGEST,
        E.DamagedFileError,
        ("power.csv.gz",),
        spoil=compressed_then_cut(".gz", gzip.compress),
    ),
    # ingestion: columns and values
    Case(
        "target column absent",
        INGEST,
        E.ColumnNotFoundError,
        ("power.csv", "Load"),
        spoil=raw_lines(lambda x: x),
        params={"ingestion": {"targets": ["Load"]}},
    ),
    Case(
        "text in a number column",
        INGEST,
        E.NonNumericValueError,
        ("Sub_metering_1", "line 1235", "'n/a?'"),
        spoil=set_field(1235, "Sub_metering_1", "n/a?"),
    ),
    Case(
        "inf in a feature",
        INGEST,
        E.NonFiniteValueError,
        ("Voltage", "line 50", "inf"),
        spoil=set_field(50, "Voltage", "inf"),
    ),
    Case(
        "-inf in the target",
        INGEST,
        E.NonFiniteValueError,
        ("Global_active_power", "line 60", "-inf"),
        spoil=set_field(60, "Global_active_power", "-inf"),
    ),
    Case(
        "1e39 overflows float32",
        INGEST,
        E.NonFiniteValueError,
        ("Voltage", "line 70", "1e39"),
        spoil=set_field(70, "Voltage", "1e39"),
    ),
    Case(
        "1e400 overflows float64",
        INGEST,
        E.NonFiniteValueError,
        ("line 80", "1e400"),
        spoil=set_field(80, "Voltage", "1e400"),
    ),
    Case(
        "column missing everywhere",
        INGEST,
        E.MissingDataError,
        ("Voltage",),
        spoil=raw_lines(
            lambda lines: (
                [lines[0]]
                + [
                    ",".join(v if i != 4 else "?" for i, v in enumerate(line.split(",")))
                    for line in lines[1:]
                ]
            )
        ),
    ),
    # ingestion: timestamps
    Case(
        "unparseable timestamp",
        INGEST,
        E.TimestampParseError,
        ("line 90", "32/12/2006"),
        spoil=set_field(90, "Date", "32/12/2006"),
    ),
    Case(
        "year 2300",
        INGEST,
        E.TimestampRangeError,
        ("line 95", "2300"),
        spoil=set_field(95, "Date", "16/12/2300"),
    ),
    Case(
        "year 1600",
        INGEST,
        E.TimestampRangeError,
        ("line 96", "1600"),
        spoil=set_field(96, "Date", "16/12/1600"),
    ),
    Case(
        "mistyped year 2099",
        INGEST,
        E.TimestampGapError,
        ("line", "2099"),
        spoil=set_field(5000, "Date", "20/12/2099"),
    ),
    Case(
        "mistyped year 2027",
        INGEST,
        E.TimestampGapError,
        ("line", "2027"),
        spoil=set_field(5000, "Date", "20/12/2027"),
    ),
    Case(
        "duplicate timestamps",
        INGEST,
        E.DuplicateTimestampError,
        ("line 11", "line 12"),
        spoil=set_field(12, "Time", "17:33:00"),
    ),
    Case(
        "irregular spacing",
        INGEST,
        E.IrregularSpacingError,
        ("ingestion.resample",),
        spoil=set_field(20, "Time", "17:42:30"),
        params={"ingestion": {"resample": None}},
        first_node_writes=READ_NODE,
    ),
    Case(
        "mixed UTC offsets",
        INGEST,
        E.MixedTimezoneError,
        ("power.csv", "line 3"),
        spoil=raw_file(
            "power.csv",
            b"time,load\n2020-03-01T00:00:00+01:00,1\n"
            b"2020-03-01T01:00:00+02:00,2\n2020-03-01T02:00:00+02:00,3\n",
        ),
        params={
            "ingestion": {
                "timestamp": {
                    "column": "time",
                    "date_column": None,
                    "time_column": None,
                    "format": None,
                },
                "targets": ["load"],
                "resample": None,
            }
        },
    ),
    Case(
        "missing values with policy error",
        INGEST,
        E.MissingDataError,
        ("ingestion.missing.policy",),
        params={"ingestion": {"missing": {"policy": "error"}}},
        first_node_writes=READ_NODE,
    ),
    Case(
        "long gap with long_gaps error",
        INGEST,
        E.MissingDataError,
        ("max_gap",),
        spoil=raw_lines(
            lambda lines: [
                line.replace(line.split(",")[2], "?", 1) if 100 < i < 200 else line
                for i, line in enumerate(lines)
            ]
        ),
        params={"ingestion": {"missing": {"long_gaps": "error"}}},
        first_node_writes=READ_NODE,
    ),
    # normalisation
    Case(
        "train split too short",
        NORMALISE,
        E.SplitError,
        ("min_train_rows",),
        params={"normalisation": {"split": {"min_train_rows": 100000}}},
    ),
    Case(
        "split timestamps outside the series",
        NORMALISE,
        E.SplitError,
        ("val_start",),
        params={
            "normalisation": {
                "split": {
                    "method": "timestamps",
                    "val_start": "2030-01-01",
                    "test_start": "2031-01-01",
                }
            }
        },
    ),
    Case(
        "PCA of an unknown column",
        NORMALISE,
        E.ColumnNotFoundError,
        ("normalisation.pca.columns", "rain"),
        params={"normalisation": {"pca": {"enabled": True, "columns": ["Voltage", "rain"]}}},
    ),
    Case(
        "a column without a value in the train split",
        NORMALISE,
        E.MissingDataError,
        ("Voltage", "train split"),
        spoil=lambda p: (
            pd.read_parquet(p / "data/02_intermediate/series.parquet")
            .assign(Voltage=lambda f: np.where(np.arange(len(f)) < len(f) * 0.8, np.nan, f.Voltage))
            .astype("float32")
            .to_parquet(p / "data/02_intermediate/series.parquet")
        ),
    ),
    # windowing
    Case(
        "window longer than a split",
        WINDOW,
        E.WindowingError,
        ("val_series.parquet", "horizon 100"),
        params={"windowing": {"horizon": 100}},  # val's inputs may come from train, not its targets
    ),
    Case(
        "target the splits lack",
        WINDOW,
        E.ColumnNotFoundError,
        ("windowing.targets", "Load"),
        params={"windowing": {"targets": ["Load"], "features": None}},
    ),
    Case(
        "no complete window in a split",
        WINDOW,
        E.WindowingError,
        ("val", "stretch"),
        spoil=spoil_split("val", every_tenth_row_missing),
    ),
    Case(
        "a mixture of normalisation runs",
        WINDOW,
        E.GenerationMismatchError,
        ("normalisation", "val_series"),
        spoil=from_another_run("data/04_feature/val_series.parquet", pipelines=("normalisation",)),
    ),
    # shards, as training reads them
    Case(
        "manifest not JSON",
        TRAIN,
        E.ShardIntegrityError,
        ("train_shards", "manifest.json"),
        spoil=write_text("data/05_model_input/train_shards/manifest.json", "{"),
        first_node_writes=PLAN_NODE,
    ),
    Case(
        "manifest missing",
        TRAIN,
        E.ShardIntegrityError,
        ("val_shards", "manifest.json"),
        spoil=lambda p: (p / "data/05_model_input/val_shards/manifest.json").unlink(),
        first_node_writes=PLAN_NODE,
    ),
    Case(
        "shard truncated",
        TRAIN,
        E.ShardIntegrityError,
        ("shard-00000.h5",),
        spoil=truncate("data/05_model_input/train_shards/shard-00000.h5"),
        first_node_writes=PLAN_NODE,
    ),
    Case(
        "shard with a flipped byte",
        TRAIN,
        E.ShardIntegrityError,
        ("shard-00000.h5",),
        spoil=flip_a_byte("data/05_model_input/train_shards/shard-00000.h5"),
        first_node_writes=PLAN_NODE,
    ),
    Case(
        "shard file missing",
        TRAIN,
        E.ShardIntegrityError,
        ("shard-00000.h5", "missing"),
        spoil=lambda p: (p / "data/05_model_input/val_shards/shard-00000.h5").unlink(),
        first_node_writes=PLAN_NODE,
    ),
    Case(
        "manifest target_index edited",
        TRAIN,
        E.ShardIntegrityError,
        ("target_index",),
        spoil=edit_json(
            "data/05_model_input/train_shards/manifest.json", lambda m: m.update(target_index=[1])
        ),
        first_node_writes=PLAN_NODE,
    ),
    Case(
        "manifest input_length edited",
        TRAIN,
        E.ShardIntegrityError,
        ("input_length",),
        spoil=edit_json(
            "data/05_model_input/train_shards/manifest.json", lambda m: m.update(input_length=23)
        ),
        first_node_writes=PLAN_NODE,
    ),
    Case(
        "train and val shards of different runs",
        TRAIN,
        E.GenerationMismatchError,
        ("val_shards", "windowing generation"),
        spoil=from_another_run("data/05_model_input/val_shards"),
        first_node_writes=PLAN_NODE,
    ),
    # checkpoints
    Case(
        "state.json not JSON",
        TRAIN,
        E.CheckpointError,
        ("state.json",),
        spoil=write_text("data/06_models/checkpoints/state.json", "{"),
        first_node_writes=PLAN_NODE,
    ),
    Case(
        "state.json points outside its folder",
        TRAIN,
        E.CheckpointError,
        ("../",),
        spoil=edit_json(
            "data/06_models/checkpoints/state.json",
            lambda s: s.update(model_file="../../model.keras"),
        ),
        first_node_writes=PLAN_NODE,
    ),
    Case(
        "diverging loss",
        TRAIN,
        E.TrainingDivergedError,
        ("learning_rate",),
        params={
            "training": {
                "learning_rate": 1e6,
                "clip_norm": None,
                "retrain": True,
                "schedule": "constant",
            }
        },
        first_node_writes=PLAN_NODE,
    ),
    # evaluation
    Case(
        "model trained on other shards",
        EVALUATE,
        E.GenerationMismatchError,
        ("model", "test_shards", "trained on other shards"),
        spoil=from_another_run("data/05_model_input/test_shards"),
    ),
    # settings: per model (Kedro's check) and across stages (preflight), before any node
    Case(
        "unknown parameter key",
        TRAIN,
        ParameterValidationError,
        ("training.epoch = 3",),
        params={"training": {"epoch": 3}},
    ),
    Case(
        "parameter of the wrong type",
        TRAIN,
        ParameterValidationError,
        ("training.epochs = 'many'",),
        params={"training": {"epochs": "many"}},
    ),
    Case(
        "split fractions that do not add up",
        NORMALISE,
        ParameterValidationError,
        ("normalisation.split", "must add up to 1"),
        params={"normalisation": {"split": {"train": 0.9}}},
    ),
    Case(
        "split timestamps out of order",
        NORMALISE,
        ParameterValidationError,
        ("normalisation.split", "must come before"),
        params={
            "normalisation": {
                "split": {
                    "method": "timestamps",
                    "val_start": "2007-01-01",
                    "test_start": "2006-12-20",
                }
            }
        },
    ),
    Case(
        "duration that is not one",
        INGEST,
        ParameterValidationError,
        ("ingestion.missing.max_gap = 'soon'",),
        params={"ingestion": {"missing": {"max_gap": "soon"}}},
    ),
    Case(
        "lzf compression for TFRecord",
        WINDOW,
        ParameterValidationError,
        ("lzf",),
        params={"windowing": {"format": "tfrecord", "compression": "lzf"}},
    ),
    Case(
        "seasonal period beyond the series before the test split",
        WINDOW,
        errors.ModelSpecError,
        ("evaluation.seasonal_period 100000", "test_series.parquet", "only 284 steps"),
        params={"evaluation": {"seasonal_period": 100000}},
    ),
    Case(
        "truncated BPTT on window records",
        ("windowing", "training"),
        ParameterValidationError,
        ("training.tbptt.enabled = True", "'windows'"),
        params={"training": {"tbptt": {"enabled": True}}, "windowing": {"stride": 100}},
    ),
    Case(
        "truncated BPTT on a bidirectional model",
        ("modelling",),
        ParameterValidationError,
        ("modelling.recurrent.bidirectional = True",),
        params={
            "training": {"tbptt": {"enabled": True}},
            "modelling": {"recurrent": {"bidirectional": True}},
        },
    ),
    Case(
        "hierarchical chunks that do not divide the window",
        ("modelling",),
        ParameterValidationError,
        ("modelling.hierarchical.chunk_length = 5",),
        params={"modelling": {"architecture": "hierarchical", "hierarchical": {"chunk_length": 5}}},
    ),
    Case(
        "precision other than the stored model's",
        TRAIN,
        ParameterValidationError,
        ("training.precision = 'mixed_float16'", "float32"),
        params={"training": {"precision": "mixed_float16"}},
    ),
    Case(
        "batch larger than the train windows",
        TRAIN,
        ParameterValidationError,
        ("training.batch_size = 100000",),
        params={"training": {"batch_size": 100000}},
    ),
    Case(
        "baselines without the target among the inputs",
        WINDOW,
        ParameterValidationError,
        ("windowing.features", "Global_active_power"),
        params={"windowing": {"features": ["Voltage"]}, "evaluation": {}},
    ),
    Case(
        "units for a column that is no target",
        EVALUATE,
        ParameterValidationError,
        ("evaluation.units", "Voltage"),
        params={"evaluation": {"units": {"Voltage": "V"}}},
    ),
]


# --- running a case ------------------------------------------------------------------------


def merged(base: dict, changes: dict) -> dict:
    out = {**base}
    for key, value in changes.items():
        nested = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merged(out[key], value) if nested and value else value
    return out


def snapshot(project: Path) -> dict[str, bytes]:
    """Every output on disk (not the raw inputs, not the declared training stores)."""
    files = {}
    for path in sorted((project / "data").rglob("*")):
        relative = path.relative_to(project).as_posix()
        if path.is_file() and not relative.startswith(("data/01_raw", *STORES)):
            files[relative] = path.read_bytes()
    return files


class SavedOutputs:
    """A Kedro hook recording the files of every dataset saved during a run."""

    def __init__(self) -> None:
        self.catalog, self.paths = None, []

    @hook_impl
    def after_catalog_created(self, catalog) -> None:
        self.catalog = catalog

    @hook_impl
    def after_dataset_saved(self, dataset_name: str) -> None:
        described = self.catalog.get(dataset_name)._describe()
        self.paths.append(Path(described.get("filepath") or described.get("path")))

    def relative(self, project: Path) -> list[str]:
        return sorted(p.resolve().relative_to(project.resolve()).as_posix() for p in self.paths)


def culprit(raised: BaseException, expected: type[Exception]) -> BaseException | None:
    """``raised`` or the error it wraps (Kedro wraps dataset errors) of the expected type."""
    seen = raised
    while seen is not None:
        if isinstance(seen, expected):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_named_and_loses_nothing(case: Case, finished_project, tmp_path):
    project = copy_project(finished_project, tmp_path / "project")
    case.spoil(project)
    before, saved = snapshot(project), SavedOutputs()
    with pytest.raises(Exception) as raised:  # noqa: PT011 - the type is checked below
        run_in_process(project, *case.pipelines, params=merged(TINY, case.params), hooks=[saved])
    found = culprit(raised.value, case.error)
    assert found is not None, f"expected {case.error.__name__}, got {raised.value!r}"
    message = str(found)
    for name in case.names:
        assert name in message, f"{name!r} not in: {message}"
    assert saved.relative(project) == sorted(case.first_node_writes)
    after = snapshot(project)
    kept = {k: v for k, v in before.items() if k not in case.first_node_writes}
    assert {k: v for k, v in after.items() if k not in case.first_node_writes} == kept
    assert [p for p in (project / "data").rglob("*") if LEFTOVER.match(p.name)] == []


def test_a_held_shard_lock_stops_a_second_windowing_run_naming_the_holder(
    finished_project, tmp_path
):
    project = copy_project(finished_project, tmp_path / "project")
    shards = project / "data/05_model_input/train_shards"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(shards)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        before = snapshot(project)
        with pytest.raises(Exception) as raised:  # noqa: PT011
            run_in_process(project, "windowing", params=TINY)
        found = culprit(raised.value, errors.LockHeldError)
        assert found is not None and f"pid {holder.pid}" in str(found)
        after = snapshot(project)
        assert {k: v for k, v in after.items() if "train_shards" in k} == {
            k: v for k, v in before.items() if "train_shards" in k
        }
    finally:
        holder.kill()
        holder.wait()


def test_the_catalogue_covers_every_kind_of_mistake():
    from tests.test_bad_labelled_inputs import CASES as LABELLED_CASES

    kinds = {c.error for c in (*CASES, *LABELLED_CASES)}
    mistakes = {
        cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.LstmPipelineError)
    }
    covered_elsewhere = {
        errors.LstmPipelineError,  # the base class
        errors.SettingsError,  # raised as ParameterValidationError in a run
        errors.LockHeldError,  # test above
        errors.PrecisionLossError,  # needs a full run with a 1e30 spike: tests/evaluation
        errors.UnseenCategoryError,  # needs a text column: tests/scaling/test_categories.py
        errors.StorageError,  # needs an object store: tests/storage (a moto server)
    }
    assert mistakes - kinds - covered_elsewhere == set()
    assert len(CASES) >= 55
