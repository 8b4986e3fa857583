"""Run one measurement in a fresh Python process (its peak memory its own) and read the
JSON object it prints last."""

import json
import os
import subprocess
import sys
import time


def run_json_child(arguments: list[str], timeout: int, hide_gpu: bool = False) -> dict:
    """``python <arguments>``: its last stdout line as a dict, plus ``wall_s``; or
    ``{"error": ...}`` when it fails or runs over ``timeout`` seconds."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if hide_gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, *arguments],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout} s"}
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    return result
