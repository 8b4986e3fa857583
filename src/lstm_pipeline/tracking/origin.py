"""Where a run comes from: the git commit of the project, and the orchestrator's run.

Neither may fail a run: a project outside git, or a machine without git, gets a tag that
says so instead of a commit.
"""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

# Airflow exports these to every task's environment (one process per node under kedro-airflow)
AIRFLOW_DAG = "AIRFLOW_CTX_DAG_ID"
AIRFLOW_DAG_RUN = "AIRFLOW_CTX_DAG_RUN_ID"


def git_tags(project: Path) -> dict[str, str]:
    """``mlflow.source.git.commit`` and ``git.dirty`` of ``project``, or ``git.commit`` saying
    why there is no commit (git missing, not a repository)."""
    git = shutil.which("git")
    if git is None:
        return {"git.commit": "unavailable: git is not installed"}
    try:
        commit = _git(git, project, "rev-parse", "HEAD")
        changes = _git(git, project, "status", "--porcelain", "--untracked-files=no")
    except (subprocess.SubprocessError, OSError) as exc:
        reason = getattr(exc, "stderr", "") or str(exc)
        return {"git.commit": f"unavailable: {reason.strip()[:200]}"}
    return {
        "mlflow.source.git.commit": commit,
        "git.commit": commit,
        "git.dirty": "true" if changes else "false",
    }


def _git(git: str, project: Path, *args: str) -> str:
    done = subprocess.run(
        [git, "-C", str(project), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    return done.stdout.strip()


def orchestrator_run(environ=os.environ) -> dict[str, str] | None:
    """The tags naming the orchestrator's run this process belongs to (an Airflow DAG run),
    or None when it runs alone."""
    dag, dag_run = environ.get(AIRFLOW_DAG), environ.get(AIRFLOW_DAG_RUN)
    if not dag or not dag_run:
        return None
    return {"airflow.dag_id": dag, "airflow.dag_run_id": dag_run}


def run_key(tags: dict[str, str]) -> str:
    """A short hex key for ``tags``: safe inside an MLflow search filter, whatever the
    orchestrator's ids hold (quotes, colons, plus signs)."""
    text = "\n".join(f"{k}={tags[k]}" for k in sorted(tags))
    return hashlib.sha256(text.encode()).hexdigest()[:24]
