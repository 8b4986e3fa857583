"""Project settings: https://docs.kedro.org/en/stable/kedro_project_setup/settings.html"""

import os
import warnings

from kedro.config import OmegaConfigLoader

from lstm_pipeline.hooks import (
    DaskEngineHooks,
    DistributionHooks,
    LineageHooks,
    NodeTimingHooks,
    SeedingHooks,
)
from lstm_pipeline.preflight import PreflightHooks
from lstm_pipeline.tracking.hooks import TrackingHooks

# Kedro 1.7 itself calls OmegaConf's deprecated register_new_resolver three times per run;
# nothing a user of this project can act on, so that one message is hidden.
warnings.filterwarnings(
    "ignore",
    message=r"register_new_resolver\(\) is deprecated",
    category=UserWarning,
    module=r"kedro\.config\.omegaconf_config",
)

# pluggy calls hooks last-registered first: the distribution hook, first here, starts the
# strategy after every other before_pipeline_run (the preflight's check of TF_CONFIG first)
HOOKS = (
    DistributionHooks(),
    PreflightHooks(),
    NodeTimingHooks(),
    SeedingHooks(),
    LineageHooks(),
    TrackingHooks(),
    DaskEngineHooks(),
)


def _folder(*parts) -> str:
    """``${folder:a,b}``: the parts joined as a path, empty parts left out."""
    return os.path.join(*[str(part) for part in parts if part not in (None, "")])


CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # An environment file or --params changes only the keys it names; the rest of a block
    # keeps its conf/base value (Kedro's default would replace the whole top-level block).
    "merge_strategy": {"parameters": "soft", "globals": "soft"},
    "custom_resolvers": {"folder": _folder},
}
