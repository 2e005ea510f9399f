"""repo_style=paddledetection: the answers give PaddleDetection's commands (fast: the config, the commands and the
files prepare.sh writes; no Paddle).

PaddleDetection's tools/*.py parse -o with argparse nargs='*', so a second -o would replace the first: every override
of a step (fixed ones in the command, and the ones the config's keys make) must follow one -o. Training starts from
the weights its --slim_config file names (QAT loads them before any -o applies), so prepare.sh writes a copy of that
file naming the mode's line-9 FP32 weights, and training gets the copy; evaluation and export load -o weights.
The slow tests run the chain on the toy PaddleDetection-shaped repo under fixtures/toy_repos/paddledetection/.
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
from conftest import CONFIG_REL, TEMPLATE_ROOT

MODE = "lite_train_lite_infer"
NAME = "picodet_s_320_coco_lcnet"
CONFIG = CONFIG_REL.format(name=NAME)
YML = f"configs/picodet/{NAME}.yml"
SLIM = "configs/slim/quant/yolov3_mobilenet_v3_qat.yml"
SAVE = f"./log/{NAME}/{MODE}/pact_train_cpu"
WEIGHTS = f"./pretrain_models/{NAME}_fp32.pdparams"


@pytest.fixture(scope="module")
def baked(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("bake")
    return Path(cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(scratch), extra_context={
        "layout": "test_tipc_only", "repo_style": "paddledetection", "model_name": NAME, "gpu_list": "-1",
        "python": sys.executable}))


@pytest.fixture
def checkout(tmp_path, baked):
    """Empty stand-ins for PaddleDetection's scripts and configs (the checker looks them up), the bake copied in."""
    repo = tmp_path / "det repo"
    for rel in ("tools/train.py", "tools/eval.py", "tools/export_model.py", "deploy/python/infer.py", YML):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text("", encoding="utf-8")
    (repo / SLIM).parent.mkdir(parents=True)
    (repo / SLIM).write_text("# QAT\npretrain_weights: https://example.invalid/w.pdparams\nslim: QAT\n",
                             encoding="utf-8")
    shutil.copytree(baked / "test_tipc", repo / "test_tipc")
    return repo


