"""`python -m lstm_pipeline` and the `lstm-pipeline` command run the project like `kedro run`.

Both work in a packaged install (`kedro package`, then pip install the wheel) from any
folder, given the packaged configuration:

    lstm-pipeline run --conf-source=conf-lstm_pipeline.tar.gz --pipeline=prediction
    python -m lstm_pipeline --env=ucr --params="ucr.dataset=GunPoint"
"""

import sys
from pathlib import Path

from kedro.framework.cli.utils import find_run_command
from kedro.framework.project import configure_project


def main(args: list[str] | None = None):
    argv = list(sys.argv[1:] if args is None else args)
    if argv[:1] == ["run"]:  # `lstm-pipeline run ...` reads as `kedro run ...`
        argv = argv[1:]
    package_name = Path(__file__).parent.name
    configure_project(package_name)
    run = find_run_command(package_name)
    run(argv)


if __name__ == "__main__":
    main()
