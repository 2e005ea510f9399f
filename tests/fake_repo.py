"""The fake repo of the harness tests, and how to run the bash TIPC scripts in it and read what they did.

No Paddle needed: the fake repo is a private copy of the default bake (a path with a space) plus the fake step
scripts of fixtures/fake_scripts/ in fake/, the fake `paddle.distributed.launch` of fixtures/fake_paddle/, a fake
data set and image, and a config pointing at them (line 3 = this interpreter). The fake scripts append one JSON
line per call to calls.jsonl in the repo. The `fake_repo` and `ext_repo` fixtures (conftest.py) build it.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import tipc_checks

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FAKE_SCRIPTS = FIXTURES / "fake_scripts"
FAKE_PADDLE = FIXTURES / "fake_paddle"

HARNESS = "test_tipc/test_train_inference_python.sh"
PREPARE = "test_tipc/prepare.sh"
CONFIG = "test_tipc/configs/fake_model/fake.txt"
MODE = "lite_train_lite_infer"
LOG_DIR = Path("log/fake_model") / MODE
# Line 3 (this interpreter) as the harness writes it into the commands: shell-quoted when its path has a space.
PY = tipc_checks.shell_word(sys.executable)
EXT_HEADER = "===========================infer_benchmark_params==========================="

BASE_LINES = [
    "===========================train_params===========================",
    "model_name:fake_model",
    f"python:{sys.executable}",
    "gpu_list:-1",
    "--device:cpu",
    "--epochs:lite_train_lite_infer=2|whole_train_whole_infer=3",
    "--output-dir:./output/",
    "--batch-size:lite_train_lite_infer=4|whole_train_whole_infer=8",
    "--pretrained:null",
    "train_model_name:latest.pdparams",
    "--data-path:./fake data",
    "##",
    "trainer:pact_train",
    "pact_train:fake/train.py --pact_quant",
    "##",
    "===========================eval_params===========================",
    "eval:fake/train.py --test-only --pact_quant",
    "##",
    "===========================infer_params===========================",
    "--save-inference-dir:./output/fake_infer/",
    "--pretrained:",
    "norm_export:fake/export.py",
    "##",
    "train_model:./pretrain/fake.pdparams",
    "infer_export:fake/export.py",
    "##",
    "inference:fake/infer.py",
    "--use-gpu:True|False",
    "--batch-size:1|2",
    "--model-dir:./output/fake_infer/",
    "--img-path:./imgs/demo img.jpg",
    "--benchmark:True",
]


def config_lines(**changes):
    """BASE_LINES with line N replaced by changes["l<N>"] (1-based, as the guide numbers lines)."""
    lines = list(BASE_LINES)
    for name, text in changes.items():
        lines[int(name[1:]) - 1] = text
    return lines


def write_config(repo, lines, rel=CONFIG):
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rel


def add_fake_script(repo, name, dest=None):
    """Copy fixtures/fake_scripts/<name> into the repo, as fake/<name> unless dest (relative to the repo) says."""
    path = repo / (dest or f"fake/{name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FAKE_SCRIPTS / name, path)
    return path


def build_fake_repo(repo):
    """Turn a copy of the bake into the fake repo: fake scripts, fake launcher, data, image and the default config."""
    for name in ("record_call.py", "train.py", "export.py", "infer.py", "fail.py"):
        add_fake_script(repo, name)
    shutil.copytree(FAKE_PADDLE / "paddle", repo / "paddle", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "fake data" / "train").mkdir(parents=True)
    (repo / "imgs").mkdir()
    (repo / "imgs" / "demo img.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    write_config(repo, BASE_LINES)
    return repo


def run(repo, script, *args, env=None, timeout=120):
    """Run a TIPC script in the fake repo. The fake export writes no real model, so the harness's int8 step (which
    runs one with Paddle) is off unless ENV sets TIPC_INT8_CHECK."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TIPC_")}
    full_env["TIPC_INT8_CHECK"] = "0"
    full_env.update(env or {})
    return subprocess.run(["bash", script, *args], cwd=repo, env=full_env, capture_output=True, text=True,
                          timeout=timeout)


def harness(repo, config=CONFIG, mode=MODE, env=None):
    return run(repo, HARNESS, config, mode, env=env)


def calls(repo):
    path = repo / "calls.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def results(repo, log_dir=LOG_DIR):
    return (repo / log_dir / "results_python.log").read_text(encoding="utf-8").splitlines()


def summary_counts(stdout):
    match = re.search(r"^steps: (\d+) passed, (\d+) failed, (\d+) skipped$", stdout, re.M)
    assert match, stdout
    return tuple(int(g) for g in match.groups())


def dry_run_lines(stdout):
    return [line[len("[dry-run] "):] for line in stdout.splitlines() if line.startswith("[dry-run] ")]


def func(repo, *args):
    """Run one common_func.sh function on its own, as the style guide promises it can be."""
    proc = subprocess.run(["bash", "-c", 'source test_tipc/common_func.sh; "$@"', "_", *args], cwd=repo,
                          capture_output=True, text=True, timeout=30)
    return proc.returncode, proc.stdout


def process_gone(pid, timeout=10):
    """True once pid has exited (a zombie waiting for init to reap it counts as exited)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not os.path.isdir("/proc"):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.05)
            continue
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        except OSError:
            pass
        time.sleep(0.05)
    return False
