"""The fold count, read from the configuration when the pipelines are built.

Kedro hands parameters to nodes only once the pipelines exist, so the number of fold
namespaces is read here from the parameter files a run reads: conf/base, then the run's
environment (``kedro run -e``, else ``KEDRO_ENV``, else the project's default), then
``kedro run --params backtest.folds=N``. The files are read as plain YAML, without resolving
``${...}``: a Kedro config loader made here would re-register OmegaConf's global
``globals``/``runtime_params`` resolvers under the run's own loader.
"""

import logging
import os
from pathlib import Path

import click
import yaml
from kedro.framework.project import settings
from kedro.utils import find_kedro_project

from lstm_pipeline.pipelines.backtest.params import BacktestParams

logger = logging.getLogger(__name__)
KEY = BacktestParams.parameter_key
DEFAULT_FOLDS = BacktestParams.model_fields["folds"].default
PARAMETER_PATTERNS = ["parameters*", "parameters*/**", "**/parameters*"]  # Kedro's default


def configured_folds() -> int:
    """``backtest.folds`` of this run's configuration; 0 when it is not a positive number
    (the run is then refused when it starts, naming the setting)."""
    options = _run_options()
    conf = _conf_folder(options.get("conf_source"))
    folds = DEFAULT_FOLDS
    for env in _environments(options.get("env")):
        for path in _parameter_files(conf / env):
            folds = _folds_in(yaml.safe_load(path.read_text()), folds)
    runtime = options.get("params")
    folds = _folds_in(runtime, folds) if isinstance(runtime, dict) else folds
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 1:
        logger.warning("backtest.folds = %r is not a positive number: no fold is built", folds)
        return 0
    return folds


def _run_options() -> dict:
    """The options of the ``kedro run`` (or other CLI command) being run; {} in Python."""
    context = click.get_current_context(silent=True)
    return dict(context.params) if context is not None else {}


def _conf_folder(conf_source: str | None) -> Path:
    if conf_source:
        return Path(conf_source)
    root = find_kedro_project(Path.cwd()) or Path.cwd()
    return root / settings.CONF_SOURCE


def _environments(env: str | None) -> list[str]:
    args = settings.CONFIG_LOADER_ARGS
    run_env = env or os.environ.get("KEDRO_ENV") or args.get("default_run_env") or "local"
    return list(dict.fromkeys([args.get("base_env") or "base", run_env]))


def _parameter_files(folder: Path) -> list[Path]:
    patterns = settings.CONFIG_LOADER_ARGS.get("config_patterns", {}).get(
        "parameters", PARAMETER_PATTERNS
    )
    found = {path for pattern in patterns for path in folder.glob(pattern)}
    return sorted(
        path
        for path in found
        if path.is_file()
        and path.suffix in (".yml", ".yaml", ".json")
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def _folds_in(parameters, default):
    block = parameters.get(KEY) if isinstance(parameters, dict) else None
    return block.get("folds", default) if isinstance(block, dict) else default
