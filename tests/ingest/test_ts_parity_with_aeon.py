"""Our .ts reader gives exactly what aeon's ``load_from_ts_file`` gives, on every bundled
``.ts`` file (data/01_raw/ucr/*/*.ts) and every .ts fixture: values, lengths, labels, dims.

aeon 1.6 pins pandas < 3.1, so it cannot live in the project's .venv (pandas 3.1); it runs
in its own environment, ``.venv-aeon`` (``make .venv-aeon``; ``make test`` builds it first),
through a subprocess that writes plain numpy files. The test is skipped only where that
environment is absent and ``CI`` is unset; in CI it fails instead.

One documented difference: aeon lowercases every data line before parsing, labels
included ("Standing" -> "standing"); we keep labels as written (the header's class list
spells them the same), so labels are compared after lowercasing ours, and ours are checked
against the header's list as written.
"""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lstm_pipeline.ingest.labelled import read_ts
from lstm_pipeline.ingest.labelled.ts import parse_header

REPO = Path(__file__).resolve().parents[2]
AEON_PYTHON = REPO / ".venv-aeon" / "bin" / "python"
BUNDLED = sorted((REPO / "data" / "01_raw" / "ucr").glob("*/*.ts"))
FIXTURES = sorted((REPO / "tests" / "data" / "labelled").glob("*/*.ts"))

AEON_SCRIPT = """
import json, sys
from pathlib import Path
import numpy as np
from aeon.datasets import load_from_ts_file
paths, out = json.loads(sys.argv[1]), Path(sys.argv[2])
for i, path in enumerate(paths):
    X, y = load_from_ts_file(path)
    cases = list(X)  # (n, channels, length) array or a list of (channels, length) arrays
    np.savez(
        out / f"{i}.npz",
        values=np.concatenate([c.reshape(-1) for c in cases]),
        lengths=np.array([c.shape[1] for c in cases]),
        channels=np.array([c.shape[0] for c in cases]),
        labels=np.asarray(y, dtype=str),
    )
"""


@pytest.fixture(scope="module")
def aeon_results(tmp_path_factory) -> dict[Path, dict]:
    if not AEON_PYTHON.exists():
        message = f"{AEON_PYTHON} is absent: run `make .venv-aeon` (aeon 1.6.0 in its own venv)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run this test.")
        pytest.skip(message)
    out = tmp_path_factory.mktemp("aeon")
    paths = [str(p) for p in BUNDLED + FIXTURES]
    subprocess.run(
        [str(AEON_PYTHON), "-c", AEON_SCRIPT, json.dumps(paths), str(out)],
        check=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return {Path(p): dict(np.load(out / f"{i}.npz")) for i, p in enumerate(paths)}


def test_every_bundled_set_is_covered():
    assert len(BUNDLED) == 10
    assert {p.parent.name for p in BUNDLED} == {
        "GunPoint",
        "ItalyPowerDemand",
        "ArrowHead",
        "BasicMotions",
        "JapaneseVowels",
    }
    assert len(FIXTURES) >= 5


@pytest.mark.parametrize("path", BUNDLED + FIXTURES, ids=lambda p: str(p.relative_to(REPO)))
def test_same_cases_as_aeon(aeon_results, path):
    expected = aeon_results[path]
    ours = read_ts(path)
    channels = expected["channels"]
    assert (channels == len(ours.dims)).all()
    np.testing.assert_array_equal(ours.lengths(), expected["lengths"])
    flat = np.concatenate([v.T.reshape(-1) for v in ours.values])  # channel-major, as aeon
    np.testing.assert_array_equal(flat, expected["values"].astype(np.float32))
    assert [label.lower() for label in ours.labels] == expected["labels"].tolist()
    header, _ = parse_header(path.read_text().splitlines(), path)
    assert set(ours.labels) <= set(header.classes)
