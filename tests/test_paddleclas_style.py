"""A PaddleClas-shaped repo gets a working TIPC PACT chain from the paddleclas answers alone.

The toy repo under fixtures/toy_repos/paddleclas_style/ is laid out and called like PaddleClas: tools/train.py,
tools/eval.py and tools/export_model.py take `-c ppcls/configs/slim/ToyNet_quantization.yaml -o Key.sub=value`,
the data is an image root plus a label list file (ImageNetDataset), the export sets Global.device from the YAML
file (gpu unless -o Global.device=cpu is given), and deploy/python/predict_cls.py runs from deploy/ with
configs/inference_cls.yaml and a label map relative to it, imports `ppcls` from PYTHONPATH and `auto_log` in
benchmark mode, and prints PaddleClas's `<file>:\tclass id(s): [...]` lines. The network is toy_core.py's tiny conv
net, trained with PaddleSlim's PACT quantization-aware training.

test_tipc/ is baked with only layout, repo_style, model_name, gpu_list and python answered, and copied into the
toy repo the way the README tells a contributor to. The fast tests check the config and the commands the harness
builds from it; the slow ones run prepare.sh and the real CPU chain: it passes as baked, and with one of the
PaddleClas lines of the config taken away (or the predictor or the auto_log shim broken) it fails with a message
that names what is missing.
"""
import importlib.util
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
NAME = "ToyNet"
CONFIG = CONFIG_REL.format(name=NAME)
LOG_DIR = f"log/{NAME}/{MODE}"
TOY_REPO = FIXTURES / "toy_repos" / "paddleclas_style"
# The tiny network and image loading the toy repos share; the toy's ppcls package imports it as ppcls.toy_core.
TOY_CORE = FIXTURES / "toy_repos" / "toy_core.py"
# Every answer that is not at its default: repo_style=paddleclas sets the PaddleClas keys, commands and paths.
ANSWERS = {"layout": "test_tipc_only", "repo_style": "paddleclas", "model_name": NAME, "gpu_list": "-1|-1,-1",
           "python": sys.executable}

YAML = "ppcls/configs/slim/ToyNet_quantization.yaml"
TRAIN = (f"tools/train.py -c {YAML} -o Arch.pretrained=False -o Global.eval_during_train=False"
         " -o DataLoader.Train.loader.num_workers=0 -o DataLoader.Train.loader.use_shared_memory=False"
         " -o Global.device=cpu -o Global.output_dir={save} -o Global.epochs=5 -o DataLoader.Train.sampler.batch_size=4"
         " -o DataLoader.Train.dataset.image_root=./lite_data"
         " -o DataLoader.Train.dataset.cls_label_path=./lite_data/train_list.txt")
EVAL = (f"tools/eval.py -c {YAML} -o Arch.pretrained=False -o DataLoader.Eval.loader.num_workers=0"
        " -o DataLoader.Eval.loader.use_shared_memory=False -o Global.device=cpu"
        " -o Global.pretrained_model={save}/latest -o DataLoader.Eval.dataset.image_root=./lite_data"
        " -o DataLoader.Eval.dataset.cls_label_path=./lite_data/val_list.txt")
# The harness's own int8 step on each export: the inference images, and the data set whose val_list.txt labels them.
INT8 = ("test_tipc/int8_check.py check --model-dir={save} --images=./lite_data/val --data=./lite_data --device=cpu "
        "--report={save}_int8.json")
EXPORT = (f"tools/export_model.py -c {YAML} -o Arch.pretrained=False -o Global.device=cpu"
          " -o Global.pretrained_model={save}/latest -o Global.save_inference_dir={save}")
INFER = ("python/predict_cls.py -c configs/inference_cls.yaml -o Global.use_gpu=False"
         " -o Global.inference_model_dir=../{save} -o Global.batch_size=1 -o Global.infer_imgs=../lite_data/val"
         " -o Global.benchmark=True")
