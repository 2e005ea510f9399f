"""test_tipc/tipc_config.py, the one reader of the config: value rules, per-mode values, device entries, the
named extension lines (and the older positional ones), and the plan of steps the harness runs.

No Paddle, no bake: the module is imported from the template tree (it is copied into bakes unrendered).
"""
import shlex
import subprocess
import sys

import pytest

from conftest import FIXTURES, TIPC_DIR, load_tipc_config

MODE = "lite_train_lite_infer"
tc = load_tipc_config()

# The guide's example config (its section 2.2, the upstream MobileNetV3 Step6 config), with line 5's dash-less
# key fixed: that key never reached training upstream.
UPSTREAM_32 = (FIXTURES / "upstream_train_pact_infer_python.txt").read_text(encoding="utf-8").splitlines()
HEADER = tc.EXTENSION_HEADER


def write(tmp_path, lines):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def config(tmp_path, lines):
    return tc.load(str(write(tmp_path, lines)))[0]


# ---------------------------------------------------------------- one value

def test_per_mode_value_picks_the_mode():
    items = "lite_train_lite_infer=5|whole_train_whole_infer=90"
    assert tc.per_mode_value(items, MODE) == "5"
    assert tc.per_mode_value(items, "whole_train_whole_infer") == "90"
    assert tc.per_mode_value(items, "whole_infer") is None
    assert tc.per_mode_value("7", "whole_infer") == "7"
    assert tc.per_mode_value("null", MODE) == "null"
    weights = "lite_train_lite_infer=null|whole_train_whole_infer=./pre/fp32.pdparams"
    assert tc.per_mode_value(weights, "whole_train_whole_infer") == "./pre/fp32.pdparams"
    assert tc.per_mode_value(weights, MODE) == "null"
    # a plain value keeps its '=' and '|'
    assert tc.per_mode_value("./runs/lr=0.1", MODE) == "./runs/lr=0.1"
    assert tc.per_mode_value("cpu|gpu", MODE) == "cpu|gpu"
    command = "lite_train_lite_infer=a.py --x=1|whole_infer=a.py --compare-results=gt.json"
    assert tc.per_mode_value(command, MODE) == "a.py --x=1"
    assert tc.per_mode_value(command, "whole_infer") == "a.py --compare-results=gt.json"
    assert tc.per_mode_value(command, "whole_train_whole_infer") is None
    assert tc.per_mode_value("a.py --model=x --img-path=./v", MODE) == "a.py --model=x --img-path=./v"


def test_key_words_drop_null_and_empty():
    assert tc.key_words("--epochs", "2") == ["--epochs=2"]
    assert tc.key_words("-o Global.epochs", "2") == ["-o", "Global.epochs=2"]
    assert tc.key_words("--pretrained", "null") == []
    assert tc.key_words("null", "5") == []
    assert tc.key_words("--pretrained", "") == []
    assert tc.key_words("", "5") == []
    assert tc.key_words("--data-path", "./my data") == ["--data-path=./my data"]  # one word


@pytest.mark.parametrize("entry, kind, tag, env, nproc", [
    ("-1", "cpu", "cpu", ["env", "CUDA_VISIBLE_DEVICES="], 1),
    # launch reads an empty CUDA_VISIBLE_DEVICES as one GPU: multi-process CPU entries unset it
    ("-1,-1", "cpu", "cpu_x2", ["env", "-u", "CUDA_VISIBLE_DEVICES"], 2),
    ("-1,-1,-1", "cpu", "cpu_x3", ["env", "-u", "CUDA_VISIBLE_DEVICES"], 3),
    ("0", "gpu", "gpus_0", ["env", "CUDA_VISIBLE_DEVICES=0"], 1),
    ("0,1", "gpu", "gpus_0,1", ["env", "CUDA_VISIBLE_DEVICES=0,1"], 2),
])
def test_device_entries(entry, kind, tag, env, nproc):
    parsed = tc.DeviceEntry.parse(entry)
    assert (parsed.kind, parsed.tag, parsed.env(), parsed.nproc) == (kind, tag, env, nproc)


