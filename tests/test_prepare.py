"""test_tipc/prepare.sh in the fake repo (fake_repo.py): the lite_data tarball (extracted, rebuilt, refused when
corrupt), the data and weights the whole modes need, and the FP32 training of line 39 for
whole_train_whole_infer. No Paddle needed."""
import re
import shutil
import tarfile

import pytest

from fake_repo import (CONFIG, EXT_HEADER, MODE, PREPARE, add_fake_script, calls, config_lines, harness, run,
                       write_config)


# ---------------------------------------------------------------- the lite_data tarball

def make_tarball(path, marker="new"):
    src = path.parent / "src"
    for split in ("train", "val"):
        (src / "lite_data" / split / "0").mkdir(parents=True, exist_ok=True)
        (src / "lite_data" / split / "0" / "a.jpg").write_text(marker, encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as tar:
        tar.add(src / "lite_data", arcname="lite_data")
    shutil.rmtree(src)


def test_prepare_rejects_a_corrupt_tarball(fake_repo):
    (fake_repo / "test_images").mkdir(exist_ok=True)
    (fake_repo / "test_images" / "lite_data.tar").write_bytes(b"this is not a tar archive" * 100)
    (fake_repo / "lite_data" / "train").mkdir(parents=True)
    proc = run(fake_repo, PREPARE, CONFIG, MODE)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "test_images/lite_data.tar is not a readable tar archive" in proc.stderr
    assert "rm test_images/lite_data.tar" in proc.stderr
    assert (fake_repo / "lite_data" / "train").is_dir()  # the old data set was left alone
    assert not list(fake_repo.glob(".lite_data.extract.*"))


def test_prepare_extracts_an_existing_tarball_repeatably(fake_repo):
    make_tarball(fake_repo / "test_images" / "lite_data.tar")
    (fake_repo / "lite_data" / "stale").mkdir(parents=True)
    for _ in range(2):
        proc = run(fake_repo, PREPARE, CONFIG, MODE)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (fake_repo / "lite_data" / "train" / "0" / "a.jpg").read_text(encoding="utf-8") == "new"
        assert not (fake_repo / "lite_data" / "stale").exists()
        assert not list(fake_repo.glob(".lite_data.extract.*"))


def test_prepare_builds_a_missing_tarball_with_make_lite_data(fake_repo):
    # Stand-in builder: records its arguments and writes a small tarball where --output says.
    add_fake_script(fake_repo, "make_lite_data_builds.py", "test_tipc/make_lite_data.py")
    shutil.rmtree(fake_repo / "test_images", ignore_errors=True)
    proc = run(fake_repo, PREPARE, CONFIG, MODE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (fake_repo / "builder_args.txt").read_text() == "--output test_images/lite_data.tar"
    assert (fake_repo / "lite_data" / "val" / "0" / "a.jpg").read_text() == "built"
    (fake_repo / "builder_args.txt").unlink()
    proc = run(fake_repo, PREPARE, CONFIG, MODE)  # the tarball exists now: not rebuilt
    assert proc.returncode == 0 and not (fake_repo / "builder_args.txt").exists()


def test_prepare_with_the_real_make_lite_data(fake_repo):
    pytest.importorskip("PIL")
    pytest.importorskip("sklearn")
    shutil.rmtree(fake_repo / "test_images", ignore_errors=True)
    proc = run(fake_repo, PREPARE, CONFIG, MODE, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for split in ("train", "val"):
        assert list((fake_repo / "lite_data" / split).glob("*/*.jpg")), split


# ---------------------------------------------------------------- what the whole modes need

def test_prepare_whole_infer_needs_the_line_24_weights(fake_repo):
    proc = run(fake_repo, PREPARE, CONFIG, "whole_infer")
    assert proc.returncode == 1
    assert "fake.txt:24:" in proc.stderr and "./pretrain/fake.pdparams" in proc.stderr
    assert "nothing is downloaded" in proc.stderr


def test_prepare_whole_train_needs_the_line_11_data(fake_repo):
    write_config(fake_repo, config_lines(l11="--data-path:./full data"))
    proc = run(fake_repo, PREPARE, CONFIG, "whole_train_whole_infer")
    assert proc.returncode == 1
    assert "fake.txt:11:" in proc.stderr and "./full data" in proc.stderr


# ---------------------------------------------------------------- whole_train_whole_infer: line 9/11 per mode, line 39

WHOLE = "whole_train_whole_infer"


# whole_train_whole_infer with FP32 weights to start from (a path with a space) and its own data set
WHOLE_LINES = dict(l9="--pretrained:lite_train_lite_infer=null|whole_train_whole_infer=./pretrain/fp32 w.pdparams",
                   l11="--data-path:lite_train_lite_infer=./fake data|whole_train_whole_infer=./full data")


def whole_config(fake_repo, fp32_line):
    (fake_repo / "full data" / "train").mkdir(parents=True)
    lines = config_lines(**WHOLE_LINES) + [EXT_HEADER, "accuracy_check:null", "null:null", "null:null",
                                           "null:null", "null:null"]
    write_config(fake_repo, lines + ([fp32_line] if fp32_line else []))


def test_prepare_whole_train_trains_missing_fp32_weights_with_line_39(fake_repo):
    whole_config(fake_repo, "fp32_pretrain:fake/train.py --epochs=7")
    proc = run(fake_repo, PREPARE, CONFIG, WHOLE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert calls(fake_repo) == [{"script": "train.py", "argv": [
        "--epochs=7", "--device=cpu", "--output-dir=./pretrain/fp32 w_train", "--data-path=./full data"],
        "cuda": "", "rank": "0", "pid": calls(fake_repo)[0]["pid"]}]
    assert (fake_repo / "pretrain" / "fp32 w.pdparams").read_text() == "weights"
    assert "epoch 1 loss 1.0" in (fake_repo / "pretrain" / "fp32 w_train" / "train.log").read_text()
    assert "FP32 weights ready: ./pretrain/fp32 w.pdparams" in proc.stdout
    # existing weights are kept, and the chain starts from them on the whole data set
    proc = run(fake_repo, PREPARE, CONFIG, WHOLE)
    assert proc.returncode == 0 and "FP32 weights found" in proc.stdout and len(calls(fake_repo)) == 1
    proc = harness(fake_repo, mode=WHOLE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    train = [c["argv"] for c in calls(fake_repo) if c["script"] == "train.py"][1]
    assert train[-5:] == ["--output-dir=./log/fake_model/whole_train_whole_infer/pact_train_cpu", "--epochs=3",
                          "--pretrained=./pretrain/fp32 w.pdparams", "--batch-size=8", "--data-path=./full data"]


@pytest.mark.parametrize("fp32_line", [None, "fp32_pretrain:null", "fp32_pretrain:lite_train_lite_infer=fake/train.py"])
def test_prepare_whole_train_without_fp32_command_names_the_missing_weights(fake_repo, fp32_line):
    whole_config(fake_repo, fp32_line)
    proc = run(fake_repo, PREPARE, CONFIG, WHOLE)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    missing = (r"the config has no fp32_pretrain line" if fp32_line is None
               else r"line 39 \(fp32_pretrain\) gives no command")
    assert re.search(r"fake\.txt:9: the FP32 weights './pretrain/fp32 w\.pdparams' .* do not exist, and " + missing,
                     proc.stderr)
    assert calls(fake_repo) == []


def test_prepare_whole_train_fails_when_the_fp32_training_fails(fake_repo):
    whole_config(fake_repo, "fp32_pretrain:fake/fail.py")
    proc = run(fake_repo, PREPARE, CONFIG, WHOLE)
    assert proc.returncode == 1
    assert "the FP32 training (line 39) failed, see ./pretrain/fp32 w_train/train.log" in proc.stderr
    assert "boom" in (fake_repo / "pretrain" / "fp32 w_train" / "train.log").read_text()
    assert not (fake_repo / "pretrain" / "fp32 w.pdparams").exists()


def test_harness_hints_at_prepare_for_missing_fp32_weights(fake_repo):
    whole_config(fake_repo, None)
    proc = harness(fake_repo, mode=WHOLE)
    assert "HINT weights './pretrain/fp32 w.pdparams' (config line 9) not found: run bash" in proc.stdout
