"""A PaddleSeg-shaped repo gets a working, verified TIPC PACT chain from the paddleseg answers alone.

The toy repo under fixtures/toy_repos/paddleseg/ is laid out and called like PaddleSeg: deploy/slim/quant/
qat_train.py, qat_val.py and qat_export.py take `--config test_tipc/configs/toyseg/toyseg.yml` and PaddleSeg's
argument names (`--iters`, `--save_dir`, `--model_path`, `--opts key=value ...` with argparse nargs='+'), the data is
a root plus `image label` list files, the export writes model.pdmodel and deploy.yaml, and deploy/python/infer.py
takes `--config <export>/deploy.yaml`, writes one mask PNG per image into --save_dir, prints nothing per image, and
enables oneDNN without int8 kernels while its benchmark report says `precision: int8` (as PaddleSeg's does). The
network is a tiny real conv net quantized with PaddleSlim's QAT.

test_tipc/ is baked with only layout, repo_style, model_name, gpu_list and python answered and installed with
install_tipc.py. The fast test checks the config and the commands; the slow ones run prepare.sh (a segmentation
set built from the digits) and the CPU chain: it passes, each inference step on its own export with its masks
counted, its row saying that the "int8" run had no int8 kernels; without the config's list_options line, or with a
predictor that writes no masks, it fails naming the cause.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

import tipc_checks
from conftest import CONFIG_REL, FIXTURES, TEMPLATE_ROOT

MODE = "lite_train_lite_infer"
NAME = "toyseg"
CONFIG = CONFIG_REL.format(name=NAME)
LOG_DIR = f"log/{NAME}/{MODE}"
TOY_REPO = FIXTURES / "toy_repos" / "paddleseg"
ANSWERS = {"layout": "test_tipc_only", "repo_style": "paddleseg", "model_name": NAME, "gpu_list": "-1",
           "python": sys.executable}
YML = f"test_tipc/configs/{NAME}/{NAME}.yml"
SAVE = f"./{LOG_DIR}/pact_train_cpu"
INFER_LABEL = "infer_cpu_mkldnn_True_threads_2_precision_int8_batchsize_1"


@pytest.fixture(scope="module")
def baked(tmp_path_factory):
    """test_tipc/ baked from ANSWERS alone (read-only)."""
    scratch = tmp_path_factory.mktemp("bake")
    return Path(cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(scratch), extra_context=ANSWERS))


def toy_checkout(root, baked):
    """The toy repo copied to ROOT (a path with a space), the bake installed the way the README says."""
    shutil.copytree(TOY_REPO, root, ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run([sys.executable, str(baked / "test_tipc" / "install_tipc.py"), str(root)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def run_bash(repo, *args, env=None, timeout=900):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TIPC_")}
    full_env.update(env or {})
    return subprocess.run(["bash", *args], cwd=repo, env=full_env, capture_output=True, text=True, timeout=timeout)


def edit_config(repo, drop=()):
    """A copy of the installed config at the repo root without the lines starting with a prefix in DROP."""
    lines = [line for line in (repo / CONFIG).read_text(encoding="utf-8").splitlines()
             if not line.startswith(tuple(drop))]
    (repo / "edited.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "edited.txt"


# ---------------------------------------------------------------- fast: the config and the commands, no Paddle

def test_dry_run_gives_paddleseg_commands(tmp_path, baked):
    repo = toy_checkout(tmp_path / "seg repo", baked)
    proc = run_bash(repo, "test_tipc/test_train_inference_python.sh", CONFIG, MODE, env={"TIPC_DRY_RUN": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    commands = [line[len("[dry-run] "):] for line in proc.stdout.splitlines() if line.startswith("[dry-run] ")]
    python = tipc_checks.shell_word(sys.executable)
    lists = ("train_dataset.dataset_root=./lite_data train_dataset.train_path=./lite_data/train_list.txt "
             "val_dataset.dataset_root=./lite_data val_dataset.val_path=./lite_data/val_list.txt")
    assert commands[0] == (
        f"env CUDA_VISIBLE_DEVICES= {python} deploy/slim/quant/qat_train.py --config {YML} --do_eval "
        f"--save_interval 500 --seed 100 --num_workers 0 --device=cpu --save_dir={SAVE} --iters=20 --batch_size=2 "
        f"--opts {lists}"), "one --opts list: a second --opts would replace the first"
    assert commands[1].endswith(f"--device=cpu --model_path={SAVE}/best_model/model.pdparams --opts "
                                "val_dataset.dataset_root=./lite_data val_dataset.val_path=./lite_data/val_list.txt")
    assert commands[2].endswith(f"qat_export.py --config {YML} --model_path={SAVE}/best_model/model.pdparams "
                                f"--save_dir={SAVE}")
    assert commands[-1] == (
        f"env CUDA_VISIBLE_DEVICES= {python} deploy/python/infer.py --device=cpu --enable_mkldnn=True "
        f"--cpu_threads=2 --precision=int8 --config={SAVE}/deploy.yaml --batch_size=1 --image_path=./lite_data/val "
        f"--benchmark=True --save_dir=./{LOG_DIR}/pact_train_cpu_{INFER_LABEL}_results")


# ---------------------------------------------------------------- slow: the real chain on CPU

@pytest.fixture(scope="module")
def passed_run(tmp_path_factory, baked):
    """prepare.sh and the chain, as baked (read-only)."""
    repo = toy_checkout(tmp_path_factory.mktemp("seg run") / "toy seg repo", baked)
    prepare = run_bash(repo, "test_tipc/prepare.sh", CONFIG, MODE)
    assert prepare.returncode == 0, prepare.stdout + prepare.stderr
    return repo, run_bash(repo, "test_tipc/test_train_inference_python.sh", CONFIG, MODE)


@pytest.mark.slow
@pytest.mark.paddle
def test_lite_chain_passes_and_says_the_int8_label_is_only_a_label(passed_run):
    repo, proc = passed_run
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "TIPC lite_train_lite_infer: PASSED (5 steps, 1 with a warning: see the WARN rows)" in out
    # prepare.sh built a segmentation set: images, label PNGs and the lists PaddleSeg reads
    first = (repo / "lite_data" / "train_list.txt").read_text(encoding="utf-8").splitlines()[0]
    assert first == "train/000.png train_labels/000.png"
    # each image of ./lite_data/val has its mask in the inference step's own folder
    masks = sorted(p.stem for p in (repo / LOG_DIR / f"pact_train_cpu_{INFER_LABEL}_results").glob("*.png"))
    assert masks == sorted(p.stem for p in (repo / "lite_data" / "val").glob("*.png")) and len(masks) == 8
    # the predictor's report says precision: int8, its inference time says no int8 kernels ran
    assert any(line.startswith("WARN ") and INFER_LABEL in line for line in out.splitlines()), out
    assert "it reports precision: int8, but its inference time" in out
    # the int8 step compared the int8 masks with the program run without int8 kernels, per pixel
    assert "class map agreement" in out
    # evaluation of the quantized model printed its mIoU
    assert "mIoU:" in (repo / LOG_DIR / "pact_train_cpu_eval.log").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.paddle
def test_without_list_options_the_second_opts_list_replaces_the_first(passed_run):
    """The scripts declare --opts with nargs='+' (argparse keeps the last list): the checker reads that declaration
    and refuses the config before anything runs, naming what would be dropped."""
    repo, _ = passed_run
    config = edit_config(repo, drop=("list_options:",))
    proc = run_bash(repo, "test_tipc/test_train_inference_python.sh", config, MODE)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert re.search(r"--opts is given 4 times in the pact_train_cpu/train command, but deploy/slim/quant/qat_train"
                     r"\.py:\d+ declares it with nargs='\+' and no action='append': argparse keeps only the last "
                     r"--opts, so train_dataset\.dataset_root, .* would be dropped", proc.stderr), proc.stderr
    # the parser does drop it: given two --opts lists, the toy's training sees the second only
    probe = subprocess.run([sys.executable, "-c", "import importlib.util, sys; sys.argv[1:] = ['--config', 'x.yml', "
                            "'--opts', 'a=1', '--opts', 'b=2']; spec = importlib.util.spec_from_file_location('q', "
                            "'deploy/slim/quant/qat_train.py'); q = importlib.util.module_from_spec(spec); "
                            "spec.loader.exec_module(q); print(q.parse_args().opts)"],
                           cwd=repo, capture_output=True, text=True)
    assert probe.stdout.strip() == "['b=2']", probe.stderr


@pytest.mark.slow
@pytest.mark.paddle
def test_a_predictor_that_writes_no_masks_fails(passed_run):
    repo, _ = passed_run
    infer = repo / "deploy" / "python" / "infer.py"
    original = infer.read_text(encoding="utf-8")
    try:
        # The predictor runs and exits 0 but saves nothing: PaddleSeg's --save_dir not honoured.
        infer.write_text(original.replace("import sys", "import sys\nsys.exit(0)", 1), encoding="utf-8")
        proc = run_bash(repo, "test_tipc/test_train_inference_python.sh", CONFIG, MODE)
    finally:
        infer.write_text(original, encoding="utf-8")
    assert proc.returncode == 1
    assert "wrote no result file into" in (repo / LOG_DIR / f"pact_train_cpu_{INFER_LABEL}.log").read_text(
        encoding="utf-8")