def test_launch_words():
    assert tc.DeviceEntry.parse("-1").launch("./x/launch_logs") == []
    assert tc.DeviceEntry.parse("0").launch("./x/launch_logs") == []
    assert tc.DeviceEntry.parse("-1,-1").launch("./x/launch_logs") == [
        "-m", "paddle.distributed.launch", "--log_dir=./x/launch_logs", "--nproc_per_node=2"]
    assert tc.DeviceEntry.parse("0,1").launch("./x y/launch_logs") == [
        "-m", "paddle.distributed.launch", "--log_dir=./x y/launch_logs", "--devices=0,1"]


def test_gpu_list_rejects_mixed_and_unknown_entries():
    assert tc.gpu_list_problem("-1|-1,-1|0|0,1") is None
    assert "mixed entry '0,-1'" in tc.gpu_list_problem("-1|0,-1")
    assert "found entry 'cpu'" in tc.gpu_list_problem("cpu")


def test_small_rules():
    assert tc.is_gpu_value("True") and tc.is_gpu_value("gpu") and tc.is_gpu_value("GPU")
    assert not tc.is_gpu_value("False") and not tc.is_gpu_value("1") and not tc.is_gpu_value("cpu")
    assert tc.infer_device_tag("True") == "gpu" and tc.infer_device_tag("False") == "cpu"
    assert tc.infer_device_tag(None) == "default" and tc.infer_device_tag("x y") == "x_y"
    assert tc.shell_word("./a,b/c=d") == "./a,b/c=d"
    assert tc.is_null("null") and tc.is_null("null --x") and not tc.is_null("nullx.py")


def test_key_and_command_rules():
    assert tc.key_problem("-o Global.epochs") is None
    assert tc.key_problem("--save-inference-dir") is None
    for bad in ("a:b", "a|b", "a=b", "a;b", "a$(b)", "a`b`", "a>b", "a\nb", " a", "a  b"):
        assert tc.key_problem(bad), bad
    assert tc.command_problem("tools/train.py -c configs/a.yaml -o Global.x=1,2 --m=a:b") is None
    for bad in ("", "python train.py", "--flag train.py", "a.py;b", "a.py & b", "a.py | b", "a.py `b`",
                "a.py $(b)", "a.py > b", "a.py < b", "a.py\nb"):
        assert tc.command_problem(bad), bad


# ---------------------------------------------------------------- extension lines: by name, or by old position

def test_named_extension_lines_in_any_order(tmp_path):
    c = config(tmp_path, UPSTREAM_32 + [HEADER, "fp32_pretrain:train.py --epochs=3",
                                        "cpu_threads:--cpu-threads:1|2", "accuracy_check:check.py --x=1"])
    assert not c.extension_problems
    assert c.loop("cpu_threads") == ("--cpu-threads", ["1", "2"])
    assert c.loop("enable_mkldnn") == (None, [None])
    assert c.value("accuracy_check", MODE) == "check.py --x=1"
    assert c.value("fp32_pretrain", "whole_train_whole_infer") == "train.py --epochs=3"
    assert c.where("fp32_pretrain") == "line 34" and c.where("accuracy_check") == "line 36"


def test_positional_extension_lines_read_like_named_ones(tmp_path):
    legacy = config(tmp_path, UPSTREAM_32 + [HEADER, "accuracy_check:check.py", "--enable-mkldnn:True|False",
                                             "--cpu-threads:2", "--precision:auto", "null:null",
                                             "fp32_pretrain:train.py"])
    named = config(tmp_path, UPSTREAM_32 + [HEADER, "accuracy_check:check.py",
                                            "enable_mkldnn:--enable-mkldnn:True|False", "cpu_threads:--cpu-threads:2",
                                            "precision:--precision:auto", "fp32_pretrain:train.py"])
    for c in (legacy, named):
        assert not c.extension_problems
        assert c.loop("enable_mkldnn") == ("--enable-mkldnn", ["True", "False"])
        assert c.loop("precision") == ("--precision", ["auto"])
        assert c.loop("use_tensorrt") == (None, [None])
        assert c.value("fp32_pretrain") == "train.py"


