"""Running the chain (train, eval, export, infer) with the fake scripts of the fake repo (fake_repo.py): the
passing chain and its results log, failing steps, device entries and TIPC_DEVICES, dry runs, reruns and log
rotation, whole_infer, and signals. No Paddle needed."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

import tipc_checks
from conftest import popen_to_interrupt
from fake_repo import (BASE_LINES, CONFIG, HARNESS, LOG_DIR, MODE, PREPARE, PY, calls, config_lines, dry_run_lines,
                       harness, process_gone, results, run, summary_counts, write_config)


# ---------------------------------------------------------------- the passing chain

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


# ---------------------------------------------------------------- failing steps

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


# ---------------------------------------------------------------- device entries and TIPC_DEVICES

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


def path_without_nvidia_smi():
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                           if not os.path.exists(os.path.join(p, "nvidia-smi")))


def test_gpu_entry_without_cuda_fails_loudly(fake_repo):
    # No nvidia-smi on the PATH, so the CUDA check fails on any machine.
    write_config(fake_repo, config_lines(l4="gpu_list:-1|0", l5="--device:cpu|gpu"))
    proc = harness(fake_repo, env={"PATH": path_without_nvidia_smi()})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failed = [x for x in results(fake_repo) if x.startswith("Run failed")]
    assert len(failed) == 1
    assert failed[0].startswith(f"Run failed with command - env CUDA_VISIBLE_DEVICES=0 {PY} "
                                f"fake/train.py --pact_quant --device=gpu")
    assert "needs a CUDA GPU and a CUDA build of paddle" in proc.stdout and "TIPC_DEVICES=cpu" in proc.stdout
    assert {c["cuda"] for c in calls(fake_repo)} == {""}  # nothing ran for the GPU entry
    assert re.search(r"^SKIP .*pact_train_gpus_0/eval +\(GPU entry cannot run", proc.stdout, re.M)
    assert summary_counts(proc.stdout)[1] == 1
    assert "nvidia-smi not found" in proc.stdout


STAND_IN_CUDA_PADDLE = {
    "paddle/__init__.py": "from . import device\n",
    "paddle/device/__init__.py": "from . import cuda\n\ndef is_compiled_with_cuda():\n    return True\n",
    "paddle/device/cuda.py": "def device_count():\n    return 1\n",
}


def test_gpu_entry_after_a_multi_process_cpu_entry_runs_with_cuda(fake_repo, tmp_path):
    """The CUDA probe runs the config's python (line 3): with gpu_list -1,-1|0 the first step's command starts
    `env -u CUDA_VISIBLE_DEVICES <python>`, whose third word is no python. A stand-in nvidia-smi and a stand-in CUDA
    build of paddle (first on PYTHONPATH) make this machine a GPU machine for the probe."""
    bin_dir, site = tmp_path / "bin", tmp_path / "cuda paddle"
    bin_dir.mkdir()
    (bin_dir / "nvidia-smi").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    (bin_dir / "nvidia-smi").chmod(0o755)
    for rel, text in STAND_IN_CUDA_PADDLE.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text, encoding="utf-8")
    write_config(fake_repo, config_lines(l4="gpu_list:-1,-1|0", l5="--device:cpu|gpu"))
    proc = harness(fake_repo, env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(site)})
    assert "needs a CUDA GPU" not in proc.stdout, proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert any(c["cuda"] == "0" and c["script"] == "train.py" for c in calls(fake_repo))  # the GPU entry ran


# ---------------------------------------------------------------- dry runs

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


# ---------------------------------------------------------------- reruns and step logs

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


# ---------------------------------------------------------------- whole_infer

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


# ---------------------------------------------------------------- signals

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