# PaddleClas's prediction line, as deploy/python/predict_cls.py prints it with topk 1.
PREDICTION = re.compile(r"^(\.\./lite_data/val/\S+\.jpg):\tclass id\(s\): \[(\d+)\], score\(s\): \[([0-9.]+)\], "
                        r"label_name\(s\): \['(\d+)'\]$", re.M)
AUTOLOG_SECTIONS = ("Env info", "Paddle info", "Conf info", "Model info", "Data info", "Perf info")


def expected_commands():
    """The harness's commands for the two CPU entries of the bake, as the dry run and results_python.log show them."""
    python = tipc_checks.shell_word(sys.executable)
    one, two = f"{LOG_DIR}/pact_train_cpu", f"{LOG_DIR}/pact_train_cpu_x2"
    launch = f"-m paddle.distributed.launch --log_dir=./{two}/launch_logs --nproc_per_node=2"
    return [
        f"env CUDA_VISIBLE_DEVICES= {python} {TRAIN.format(save='./' + one)}",
        f"env CUDA_VISIBLE_DEVICES= {python} {EVAL.format(save='./' + one)}",
        f"env CUDA_VISIBLE_DEVICES= {python} {EXPORT.format(save='./' + one)}",
        f"env CUDA_VISIBLE_DEVICES= {python} {INT8.format(save='./' + one)}",
        f"cd deploy && env CUDA_VISIBLE_DEVICES= {python} {INFER.format(save=one)}",
        f"env -u CUDA_VISIBLE_DEVICES {python} {launch} {TRAIN.format(save='./' + two)}",
        f"env -u CUDA_VISIBLE_DEVICES {python} {EVAL.format(save='./' + two)}",
        f"env -u CUDA_VISIBLE_DEVICES {python} {EXPORT.format(save='./' + two)}",
        f"env -u CUDA_VISIBLE_DEVICES {python} {INT8.format(save='./' + two)}",
        f"cd deploy && env -u CUDA_VISIBLE_DEVICES {python} {INFER.format(save=two)}",
    ]


# ---------------------------------------------------------------- the toy checkout with the baked test_tipc/

@pytest.fixture(scope="module")
def baked(tmp_path_factory):
    """test_tipc/ baked from ANSWERS alone (read-only)."""
    scratch = tmp_path_factory.mktemp("bake")
    return Path(cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(scratch), extra_context=ANSWERS))


def toy_checkout(root, baked):
    """The toy repo copied to root (a path with a space), its model core put in, the baked test_tipc/ copied over."""
    shutil.copytree(TOY_REPO, root, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(TOY_CORE, root / "ppcls" / "toy_core.py")
    shutil.copytree(baked / "test_tipc", root / "test_tipc")
    return root


def run_bash(repo, *args, env=None, timeout=600):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("TIPC_", "TOY_"))}
    full_env.update(env or {})
    return subprocess.run(["bash", *args], cwd=repo, env=full_env, capture_output=True, text=True, timeout=timeout)


def run_chain(repo, config=CONFIG, env=None):
    return run_bash(repo, "test_tipc/test_train_inference_python.sh", config, MODE,
                    env={"TIPC_DEVICES": "cpu", **(env or {})})