def test_duplicate_and_unknown_extension_lines_are_problems(tmp_path):
    c = config(tmp_path, UPSTREAM_32 + [HEADER, "precision:--precision:auto", "precision:--precision:fp32"])
    assert [n for n, _ in c.extension_problems] == [35] and "already has it on line 34" in c.extension_problems[0][1]
    c = config(tmp_path, UPSTREAM_32 + [HEADER, "accuracy_check:null", "null:null", "null:null", "null:null",
                                        "null:null", "fp32_pretrain:null", "--x:1"])
    assert [n for n, _ in c.extension_problems] == [40]


# ---------------------------------------------------------------- the plan

def plan(tmp_path, lines, mode=MODE, devices="all"):
    c = config(tmp_path, lines)
    planner = tc.Planner(c, mode)
    return planner, planner.plan(devices)


def test_upstream_32_line_config_plans_the_guide_chain(tmp_path):
    planner, steps = plan(tmp_path, UPSTREAM_32)
    assert [s.label for s in steps] == [f"pact_train_gpus_0/{step}" for step in (
        "train", "eval", "export", "int8", "infer_gpu_batchsize_1", "infer_cpu_batchsize_1")]
    train = steps[0]
    assert train.argv == ("env", "CUDA_VISIBLE_DEVICES=0", "python3.7", "train.py", "--pact_quant", "--device=gpu",
                          "--output-dir=./log/mobilenet_v3_small/lite_train_lite_infer/pact_train_gpus_0",
                          "--epochs=5", "--batch-size=4", "--data-path=./lite_data")  # --pretrained:null: left out
    assert train.check == "weights" and train.on_fail == "train failed"
    assert steps[1].skip == "line 17 (eval) is null"
    assert steps[2].check == "model" and steps[2].on_fail == "export failed"
    # the harness's own int8 step on the export (a GPU entry: TensorRT too), whose report the inference rows read
    save = "./log/mobilenet_v3_small/lite_train_lite_infer/pact_train_gpus_0"
    assert steps[3].argv == ("env", "CUDA_VISIBLE_DEVICES=0", "python3.7", f"{tc.TIPC_DIR}/int8_check.py", "check",
                             f"--model-dir={save}", "--images=./images/demo.jpg", "--data=./lite_data",
                             "--device=gpu", f"--report={save}_int8.json")
    assert steps[3].on_fail == "" and {s.int8_report for s in steps[4:]} == {f"{save}_int8.json"}
    assert planner.chains == [tc.Chain("", True)]


def test_tipc_devices_leaves_entries_out_with_a_reason(tmp_path):
    lines = list(UPSTREAM_32)
    lines[3], lines[4] = "gpu_list:-1|0", "--device:cpu|gpu"
    planner, steps = plan(tmp_path, lines, devices="cpu")
    assert planner.chains == [tc.Chain("", False), tc.Chain("entry 0 not selected (TIPC_DEVICES=cpu)", True)]
    assert steps[0].argv[:3] == ("env", "CUDA_VISIBLE_DEVICES=", "python3.7")
    assert "--device=cpu" in steps[0].argv


