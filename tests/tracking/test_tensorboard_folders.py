"""Each training run logs to a TensorBoard folder of its own; a resumed run to its own."""

from pathlib import Path

from lstm_pipeline.trainer.callbacks import tensorboard_run_folder


def test_a_fresh_run_gets_a_new_folder_and_a_resumed_run_the_newest_of_its_fingerprint(
    tmp_path,
):
    root = tmp_path / "tensorboard"
    first = tensorboard_run_folder(str(root), "abcdef0123456789", fresh=True)
    resumed = tensorboard_run_folder(str(root), "abcdef0123456789", fresh=False)
    retrain = tensorboard_run_folder(str(root), "abcdef0123456789", fresh=True)  # same settings
    other = tensorboard_run_folder(str(root), "9999999999999999", fresh=False)  # no folder yet
    resumed_retrain = tensorboard_run_folder(str(root), "abcdef0123456789", fresh=False)
    assert Path(first).parent == root and Path(first).name.endswith("-abcdef01")
    assert resumed == first
    assert retrain != first and Path(retrain).is_dir()
    assert resumed_retrain == retrain
    assert other not in (first, retrain) and Path(other).name.endswith("-99999999")
    assert len(list(root.iterdir())) == 3


def test_no_root_means_no_tensorboard():
    assert tensorboard_run_folder(None, "abcdef0123456789", fresh=True) is None