def edit_config(repo, drop=(), replace=None, name="edited.txt"):
    """A copy of the baked config at the repo root: lines starting with a prefix in DROP removed, a line starting
    with a key of REPLACE replaced by its value."""
    replace = replace or {}
    lines = []
    for line in (repo / CONFIG).read_text(encoding="utf-8").splitlines():
        if any(line.startswith(prefix) for prefix in drop):
            continue
        lines.append(next((new for prefix, new in replace.items() if line.startswith(prefix)), line))
    (repo / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return name


def results(repo):
    return tipc_checks.read_results(repo / LOG_DIR)


# ---------------------------------------------------------------- fast: the config and the commands, no Paddle

def test_bake_gives_the_paddleclas_lines(baked):
    lines = (baked / CONFIG).read_text(encoding="utf-8").splitlines()
    assert lines[1:11] == [
        "model_name:ToyNet", f"python:{sys.executable}", "gpu_list:-1|-1,-1", "-o Global.device:cpu|cpu",
        "-o Global.epochs:lite_train_lite_infer=5|whole_train_whole_infer=2", "-o Global.output_dir:./output/",
        "-o DataLoader.Train.sampler.batch_size:lite_train_lite_infer=4|whole_train_whole_infer=32",
        "-o Global.pretrained_model:null", "train_model_name:latest",
        "-o DataLoader.Train.dataset.image_root:lite_train_lite_infer=./lite_data|lite_train_whole_infer=./lite_data|"
        "whole_train_whole_infer=./whole_data"]
    assert lines[26:32] == [
        "inference:python/predict_cls.py -c configs/inference_cls.yaml", "-o Global.use_gpu:False",
        "-o Global.batch_size:1", f"-o Global.inference_model_dir:./output/{NAME}_infer/",
        "-o Global.infer_imgs:./lite_data/val", "-o Global.benchmark:True"]
    extensions = dict(line.split(":", 1) for line in lines[33:])
    assert extensions["train_list"].startswith("-o DataLoader.Train.dataset.cls_label_path:lite_train_lite_infer=")
    assert extensions["eval_data_path"].startswith("-o DataLoader.Eval.dataset.image_root:")
    assert extensions["eval_list"].startswith("-o DataLoader.Eval.dataset.cls_label_path:")
    assert (extensions["export_device"], extensions["infer_workdir"]) == ("True", "deploy")


def test_checker_accepts_the_bake_and_the_dry_run_shows_paddleclas_commands(tmp_path, baked):
    repo = toy_checkout(tmp_path / "my checkout", baked)
    checked = subprocess.run([sys.executable, "test_tipc/check_config.py", CONFIG, MODE], cwd=repo,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    proc = run_bash(repo, "test_tipc/test_train_inference_python.sh", CONFIG, MODE,
                    env={"TIPC_DRY_RUN": "1", "TIPC_DEVICES": "cpu"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    commands = [line[len("[dry-run] "):] for line in proc.stdout.splitlines() if line.startswith("[dry-run] ")]
    assert commands == expected_commands()


@pytest.mark.paddle
def test_toy_scripts_import_ppcls_only_from_pythonpath(tmp_path, baked):
    """The toy's scripts do not put the repo root on sys.path themselves (PaddleClas's do): that the chain passes
    shows the harness puts it on PYTHONPATH, for the scripts under tools/ and for the predictor in deploy/."""
    repo = toy_checkout(tmp_path / "my checkout", baked)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for cwd, argv in ((repo, ["tools/train.py", "-c", YAML]),
                      (repo / "deploy", ["python/predict_cls.py", "-c", "configs/inference_cls.yaml"])):
        proc = subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True)
        assert proc.returncode == 1 and "No module named 'ppcls'" in proc.stderr, proc.stderr


def test_without_infer_workdir_the_harness_refuses_the_config(tmp_path, baked):
    """Line 27's python/predict_cls.py exists only below deploy/: without the infer_workdir line the harness stops
    before running anything, naming the script it looked for and where."""
    repo = toy_checkout(tmp_path / "my checkout", baked)
    config = edit_config(repo, drop=["infer_workdir:"])
    proc = run_chain(repo, config)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (f"{config}:27: inference script (line 27): expected the script 'python/predict_cls.py' to exist "
            f"relative to {repo}, found no such file") in proc.stderr
    assert not (repo / "log").exists()


# ---------------------------------------------------------------- slow: the real CPU chain

@pytest.fixture(scope="module")
def prepared(tmp_path_factory, baked):
    """The toy checkout after prepare.sh (read-only: copy before running the chain in it)."""
    repo = toy_checkout(tmp_path_factory.mktemp("prepared") / "my checkout", baked)
    proc = run_bash(repo, "test_tipc/prepare.sh", CONFIG, MODE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return repo


@pytest.fixture
def repo(tmp_path, prepared):
    return Path(shutil.copytree(prepared, tmp_path / "my checkout"))


@pytest.mark.slow
def test_baked_chain_passes_on_cpu_for_both_entries(repo):
    assert (repo / "lite_data/train_list.txt").is_file() and (repo / "lite_data/val_list.txt").is_file()
    proc = run_chain(repo)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    # PaddleClas's predictor (as the toy's) calls enable_mkldnn() only and reports precision fp32: its rows WARN
    assert proc.stdout.rstrip().splitlines()[-1] == (f"TIPC {MODE}: PASSED (10 steps, 2 with a warning: see the "
                                                     "WARN rows)")
    summary_rows = re.findall(r"^WARN +[0-9.]+s +\S+/infer_cpu_batchsize_1 .*\n +the int8 model ran without int8 "
                              r"kernels: it reports precision: fp32; that costs [0-9.]+x the int8 latency", proc.stdout,
                              re.M)
    assert len(summary_rows) == 2, proc.stdout[-4000:]
    rows = results(repo)
    assert rows and all(passed for passed, _ in rows), rows
    assert [command for _, command in rows] == expected_commands()
    images = len((repo / "lite_data/val_list.txt").read_text(encoding="utf-8").splitlines())
    for tag in ("cpu", "cpu_x2"):
        save = repo / LOG_DIR / f"pact_train_{tag}"
        assert (save / "latest.pdparams").is_file()
        assert "Slim: PACT quantization-aware network" in (repo / LOG_DIR / f"pact_train_{tag}_train.log").read_text()
        assert tipc_checks.check_quantized_model(save) == []
        log = (repo / LOG_DIR / f"pact_train_{tag}_infer_cpu_batchsize_1.log").read_text(encoding="utf-8")
        predictions = PREDICTION.findall(log)
        assert len(predictions) == images, log[-3000:]
        assert all(class_id == label and 0.0 <= float(score) <= 1.0 for _, class_id, score, label in predictions)
        for section in AUTOLOG_SECTIONS:
            assert f" {section} " in log, section
        assert " model_name: ToyNet" in log and f" data_num: {images}" in log and " runtime_device: cpu" in log
        assert not tipc_checks.check_int8_report(repo / LOG_DIR / f"pact_train_{tag}_int8.json")
    # the predictor's AutoLog report file (save_path ./auto_log.log, from deploy/) lands in the run's log folder
    assert (repo / LOG_DIR / "auto_log.log").is_file() and not (repo / "deploy" / "auto_log.log").exists()
    # -1,-1: two processes trained, each on its half of the data, under paddle.distributed.launch.
    for rank in (0, 1):
        worker = repo / LOG_DIR / f"pact_train_cpu_x2/launch_logs/workerlog.{rank}"
        assert f"train: rank {rank}/2, 8 of 16 images" in worker.read_text(encoding="utf-8")


@pytest.mark.slow
def test_int8_strict_fails_the_predictor_that_runs_the_int8_model_without_int8_kernels(repo):
    config = edit_config(repo, replace={
        "gpu_list:": "gpu_list:-1", "-o Global.device:": "-o Global.device:cpu",
        "-o Global.epochs:": "-o Global.epochs:lite_train_lite_infer=1|whole_train_whole_infer=2"})
    with open(repo / config, "a", encoding="utf-8") as f:
        f.write("int8_strict:True\n")
    proc = run_chain(repo, config)
    assert proc.returncode == 1, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "FAIL pact_train_cpu/infer_cpu_batchsize_1 (" in proc.stdout
    assert "PASS pact_train_cpu/int8 (" in proc.stdout  # the int8 step itself ran the export in int8
    log = (repo / LOG_DIR / "pact_train_cpu_infer_cpu_batchsize_1.log").read_text(encoding="utf-8")
    assert "TIPC: the int8 model ran without int8 kernels: it reports precision: fp32" in log
    assert log.rstrip().endswith("(config int8_strict:True)")


def cuda_paddle():
    proc = subprocess.run([sys.executable, "-c", "import paddle; print(paddle.device.is_compiled_with_cuda())"],
                          capture_output=True, text=True)
    return proc.stdout.strip().endswith("True")


# What one change does to the chain: (config lines dropped, config lines replaced, extra environment, shims
# removed, the step that fails, what its message says).
REMOVED = {
    "train_list line": (["train_list:"], {}, {}, False, "train",
                        "ImageNetDataset: label list file ./dataset/ILSVRC2012/train_list.txt "
                        "(DataLoader.Train.dataset.cls_label_path) does not exist"),
    "eval_list line": (["eval_list:"], {}, {}, False, "eval",
                       "ImageNetDataset: label list file ./dataset/ILSVRC2012/val_list.txt "
                       "(DataLoader.Eval.dataset.cls_label_path) does not exist"),
    "eval_data_path line": (["eval_data_path:"], {}, {}, False, "eval",
                            "ImageNetDataset: image root ./dataset/ILSVRC2012/ (DataLoader.Eval.dataset.image_root) "
                            "does not exist"),
    "export_device:False": ([], {"export_device:": "export_device:False"}, {}, False, "export",
                            "ValueError: The device should not be 'gpu', since PaddlePaddle is not compiled with CUDA"),
    # Without infer_workdir, line 27 must name the script from the repo root to get past the harness's check
    # (see test_without_infer_workdir_the_harness_refuses_the_config); the predictor then runs from the root,
    # where the paths in its config, relative to deploy/, lead nowhere.
    "infer_workdir line (line 27 from the root)": (
        ["infer_workdir:"],
        {"inference:": "inference:deploy/python/predict_cls.py -c deploy/configs/inference_cls.yaml"},
        {}, False, "infer_cpu_batchsize_1",
        "PostProcess.Topk.class_id_map_file: ../ppcls/utils/toy_label_list.txt not found relative to"),
    "prediction lines (silent predictor)": ([], {}, {"TOY_PREDICT_SILENT": "1"}, False, "infer_cpu_batchsize_1",
                                            "TIPC: the step exited 0 but printed 0 prediction line(s) for 16 image(s)"),
    "auto_log (test_tipc/py_shims removed)": ([], {}, {}, True, "infer_cpu_batchsize_1",
                                              "No module named 'auto_log'"),
}
STEP_SCRIPTS = {"train": "tools/train.py", "eval": "tools/eval.py", "export": "tools/export_model.py",
                "infer_cpu_batchsize_1": "predict_cls.py"}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(REMOVED))
def test_each_capability_removed_fails_naming_it(repo, case):
    """One PaddleClas line (or the predictor's output, or the auto_log shim) taken away at a time: the chain fails
    at the step that needs it, with a message naming what is missing, and every other step still passes.
    Only the -1 entry runs, with one epoch, to keep the runs short."""
    drop, replace, env, no_shims, step, message = REMOVED[case]
    if case.startswith("export_device") and cuda_paddle():
        pytest.skip("a CUDA build of Paddle accepts Global.device=gpu")
    if no_shims:
        if importlib.util.find_spec("auto_log") is not None:
            pytest.skip("an installed auto_log would stand in for the removed shim")
        shutil.rmtree(repo / "test_tipc" / "py_shims")
    config = edit_config(repo, drop=drop, replace={
        "gpu_list:": "gpu_list:-1", "-o Global.device:": "-o Global.device:cpu",
        "-o Global.epochs:": "-o Global.epochs:lite_train_lite_infer=1|whole_train_whole_infer=2", **replace})
    proc = run_chain(repo, config, env)
    out = proc.stdout
    assert proc.returncode == 1, out[-6000:] + proc.stderr[-2000:]
    assert out.rstrip().splitlines()[-1].startswith(f"TIPC {MODE}: FAILED (1 of ")
    assert f"FAIL pact_train_cpu/{step} (" in out, out[-6000:]
    assert message in out, out[-6000:]
    rows = results(repo)
    failed = [command for passed, command in rows if not passed]
    assert len(failed) == 1 and STEP_SCRIPTS[step] in failed[0], rows