def test_plan_command_prints_bash_arrays(tmp_path):
    path = tmp_path / "c.txt"
    lines = list(UPSTREAM_32)
    lines[2] = f"python:{sys.executable}"
    lines[13] = "pact_train:nope.py --pact_quant"  # scripts are looked up from the cwd: run where none exist
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(TIPC_DIR / "tipc_config.py"), "plan", str(path), MODE],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2 and "'nope.py' to exist" in proc.stderr
    for script in ("nope.py", "train.py", "tools/export_model.py", "deploy/inference_python/infer.py",
                   "images/demo.jpg"):
        (tmp_path / script).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / script).write_text("", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(TIPC_DIR / "tipc_config.py"), "plan", str(path), MODE],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "\0S_LABEL[]\0\0S_LABEL[0]\0" in proc.stdout  # NUL-separated records, not shell code
    # The harness reads the records with common_func.sh's func_load_plan; a value that would be code to a shell
    # (an image path inside the data set prepare.sh makes) arrives as it is and runs nothing.
    lines[30] = "--img-path:./lite_data/$(touch PWNED) 'x\"y"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    script = (f'source {shlex.quote(str(TIPC_DIR / "common_func.sh"))} && func_load_plan plan {shlex.quote(str(path))} '
              f'{MODE} && printf "%s\\n" "${{#S_LABEL[@]}}" "${{S_ARGV_0[3]}}" "${{S_SKIP[1]}}" "${{S_ARGV_4[-2]}}"')
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    # train, eval, export, int8, 2 x infer
    assert out.stdout.splitlines() == ["6", "nope.py", "line 17 (eval) is null",
                                       "--img-path=./lite_data/$(touch PWNED) 'x\"y"]
    assert not (tmp_path / "PWNED").exists()


def test_a_suites_own_tipc_config_gets_one_message_that_says_what_it_is(tmp_path):
    """The suites' own train_infer_python.txt layout (trainer lines for every kind of training, AMP, ...) is not the
    PACT guide's: one message says so and how to make a PACT config, instead of one error per displaced line."""
    lines = ["=" * 27 + "train_params" + "=" * 27, "model_name:pphumanseg_lite", "python:python3.7", "gpu_list:0|0,1",
             "Global.use_gpu:null|null", "Global.auto_cast:null", "--iters:lite_train_lite_infer=20", "--save_dir:",
             "--batch_size:lite_train_lite_infer=2", "--model_path:null", "train_model_name:best_model/model.pdparams",
             "train_infer_img_dir:test.txt", "--profiler_options:null", "##", "trainer:pact_train", "norm_train:null",
             "pact_train:deploy/slim/quant/qat_train.py --config x.yml", "fpgm_train:null", "distill_train:null"]
    lines += ["null:null"] * (52 - len(lines))
    path = tmp_path / "train_pact_infer_python.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = tc.Checker(str(path), repo=False).run()
    assert len(errors) == 1, errors
    assert "this is a suite's own TIPC config (line 6 Global.auto_cast, line 13 --profiler_options" in errors[0]
    assert "model_name=pphumanseg_lite" in errors[0]
    lines[5] = lines[12] = lines[15] = lines[17] = lines[18] = "null:null"  # without those lines: read as the guide's
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not any("suite's own" in e for e in tc.Checker(str(path), repo=False).run())


def test_list_options_gather_every_override_of_a_step_into_one_list(tmp_path):
    """PaddleDetection-style overrides: `-o` takes a list (argparse nargs='*'), a second -o would replace the first,
    so the fixed overrides of the command and the ones the lines' keys make end up after one -o, in order; and
    evaluation loads the trained weights with its own key (eval_weights)."""
    lines = list(UPSTREAM_32)
    lines[4] = "-o use_gpu:True"
    lines[5] = "-o epoch:lite_train_lite_infer=1"
    lines[6] = "-o save_dir:./output/"
    lines[7] = "-o TrainReader.batch_size:lite_train_lite_infer=2"
    lines[8] = "-o pretrain_weights:null"
    lines[10] = "-o TrainDataset.dataset_dir:./lite_data"
    lines[13] = "pact_train:tools/train.py -c configs/picodet.yml --slim_config configs/slim/quant.yml -o worker_num=0"
    lines[16] = "eval:tools/eval.py -c configs/picodet.yml --slim_config configs/slim/quant.yml -o worker_num=0"
    lines += [HEADER, "list_options:-o", "eval_weights:-o weights"]
    _, steps = plan(tmp_path, lines)
    train, evaluation = steps[0].argv, steps[1].argv
    save = "./log/mobilenet_v3_small/lite_train_lite_infer/pact_train_gpus_0"
    assert train.count("-o") == 1 and train[train.index("-o"):] == (
        "-o", "worker_num=0", "use_gpu=True", f"save_dir={save}", "epoch=1", "TrainReader.batch_size=2",
        "TrainDataset.dataset_dir=./lite_data")
    assert evaluation.count("-o") == 1 and evaluation[evaluation.index("-o"):] == (
        "-o", "worker_num=0", "use_gpu=True",
        f"weights={save}/latest.pdparams",
        "TrainDataset.dataset_dir=./lite_data")
    assert tc.merge_list_options(["a", "-o", "x=1", "--flag", "-o", "y=2"], ["-o"]) == ["a", "-o", "x=1", "y=2",
                                                                                            "--flag"]