def test_dry_run_gives_one_o_list_per_step_and_the_slim_copy(checkout):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIPC_")}, "TIPC_DRY_RUN": "1"}
    proc = subprocess.run(["bash", "test_tipc/test_train_inference_python.sh", CONFIG, MODE], cwd=checkout,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    commands = [line[len("[dry-run] "):] for line in proc.stdout.splitlines() if line.startswith("[dry-run] ")]
    python = tipc_checks.shell_word(sys.executable)
    copy = f"./pretrain_models/{NAME}_fp32_yolov3_mobilenet_v3_qat.yml"
    assert commands[0] == (
        f"env CUDA_VISIBLE_DEVICES= {python} tools/train.py -c {YML} --slim_config {copy} -o worker_num=0 "
        f"num_classes=4 TrainDataset.image_dir=train log_iter=1 use_gpu=False save_dir={SAVE} epoch=1 "
        f"pretrain_weights={WEIGHTS} TrainReader.batch_size=2 TrainDataset.dataset_dir=./lite_data "
        "TrainDataset.anno_path=annotations/instances_train.json")
    assert f"--slim_config {SLIM} " in commands[1] and commands[1].count(" -o ") == 1
    assert commands[1].endswith(f"use_gpu=False weights={SAVE}/model_final.pdparams EvalDataset.dataset_dir="
                                "./lite_data EvalDataset.anno_path=annotations/instances_val.json")
    assert commands[2].count(" -o ") == 1 and commands[2].endswith(
        f"use_gpu=False weights={SAVE}/model_final.pdparams --output_dir={SAVE}")
    # the FP32 export of the line-9 weights, for the int8 step to compare with; without --slim_config
    assert commands[3].endswith(f"-o num_classes=4 TestDataset.dataset_dir=./lite_data TestDataset.anno_path="
                                f"annotations/instances_val.json use_gpu=False weights={WEIGHTS} "
                                f"--output_dir={SAVE}_fp32") and "--slim_config" not in commands[3]
    # each export writes into <output_dir>/<the config file it read last>/: the int8 step and inference look there
    assert f"--model-dir={SAVE}/yolov3_mobilenet_v3_qat --" in commands[4]
    assert f"--fp32-model-dir={SAVE}_fp32/{NAME} " in commands[4]
    assert commands[-1].endswith(f"--device=CPU --enable_mkldnn=True --cpu_threads=2 --model_dir={SAVE}/"
                                 "yolov3_mobilenet_v3_qat --batch_size=1 "
                                 f"--image_dir=./lite_data/val --run_benchmark=False "
                                 f"--output_dir=./log/{NAME}/{MODE}/pact_train_cpu_infer_cpu_mkldnn_True_threads_2_"
                                 "batchsize_1_results")


def test_start_yml_copy_names_the_line_9_weights(checkout):
    proc = subprocess.run([sys.executable, "test_tipc/tipc_config.py", "start-yml", CONFIG, MODE], cwd=checkout,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    copy = checkout / "pretrain_models" / f"{NAME}_fp32_yolov3_mobilenet_v3_qat.yml"
    assert copy.read_text(encoding="utf-8") == f"# QAT\npretrain_weights: {WEIGHTS}\nslim: QAT\n"
    assert f"training's start weights: ./pretrain_models/{NAME}_fp32_yolov3_mobilenet_v3_qat.yml" in proc.stdout


# ---------------------------------------------------------------- slow: the real chain on the toy PaddleDetection repo

TOY_REPO = Path(__file__).parent / "fixtures" / "toy_repos" / "paddledetection"
TOY = "toydet"
TOY_CONFIG = CONFIG_REL.format(name=TOY)
TOY_LOG = f"log/{TOY}/{MODE}"
INFER_LABEL = "infer_cpu_mkldnn_True_threads_2_batchsize_1"


def run_bash(repo, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIPC_")}
    return subprocess.run(["bash", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """The toy PaddleDetection-shaped repo (tiny real detector, -o nargs='*', QAT start weights from the slim yml),
    test_tipc/ baked from layout, repo_style, model_name, gpu_list and python alone and installed, prepare.sh, the
    chain (read-only)."""
    root = tmp_path_factory.mktemp("det run")
    bake = Path(cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(root / "bake"), extra_context={
        "layout": "test_tipc_only", "repo_style": "paddledetection", "model_name": TOY, "gpu_list": "-1",
        "python": sys.executable}))
    repo = root / "toy det repo"
    shutil.copytree(TOY_REPO, repo, ignore=shutil.ignore_patterns("__pycache__"))
    install = subprocess.run([sys.executable, str(bake / "test_tipc" / "install_tipc.py"), str(repo)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    prepare = run_bash(repo, "test_tipc/prepare.sh", TOY_CONFIG, MODE)
    assert prepare.returncode == 0, prepare.stdout + prepare.stderr
    return repo, prepare, run_bash(repo, "test_tipc/test_train_inference_python.sh", TOY_CONFIG, MODE)


def edited(repo, drop):
    lines = [line for line in (repo / TOY_CONFIG).read_text(encoding="utf-8").splitlines() if not line.startswith(drop)]
    (repo / "edited.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "edited.txt"


@pytest.mark.slow
@pytest.mark.paddle
def test_toy_detection_chain_passes_from_the_answers_alone(toy_run):
    repo, prepare, proc = toy_run
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "training's start weights: ./pretrain_models/toydet_fp32_yolov3_mobilenet_v3_qat.yml" in prepare.stdout
    assert "TIPC lite_train_lite_infer: PASSED (6 steps" in out
    # the predictor enables oneDNN without int8 kernels: its row says so
    assert any(line.startswith("WARN ") and INFER_LABEL in line for line in out.splitlines()), out
    # a drawn image per input image in the inference step's own folder, whatever the score threshold
    drawn = sorted(p.name for p in (repo / TOY_LOG / f"pact_train_cpu_{INFER_LABEL}_results").iterdir())
    assert drawn == sorted(p.name for p in (repo / "lite_data" / "val").iterdir()) and len(drawn) == 8
    # the int8 step ran the export with int8 kernels; evaluation's COCO AP line is in the summary
    assert re.search(r"pact_train_cpu: params 0\.\d+x FP32, \d+ ops in int8", out), out
    assert "pact_train_cpu: Average Precision  (AP) @[ IoU=0.50:0.95" in out


def test_without_list_options_the_checker_names_the_parser_that_drops_the_first_o(tmp_path):
    """ppdet's ArgsParser declares -o with nargs='*' and the store action: of two -o groups argparse keeps the
    last. The checker reads the parser's declaration from the scripts' imports and refuses before anything runs."""
    repo = tmp_path / "toy det repo"
    shutil.copytree(TOY_REPO, repo, ignore=shutil.ignore_patterns("__pycache__"))
    bake = Path(cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(tmp_path / "bake"), extra_context={
        "layout": "test_tipc_only", "repo_style": "paddledetection", "model_name": TOY, "gpu_list": "-1",
        "python": sys.executable}))
    shutil.copytree(bake / "test_tipc", repo / "test_tipc")
    proc = run_bash(repo, "test_tipc/test_train_inference_python.sh", edited(repo, "list_options:"), MODE)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    problems = [line for line in proc.stderr.splitlines() if "would be dropped" in line]
    # one message per command line the mode runs (train 14, eval 17, export 22, the fp32_export line)
    assert [line.split(":")[1] for line in problems] == ["14", "17", "22", "47"], proc.stderr
    assert ("-o is given 8 times in the pact_train_cpu/train command, but toydet/config.py:24 declares it with "
            "nargs='*' and no action='append': argparse keeps only the last -o, so worker_num, num_classes, "
            "TrainDataset.image_dir, log_iter, use_gpu, save_dir, epoch, pretrain_weights, TrainReader.batch_size, "
            "TrainDataset.dataset_dir would be dropped; add the extension line list_options:-o") in problems[0]
    assert not (repo / "log").exists()
    # the real parser does drop them: two -o groups reach the toy's ArgsParser as the last group only
    probe = subprocess.run([sys.executable, "-c", "import sys; sys.argv[1:] = ['-c', 'x', '-o', 'a=1', '-o', 'b=2'];"
                            "from toydet.config import ArgsParser; print(ArgsParser().parse_args().opt)"],
                           cwd=repo, capture_output=True, text=True)
    assert probe.stdout.strip() == "{'b': 2}", probe.stderr


@pytest.mark.slow
@pytest.mark.paddle
def test_without_start_weights_yml_training_reads_the_slim_url(toy_run):
    repo = toy_run[0]
    proc = run_bash(repo, "test_tipc/test_train_inference_python.sh", edited(repo, "start_weights_yml:"), MODE)
    assert proc.returncode == 1
    log = (repo / TOY_LOG / "pact_train_cpu_train.log").read_text(encoding="utf-8")
    assert "is a URL" in log, log[-2000:]
