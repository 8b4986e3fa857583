"""The tracking settings: code defaults equal conf/base, and a bad value names its path."""

import pytest
import yaml

from lstm_pipeline.errors import SettingsError
from lstm_pipeline.tracking.params import TrackingParams
from tests.conftest import REPO


def test_code_defaults_equal_conf_base():
    conf = yaml.safe_load((REPO / "conf/base/parameters_tracking.yml").read_text())["tracking"]
    assert TrackingParams().model_dump() == conf


def test_a_bad_value_is_refused_naming_the_parameter():
    with pytest.raises(SettingsError) as refused:
        TrackingParams.model_validate({"enabled": "maybe", "experiment": "", "uri": "x"})
    message = str(refused.value)
    assert "tracking.enabled = 'maybe'" in message
    assert "tracking.experiment = ''" in message
    assert "tracking.uri" in message  # a typo is not passed over
