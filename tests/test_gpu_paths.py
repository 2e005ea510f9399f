"""The GPU path, tested on machines without GPUs: the reference config's dry run, the nox GPU session's skips and
when it is a default session."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CONFIG_REL, TEMPLATE_ROOT

CONFIG = CONFIG_REL.format(name="mobilenet_v3_small")


def env_with_this_python(**extra):
    env = dict(os.environ, **extra)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env["PATH"]
    return env


def dry_run(repo, devices):
    proc = subprocess.run(["bash", "test_tipc/test_train_inference_python.sh", CONFIG, "lite_train_lite_infer"],
                          cwd=repo, env=env_with_this_python(TIPC_DRY_RUN="1", TIPC_DEVICES=devices),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [line[len("[dry-run] "):] for line in proc.stdout.splitlines() if line.startswith("[dry-run] ")]


def test_reference_dry_run_pins_the_gpu_commands(repo):
    commands = dry_run(repo, "gpu")
    single = [c for c in commands if re.search(r"pact_train_gpus_0(?=[/\s]|$)", c)]
    multi = [c for c in commands if "pact_train_gpus_0,1" in c]
    assert single and multi
    train_0 = next(c for c in single if "train.py --pact_quant" in c)
    assert train_0.startswith("env CUDA_VISIBLE_DEVICES=0 ")
    assert "paddle.distributed.launch" not in train_0 and "--device=gpu" in train_0
    train_01 = next(c for c in multi if "train.py --pact_quant" in c)
    assert train_01.startswith("env CUDA_VISIBLE_DEVICES=0,1 ")
    assert "-m paddle.distributed.launch" in train_01 and "--devices=0,1" in train_01
    assert all(c.startswith(("env CUDA_VISIBLE_DEVICES=0 ", "env CUDA_VISIBLE_DEVICES=0,1 ")) for c in commands)
    infer_gpu = [c for c in commands if "infer.py" in c and "--use-gpu=True" in c]
    assert len(infer_gpu) == 2 and all("--img-path=./images/demo.jpg" in c for c in infer_gpu)
    # extension lines 37-38: GPU inference loops TensorRT x precision (the reference: False x auto)
    assert all("--use-gpu=True --use-tensorrt=False --precision=auto " in c for c in infer_gpu)
    assert len([c for c in commands if "tools/check_accuracy.py" in c]) == 2
    # the harness's int8 step on each GPU entry's export: oneDNN int8 on the CPU, TensorRT int8 and FP32 on the GPU
    int8 = [c for c in commands if "test_tipc/int8_check.py check" in c]
    assert [c.split(" ", 2)[1] for c in int8] == ["CUDA_VISIBLE_DEVICES=0", "CUDA_VISIBLE_DEVICES=0,1"]
    assert all("--device=gpu" in c and "--images=./images/demo.jpg" in c for c in int8)
    assert not (repo / "log").exists(), "a dry run must not write logs"


def test_reference_dry_run_cpu_entries(repo):
    commands = dry_run(repo, "cpu")
    train = [c for c in commands if "train.py --pact_quant" in c]
    assert len(train) == 2
    assert train[0].startswith("env CUDA_VISIBLE_DEVICES= ") and "--device=cpu" in train[0]
    assert "--nproc_per_node=2" in train[1] and "paddle.distributed.launch" in train[1]
    assert not any("--use-gpu=True" in c for c in commands)
    # extension lines 35-37: CPU inference loops oneDNN x threads x precision; line 34: the accuracy check
    for tag in ("cpu", "cpu_x2"):
        save = f"./log/mobilenet_v3_small/lite_train_lite_infer/pact_train_{tag}"
        infer = [c for c in commands if "infer.py" in c and c.split("--model-dir=")[1].startswith(save + " ")]
        assert [c.split("infer.py ")[1].split(" --model-dir")[0] for c in infer] == [
            f"--use-gpu=False --enable-mkldnn={m} --cpu-threads=2 --precision=auto" for m in ("True", "False")]
        accuracy = [c for c in commands if "tools/check_accuracy.py" in c and c.endswith(f"--model-dir={save}")]
        assert accuracy == [f"{train[0 if tag == 'cpu' else 1].split(' python ')[0]} python tools/check_accuracy.py "
                            f"--model=mobilenet_v3_small --img-path=./lite_data/val "
                            f"--pretrained={save}/latest.pdparams --model-dir={save}"]


def run_nox(tmp_path, fake_nvidia_smi, *args):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if fake_nvidia_smi:
        tool = bin_dir / "nvidia-smi"
        tool.write_text("#!/bin/sh\necho 'GPU 0: Fake GPU'\n")
        tool.chmod(0o755)
    env = env_with_this_python()
    env["PATH"] = str(bin_dir) + os.pathsep + env["PATH"]
    if not fake_nvidia_smi:  # hide any real nvidia-smi so the test means the same everywhere
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                      if not (Path(p) / "nvidia-smi").exists())
    return subprocess.run([sys.executable, "-m", "nox", "-f", str(TEMPLATE_ROOT / "noxfile.py"), *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def run_gpu_session(tmp_path, fake_nvidia_smi):
    return run_nox(tmp_path, fake_nvidia_smi, "-s", "tipc_lite_gpu", "--no-venv")


@pytest.mark.parametrize("fake_nvidia_smi, mark", [(True, "*"), (False, "-")])
def test_nox_list_selects_the_gpu_session_only_with_nvidia_smi(tmp_path, fake_nvidia_smi, mark):
    """`nox -l` marks the sessions a bare `nox` runs with * and the others with -."""
    proc = run_nox(tmp_path, fake_nvidia_smi, "-l")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    marks = {}
    for line in proc.stdout.splitlines():
        if line.startswith(("* ", "- ")):
            marks[line[2:].split(" -> ")[0]] = line[0]
    assert marks.get("tipc_lite_gpu") == mark, proc.stdout
    assert {name: marks.get(name) for name in ("tipc_lite_cpu(paddle3)", "tests", "lint", "bench")} == {
        "tipc_lite_cpu(paddle3)": "*", "tests": "*", "lint": "*", "bench": "-"}, proc.stdout


def test_gpu_session_skips_without_nvidia_smi(tmp_path):
    proc = run_gpu_session(tmp_path, fake_nvidia_smi=False)
    assert proc.returncode == 0, proc.stderr
    assert "skipped: no CUDA GPU: nvidia-smi not found" in proc.stderr


@pytest.mark.paddle
def test_gpu_session_skips_with_a_cpu_build_of_paddle(tmp_path):
    proc = run_gpu_session(tmp_path, fake_nvidia_smi=True)
    assert proc.returncode == 0, proc.stderr
    assert "skipped: this Paddle is a CPU build" in proc.stderr
