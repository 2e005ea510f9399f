"""The baked reference repo with real Paddle: its model, mode and config, and how to run prepare.sh, the harness
and other commands in it with this venv's python (`python` on the PATH, line 3 of the config)."""
import os
import subprocess
import sys
from pathlib import Path

from conftest import CONFIG_REL

MODEL = "mobilenet_v3_small"
MODE = "lite_train_lite_infer"
CONFIG = CONFIG_REL.format(name=MODEL)


def run(cmd, cwd, env=None, timeout=1200):
    full_env = dict(os.environ, **(env or {}))
    # the venv running pytest is the one with Paddle: make sure `python` in the config is that one
    full_env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + full_env["PATH"]
    return subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def harness(repo, config=CONFIG, mode=MODE, devices="cpu"):
    return run(["bash", "test_tipc/test_train_inference_python.sh", config, mode], repo, {"TIPC_DEVICES": devices})


def prepare(repo, config=CONFIG, mode=MODE):
    return run(["bash", "test_tipc/prepare.sh", config, mode], repo)
