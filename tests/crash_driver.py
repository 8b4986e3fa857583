"""Run Kedro pipelines in this process and die by SIGKILL at the N-th commit point.

A commit point is a rename that publishes an artifact (``os.rename``/``os.replace``: every
atomic file write and both halves of a folder swap). The process kills itself just BEFORE
rename number ``--kill-at``, the way a power cut or the OOM killer would: no ``finally``
block runs, temporaries stay on disk. ``--kill-at 0`` runs to the end and only logs the
commit points, one JSON line each: [number, source, destination].

    python tests/crash_driver.py PROJECT --pipelines windowing --params '{"windowing": ...}'
        --kill-at 3 --log points.jsonl
"""

import argparse
import json
import os
import signal
import sys
from pathlib import Path


def _killing(real, kill_at: int, log_path: str, counter: list[int]):
    def rename(source, destination, *args, **kwargs):
        counter[0] += 1
        with open(log_path, "a") as log:
            log.write(json.dumps([counter[0], str(source), str(destination)]) + "\n")
        if counter[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(source, destination, *args, **kwargs)

    return rename


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("project")
    parser.add_argument("--pipelines", default="")
    parser.add_argument("--params", default="{}")
    parser.add_argument("--kill-at", type=int, default=0)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tests.conftest import run_in_process

    counter = [0]
    os.rename = _killing(os.rename, args.kill_at, args.log, counter)
    os.replace = _killing(os.replace, args.kill_at, args.log, counter)
    pipelines = [p for p in args.pipelines.split(",") if p]
    run_in_process(Path(args.project), *pipelines, params=json.loads(args.params))


if __name__ == "__main__":
    main()
