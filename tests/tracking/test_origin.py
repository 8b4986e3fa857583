"""The git commit and the orchestrator's run a process belongs to."""

import shutil
import subprocess

import pytest

from lstm_pipeline.tracking import origin


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to make a repository")
def test_the_commit_of_a_repository_is_read_from_git(tmp_path):
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env |= {"GIT_COMMITTER_EMAIL": "t@t", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    (tmp_path / "f.txt").write_text("a")
    for args in (["init", "-q", "-b", "main"], ["add", "f.txt"], ["commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True)
    head = (tmp_path / ".git" / "refs" / "heads" / "main").read_text().strip()  # the oracle
    tags = origin.git_tags(tmp_path)
    assert tags == {"mlflow.source.git.commit": head, "git.commit": head, "git.dirty": "false"}
    (tmp_path / "f.txt").write_text("b")
    assert origin.git_tags(tmp_path)["git.dirty"] == "true"


def test_outside_git_the_tag_says_why_there_is_no_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    tags = origin.git_tags(tmp_path)
    assert list(tags) == ["git.commit"]
    assert tags["git.commit"].startswith("unavailable: ") and "git repository" in tags["git.commit"]
    monkeypatch.setattr(origin.shutil, "which", lambda name: None)
    assert origin.git_tags(tmp_path) == {"git.commit": "unavailable: git is not installed"}


def test_an_airflow_task_names_its_dag_run_and_one_dag_run_has_one_key():
    alone = origin.orchestrator_run({})
    task = {
        origin.AIRFLOW_DAG: "lstm_pipeline__local__default",
        origin.AIRFLOW_DAG_RUN: "manual__2026-01-01T00:00:00+00:00",
    }
    other = {**task, origin.AIRFLOW_DAG_RUN: "scheduled__2026-01-02T00:00:00+00:00"}
    assert alone is None
    tags = origin.orchestrator_run(task)
    assert tags == {
        "airflow.dag_id": task[origin.AIRFLOW_DAG],
        "airflow.dag_run_id": task[origin.AIRFLOW_DAG_RUN],
    }
    key = origin.run_key(tags)
    assert key == origin.run_key(dict(reversed(tags.items())))
    assert key != origin.run_key(origin.orchestrator_run(other))
    assert set(key) <= set("0123456789abcdef")  # safe inside a search filter