def test_a_benchmark_value_per_inference_device(tmp_path):
    """PaddleDetection's --run_benchmark=True crashes on the CPU: line 32 may hold a value per inference device."""
    lines = list(UPSTREAM_32)
    lines[3] = "gpu_list:-1|0"
    lines[31] = "--benchmark:cpu=False|gpu=True"
    _, steps = plan(tmp_path, lines)
    infer = {s.label: s.argv for s in steps if "/infer_" in s.label and s.argv}
    assert infer["pact_train_gpus_0/infer_gpu_batchsize_1"][-1] == "--benchmark=True"
    assert infer["pact_train_gpus_0/infer_cpu_batchsize_1"][-1] == "--benchmark=False"
    assert infer["pact_train_cpu/infer_cpu_batchsize_1"][-1] == "--benchmark=False"
    lines[31] = "--benchmark:cpu=False"  # no item for the GPU: its steps get no benchmark argument
    _, steps = plan(tmp_path, lines)
    assert not any(w.startswith("--benchmark") for s in steps if s.label.endswith("infer_gpu_batchsize_1")
                   for w in s.argv)
    for bad in ("cpu=False|tpu=True", "cpu=False|cpu=True", "cpu=|gpu=True"):
        lines[31] = f"--benchmark:{bad}"
        problems = tc.Checker(str(write(tmp_path, lines)), repo=False).run()
        assert any(":32: benchmark argument (line 32): " in p for p in problems), (bad, problems)


def test_export_subfolder_follows_the_config_file_the_export_reads_last(tmp_path):
    """PaddleDetection exports into <output_dir>/<base name of the config it read last>/ (the --slim_config
    file's, else -c's): the model check, the int8 step and inference look there, per export."""
    lines = list(UPSTREAM_32)
    lines[21] = "norm_export:tools/export_model.py -c configs/det.yml --slim_config configs/slim/qat.yml"
    lines += [HEADER, "export_subfolder:-c|--slim_config", "fp32_export:tools/export_model.py -c configs/det.yml"]
    lines[8] = "--pretrained:./pretrain_models/fp32.pdparams"
    _, steps = plan(tmp_path, lines)
    save = "./log/mobilenet_v3_small/lite_train_lite_infer/pact_train_gpus_0"
    by_label = {s.label.split("/")[1]: s for s in steps}
    assert by_label["export"].check_argv == ("model", f"{save}/qat")
    assert by_label["fp32_export"].check_argv == ("model", f"{save}_fp32/det")
    int8 = by_label["int8"].argv
    assert f"--model-dir={save}/qat" in int8 and f"--fp32-model-dir={save}_fp32/det" in int8
    assert f"--model-dir={save}/qat" in by_label["infer_cpu_batchsize_1"].argv
    lines[-2] = "export_subfolder:slim_config"
    problems = tc.Checker(str(write(tmp_path, lines)), repo=False).run()
    assert any("export_subfolder" in p and "expected option words starting with '-'" in p for p in problems)
