"""repo_style=paddledetection: the answers give PaddleDetection's commands (fast: the config, the commands and the
files prepare.sh writes; no Paddle).

PaddleDetection's tools/*.py parse -o with argparse nargs='*', so a second -o would replace the first: every override
of a step (fixed ones in the command, and the ones the config's keys make) must follow one -o. Training starts from
the weights its --slim_config file names (QAT loads them before any -o applies), so prepare.sh writes a copy of that
file naming the mode's line-9 FP32 weights, and training gets the copy; evaluation and export load -o weights.
"""
import os
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
    assert commands[-1].endswith(f"--device=CPU --enable_mkldnn=True --cpu_threads=2 --model_dir={SAVE} --batch_size=1 "
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
