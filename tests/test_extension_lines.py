"""The optional extension lines 33-39 of the config: the accuracy step (line 34), the inference loops (lines
35-38, positional or named), their validation, and that a config without them runs as before.

No Paddle needed: ext_repo is the fake repo (fake_repo.py) plus a fake accuracy check script."""
import re
import shutil

import pytest

from fake_repo import (BASE_LINES, EXT_HEADER, LOG_DIR, PY, calls, config_lines, dry_run_lines, harness, results,
                       summary_counts, write_config)


def ext_lines(accuracy="accuracy_check:fake/accuracy.py --img-path=./imgs", loops=(), **changes):
    """The fake config, then the extension header, line 34 and the lines from 35 on (as given)."""
    lines = config_lines(**changes) + [EXT_HEADER]
    if accuracy is not None:
        lines.append(accuracy)
    return lines + list(loops)


LOOPS = ["--enable-mkldnn:True|False", "--cpu-threads:1|2", "--precision:fp32|int8", "--use-tensorrt:False|True"]


# ---------------------------------------------------------------- inference loops

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


# ---------------------------------------------------------------- the accuracy step

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


# ---------------------------------------------------------------- validation

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


# ---------------------------------------------------------------- named extension lines

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
