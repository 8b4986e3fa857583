"""One source of truth for settings: code defaults equal conf/base, environments and --params
change only what they name, and list values survive the command line."""

from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from lstm_pipeline import settings
from lstm_pipeline.cli import parse_params, run, split_top_level
from lstm_pipeline.preflight import PARAMETER_MODELS
from tests.conftest import REPO


def load_parameters(env="base", runtime_params=None, conf=REPO / "conf") -> dict:
    loader = OmegaConfigLoader(
        str(conf),
        base_env="base",
        default_run_env=env,
        runtime_params=runtime_params,
        merge_strategy=settings.CONFIG_LOADER_ARGS["merge_strategy"],
        custom_resolvers=settings.CONFIG_LOADER_ARGS["custom_resolvers"],
    )
    return loader["parameters"]


def defaults_that_differ(model: type[BaseModel], conf: dict, path: str) -> list[str]:
    """Fields of ``model`` whose code default is not the conf/base value (recursively). A
    field conf/base leaves out takes the code default, its only source; a required field
    (it depends on the data, e.g. ``ingestion.timestamp``) has no code default to compare."""
    differ = []
    for name, field in model.model_fields.items():
        where = f"{path}.{name}"
        if name not in conf or field.is_required():
            continue
        annotation = field.annotation
        nested = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        if nested and isinstance(conf[name], dict):
            differ += defaults_that_differ(annotation, conf[name], where)
            continue
        default = field.get_default(call_default_factory=True)
        if default is PydanticUndefined:
            continue  # depends on the data: conf/base is the only place it is set
        if isinstance(default, BaseModel):
            # what conf/base's value means (e.g. windowing.stride: 1 is 1 for every split)
            default, value = default.model_dump(), getattr(model.model_validate(conf), name)
            value = value.model_dump() if isinstance(value, BaseModel) else value
        else:
            value = conf[name]
        if default != value:
            differ.append(f"{where}: code {default!r}, conf/base {conf[name]!r}")
    return differ


def test_every_parameter_model_default_equals_conf_base():
    base = load_parameters()
    differ = []
    for key, model in PARAMETER_MODELS.items():
        differ += defaults_that_differ(model, base[key], key)
    assert differ == []


def test_conf_base_is_valid_for_every_model():
    base = load_parameters()
    for key, model in PARAMETER_MODELS.items():
        model.model_validate(base[key])


def test_an_environment_changes_only_what_it_names(tmp_path):
    import shutil

    conf = tmp_path / "conf"
    shutil.copytree(REPO / "conf", conf)
    (conf / "short").mkdir()
    (conf / "short" / "parameters.yml").write_text("training:\n  epochs: 2\n")
    base, short = load_parameters(conf=conf), load_parameters("short", conf=conf)
    assert short["training"]["epochs"] == 2
    assert {k: v for k, v in short["training"].items() if k != "epochs"} == {
        k: v for k, v in base["training"].items() if k != "epochs"
    }
    assert short["training"]["schedule"] == "cosine"  # not the code's idea of a default


def test_params_change_only_what_they_name_under_any_environment():
    base = load_parameters()
    runtime = {"training": {"epochs": 3}, "windowing": {"tbptt": None}}
    long_sequence = load_parameters("long_sequence", {"training": {"epochs": 3}})
    assert long_sequence["training"]["epochs"] == 3
    assert long_sequence["training"]["min_learning_rate"] == 0.00005  # the environment's
    assert long_sequence["training"]["clip_norm"] == base["training"]["clip_norm"]
    assert long_sequence["windowing"]["targets"] == base["windowing"]["targets"]
    assert runtime  # the runtime dict itself is not consumed


def test_the_long_sequence_environment_holds_only_what_differs():
    for path in (REPO / "conf" / "long_sequence").glob("parameters*.yml"):
        assert len(path.read_text().splitlines()) <= 20, path


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("a=1,b=2", ["a=1", "b=2"]),
        ("t.sizes=[32,64],t.epochs=3", ["t.sizes=[32,64]", "t.epochs=3"]),
        ("u={a: 1, b: 2},x='p,q'", ["u={a: 1, b: 2}", "x='p,q'"]),
    ],
)
def test_commas_inside_brackets_and_quotes_do_not_split(text, items):
    assert split_top_level(text) == items


def test_the_project_run_command_parses_list_values():
    from kedro.framework.cli.utils import find_run_command

    assert find_run_command("lstm_pipeline") is run
    context = run.make_context(
        "run", ["--params", "training.auto_batch_sizes=[32,64],training.epochs=3"]
    )
    assert context.params["params"] == {"training": {"auto_batch_sizes": [32, 64], "epochs": 3}}


def test_a_params_item_without_a_value_is_refused():
    import click

    with pytest.raises(click.UsageError, match="expected key=value"):
        run.make_context("run", ["--params", "training.epochs"])
    assert parse_params(None, None, {"a": 1}) == {"a": 1}


def test_each_environment_writes_its_outputs_in_its_own_folder():
    """Raw inputs (raw_files, the prediction pipeline's new files) stay where they are."""

    def outputs(env: str, runtime_params=None) -> list[str]:
        loader = OmegaConfigLoader(
            str(REPO / "conf"),
            **{**settings.CONFIG_LOADER_ARGS, "default_run_env": env},
            runtime_params=runtime_params,
        )
        paths = [
            entry.get("filepath") or entry.get("path")
            for name, entry in loader["catalog"].items()
            if name not in ("raw_files", "prediction_raw_files") and not name.startswith("_")
        ]
        training = loader["parameters"]["training"]
        return [*paths, training["checkpoint_dir"], training["tensorboard_dir"]]

    default, long_sequence = outputs("local"), outputs("long_sequence")
    assert all(p.startswith("data/") and "long_sequence" not in p for p in default)
    assert all(p.startswith("data/long_sequence/") for p in long_sequence)
    assert sorted(p.removeprefix("data/long_sequence/") for p in long_sequence) == sorted(
        p.removeprefix("data/") for p in default
    )
    for path in long_sequence:  # every folder an environment uses is kept in git
        layer = Path(path.split("{")[0]).parts[:3]
        assert (REPO / Path(*layer) / ".gitkeep").is_file(), path
    # each UCR set in a folder of its own, whichever set --params names
    gun_point = outputs("ucr")
    arrow_head = outputs("ucr", {"ucr": {"dataset": "ArrowHead"}})
    assert sorted(p.removeprefix("data/ucr/GunPoint/") for p in gun_point) == sorted(
        p.removeprefix("data/") for p in default
    )
    assert [p.replace("/GunPoint/", "/ArrowHead/") for p in gun_point] == arrow_head
