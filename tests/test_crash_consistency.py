"""A stage killed at any moment never leaves a mixture that a later node would use, and the
next run repairs it: every output then carries the stage record's generation, and no
temporary or retired copy is left behind.

Each commit point (every rename that publishes an artifact, see tests/crash_driver.py) is
hit once: the run SIGKILLs itself just before it. A few runs are also killed from outside
at random moments.
"""

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lstm_pipeline.errors import GenerationMismatchError
from lstm_pipeline.lineage import check_consistent, lineage_of
from tests.conftest import REPO, TINY, copy_project, run_in_process

pytestmark = pytest.mark.slow

DRIVER = REPO / "tests" / "crash_driver.py"
LEFTOVER = re.compile(r"^\..+\.(tmp|old)-\d+-[0-9a-f]{8}")
# another setting than the finished run's, so that every output really changes
RERUN = {
    "windowing": {**TINY, "windowing": {"input_length": 30, "horizon": 6}},
    "evaluation": {**TINY, "evaluation": {"sample_windows": 2, "one_step_points": 100}},
}
RECORD = {"windowing": "windowing_record", "evaluation": "evaluation_record"}


def drive(project: Path, stage: str, kill_at: int, log: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(DRIVER),
            str(project),
            "--pipelines",
            stage,
            "--params",
            json.dumps(RERUN[stage]),
            "--kill-at",
            str(kill_at),
            "--log",
            str(log),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        check=False,
    )


def stage_lineages(project: Path, stage: str) -> dict[str, dict | None]:
    """The lineage of every output of ``stage`` (a PNG file's from its text metadata; the
    evaluation plots folder's from its index, which its PNGs and Plotly twins repeat)."""
    from contextlib import chdir

    from kedro.framework.project import pipelines
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    found = {}
    with chdir(project), KedroSession.create(project_path=project) as session:
        catalog = session.load_context().catalog
        for name in sorted(pipelines[stage].all_outputs()):
            found[name] = _lineage_on_disk(catalog, name)
    return found


def _lineage_on_disk(catalog, name: str) -> dict | None:
    dataset = catalog.get(name)
    path = str(getattr(dataset, "_filepath", ""))
    if path.endswith(".png"):
        from PIL import Image

        text = Image.open(path).text.get("lineage")
        return json.loads(text) if text else None
    return lineage_of(catalog.load(name)) if catalog.exists(name) else None


def leftovers(project: Path) -> list[str]:
    return [str(p) for p in (project / "data").rglob("*") if LEFTOVER.match(p.name)]


def assert_repaired(project: Path, stage: str, record: str) -> None:
    """After a complete run: one generation, the record's, on every output; nothing left."""
    lineages = stage_lineages(project, stage)
    generation = lineages[record]["generation"]
    assert {n: (lin or {}).get("generation") for n, lin in lineages.items()} == dict.fromkeys(
        lineages, generation
    )
    assert leftovers(project) == []


def assert_no_mixture_is_usable(project: Path, stage: str) -> None:
    """Right after a kill: what is on disk is one run's, or a node reading it refuses."""
    present = {n: lin for n, lin in stage_lineages(project, stage).items() if lin}
    generations = {lin["generation"] for lin in present.values()}
    if len(generations) > 1:
        with pytest.raises(GenerationMismatchError):
            check_consistent("a later node", present)


def logged_commit_points(finished_project, folder: Path, stage: str) -> list:
    """The commit points of a re-run of ``stage``, from one uninterrupted logged run."""
    project = copy_project(finished_project, folder)
    log = project / "points.jsonl"
    result = drive(project, stage, 0, log)
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.parametrize(("stage", "at_least"), [("windowing", 7), ("evaluation", 7)])
def test_a_stage_killed_at_each_commit_point_is_repaired_by_the_next_run(
    stage, at_least, finished_project, tmp_path
):
    """windowing: settings, three folder swaps (two renames each), record; evaluation:
    predictions, metrics, samples, the plots folder swap (two renames), report, record."""
    points = logged_commit_points(finished_project, tmp_path / "count", stage)
    assert len(points) >= at_least
    for number, source, destination in points:
        project = copy_project(finished_project, tmp_path / f"kill-{number}")
        result = drive(project, stage, number, project / "points.jsonl")
        assert result.returncode == -signal.SIGKILL, (number, source, destination)
        assert_no_mixture_is_usable(project, stage)
        run_in_process(project, stage, params=RERUN[stage])
        assert_repaired(project, stage, RECORD[stage])


@pytest.mark.parametrize(("stage", "attempts"), [("windowing", 3), ("evaluation", 2)])
def test_a_stage_killed_from_outside_at_random_moments_is_repaired(
    stage, attempts, finished_project, tmp_path
):
    rng = random.Random(11)
    for attempt in range(attempts):
        project = copy_project(finished_project, tmp_path / f"random-{attempt}")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kedro",
                "run",
                f"--pipelines={stage}",
                "--params",
                _dotted(RERUN[stage]),
            ],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
            start_new_session=True,
        )
        time.sleep(rng.uniform(2.0, 8.0 if stage == "evaluation" else 4.0))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert_no_mixture_is_usable(project, stage)
        run_in_process(project, stage, params=RERUN[stage])
        assert_repaired(project, stage, RECORD[stage])


def _dotted(params: dict, prefix: str = "") -> str:
    """``{"a": {"b": 1}}`` as ``a.b=1`` items for ``kedro run --params``."""
    items = []
    for key, value in params.items():
        if isinstance(value, dict):
            items.append(_dotted(value, f"{prefix}{key}."))
        else:
            items.append(f"{prefix}{key}={json.dumps(value)}")
    return ",".join(items)


def test_concurrent_windowing_runs_with_other_settings_never_leave_a_usable_mixture(
    finished_project, tmp_path
):
    """Two windowing runs at once, with different settings: each finishes, or fails naming
    the lock's holder or the mixture; what they leave is one run's, or refused."""
    for attempt in range(3):
        project = copy_project(finished_project, tmp_path / f"concurrent-{attempt}")
        runs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kedro",
                    "run",
                    "--pipelines=windowing",
                    "--params",
                    f"windowing.input_length={length},windowing.horizon=6",
                ],
                cwd=project,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "COLUMNS": "200"},
            )
            for length in (30, 36)
        ]
        for run in runs:
            output = run.communicate(timeout=300)[0]
            assert run.returncode == 0 or any(
                kind in output for kind in ("LockHeldError", "GenerationMismatchError")
            ), output[-3000:]
        assert_no_mixture_is_usable(project, "windowing")
        run_in_process(project, "windowing", params=RERUN["windowing"])
        assert_repaired(project, "windowing", "windowing_record")
