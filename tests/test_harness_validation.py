"""Bad configs and arguments: the harness and prepare.sh exit 2 with a message naming the file, line and what was
expected, and nothing runs (no log folder, no fake script called). Also: the reference config and the guide's
example config validate. The extension lines' checks are in test_extension_lines.py.

No Paddle needed: the configs point at the fake scripts of the fake repo (fake_repo.py)."""
import re
import subprocess
import sys

import pytest

from conftest import FIXTURES
from fake_repo import (BASE_LINES, CONFIG, HARNESS, MODE, PREPARE, PY, calls, config_lines, dry_run_lines, harness,
                       run, write_config)


def shifted_lines():
    lines = list(BASE_LINES)
    lines.insert(4, "--use-gpu:True")  # an extra line pushes everything below it down by one
    return lines


VALIDATION_CASES = {
    "31 lines": (BASE_LINES[:31], MODE, {}, r"fake\.txt: expected at least 32 lines .*found 31"),
    "line without colon": (config_lines(l7="--output-dir ./output/"), MODE, {},
                           r"fake\.txt:7: .*expected 'key:value', found '--output-dir \./output/'"),
    "unknown MODE": (BASE_LINES, "lite_train", {}, r"MODE argument: expected one of .*found 'lite_train'"),
    "unknown trainer": (config_lines(l13="trainer:pact_train|norm_train"), MODE, {},
                        r"fake\.txt:13: .*trainer 'norm_train' has no script line"),
    "line 14 not a listed trainer": (config_lines(l14="norm_train:fake/train.py"), MODE, {},
                                     r"fake\.txt:14: .*a trainer listed on line 13"),
    "shifted line": (shifted_lines(), MODE, {},
                     r"fake\.txt:10: line 10 should be .*\(`train_model_name:\.\.\.`\), found '--pretrained:null'"),
    "bad gpu_list entry": (config_lines(l4="gpu_list:-1|gpu0"), MODE, {}, r"fake\.txt:4: .*found entry 'gpu0'"),
    "mixed gpu_list entry": (config_lines(l4="gpu_list:-1|0,-1"), MODE, {}, r"fake\.txt:4: .*mixed entry '0,-1'"),
    "line 5 count": (config_lines(l4="gpu_list:-1|-1,-1|0", l5="--device:cpu|gpu"), MODE, {},
                     r"fake\.txt:5: .*one per gpu_list entry \(3\), found 2"),
    "missing train script": (config_lines(l14="pact_train:fake/nope.py --pact_quant"), MODE, {},
                             r"fake\.txt:14: .*'fake/nope\.py' to exist"),
    "missing infer script": (config_lines(l27="inference:fake/nope_infer.py"), MODE, {},
                             r"fake\.txt:27: .*'fake/nope_infer\.py' to exist"),
    "python not found": (config_lines(l3="python:no-such-python-3.99"), MODE, {},
                         r"fake\.txt:3: python command \(line 3\).*found 'no-such-python-3\.99'"),
    "model name with slash": (config_lines(l2="model_name:a/b"), MODE, {}, r"fake\.txt:2: .*found 'a/b'"),
    "unknown mode on line 6": (config_lines(l6="--epochs:lite_train_lite_infr=2"), MODE, {},
                               r"fake\.txt:6: .*found 'lite_train_lite_infr=2'"),
    "bad TIPC_DEVICES": (BASE_LINES, MODE, {"TIPC_DEVICES": "tpu"}, r"TIPC_DEVICES: expected cpu, gpu or all"),
}


@pytest.mark.parametrize("case", sorted(VALIDATION_CASES))
def test_harness_validates_before_running(fake_repo, case):
    lines, mode, env, message = VALIDATION_CASES[case]
    write_config(fake_repo, lines)
    proc = harness(fake_repo, mode=mode, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert re.search(message, proc.stderr), proc.stderr
    assert not (fake_repo / "log").exists()
    assert calls(fake_repo) == []


def test_harness_missing_config_file(fake_repo):
    proc = harness(fake_repo, config="test_tipc/configs/nope/missing.txt")
    assert proc.returncode == 2
    assert "test_tipc/configs/nope/missing.txt: cannot read the config file" in proc.stderr
    assert not (fake_repo / "log").exists()


def test_harness_needs_two_arguments(fake_repo):
    proc = run(fake_repo, HARNESS, CONFIG)
    assert proc.returncode == 2 and "usage:" in proc.stderr


@pytest.mark.parametrize("case", ["line without colon", "python not found", "unknown MODE"])
def test_prepare_validates_too(fake_repo, case):
    lines, mode, env, message = VALIDATION_CASES[case]
    write_config(fake_repo, lines)
    proc = run(fake_repo, PREPARE, CONFIG, mode, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert re.search(message, proc.stderr), proc.stderr
    assert not (fake_repo / "lite_data").exists() and not (fake_repo / "test_images" / "lite_data.tar").exists()


# ---------------------------------------------------------------- valid configs

def test_reference_config_is_valid_for_every_mode(baked_reference):
    config = "test_tipc/configs/mobilenet_v3_small/train_pact_infer_python.txt"
    assert len((baked_reference / config).read_text(encoding="utf-8").splitlines()) == 40  # 32 + extensions
    for mode in ("lite_train_lite_infer", "lite_train_whole_infer", "whole_train_whole_infer", "whole_infer"):
        proc = subprocess.run([sys.executable, "test_tipc/check_config.py", config, mode], cwd=baked_reference,
                              capture_output=True, text=True)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", ""), mode


def test_upstream_32_line_config_validates_and_plans_in_the_reference_repo(repo):
    """The guide's example config (line 3: this interpreter; line 5's key with its dashes, which upstream's
    config lacked) validates and gives the guide's commands."""
    lines = (FIXTURES / "upstream_train_pact_infer_python.txt").read_text(encoding="utf-8").splitlines()
    lines[2] = f"python:{sys.executable}"
    write_config(repo, lines, rel="test_tipc/configs/upstream/train_pact_infer_python.txt")
    proc = harness(repo, config="test_tipc/configs/upstream/train_pact_infer_python.txt",
                   env={"TIPC_DRY_RUN": "1", "TIPC_DEVICES": "gpu"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = "./log/mobilenet_v3_small/lite_train_lite_infer/pact_train_gpus_0"
    assert dry_run_lines(proc.stdout) == [
        f"env CUDA_VISIBLE_DEVICES=0 {PY} train.py --pact_quant --device=gpu --output-dir={log} --epochs=5 "
        "--batch-size=4 --data-path=./lite_data",
        f"env CUDA_VISIBLE_DEVICES=0 {PY} tools/export_model.py --model=mobilenet_v3_small "
        f"--pretrained={log}/latest.pdparams --save-inference-dir={log}",
        f"env CUDA_VISIBLE_DEVICES=0 {PY} deploy/inference_python/infer.py --use-gpu=True --model-dir={log} "
        "--batch-size=1 --img-path=./images/demo.jpg --benchmark=False",
        f"env CUDA_VISIBLE_DEVICES=0 {PY} deploy/inference_python/infer.py --use-gpu=False --model-dir={log} "
        "--batch-size=1 --img-path=./images/demo.jpg --benchmark=False"]
    assert "[skip] pact_train_gpus_0/eval: line 17 (eval) is null" in proc.stdout
