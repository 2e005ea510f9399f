"""Onboarding a model that is not MobileNetV3: the prompts wire a test_tipc/ tree to the contributor's own
scripts, bad answers are refused before anything is generated, and the config checker explains a config line
by line.

The slow tests build two small but real Paddle model repos (a tiny conv net on the lite_data ImageFolder),
one with argparse arguments and one with PaddleClas-style `-c config.yaml -o Section.key=value` overrides,
add a test_tipc/ tree to each the way the README tells a contributor to, and run prepare + the CPU chain.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

import tipc_checks
from conftest import CONFIG_REL, FIXTURES, TEMPLATE_ROOT

TEMPLATE_DIR = TEMPLATE_ROOT / "{{cookiecutter.model_name}}"
MODE = "lite_train_lite_infer"

# ---------------------------------------------------------------- two small model repos

# Their files are under fixtures/toy_repos/<style>/ as they lie in the repo, except the model core both import,
# fixtures/toy_repos/toy_core.py, which copy_toy_repo puts where each style's scripts import it from.
TOY_REPOS_DIR = FIXTURES / "toy_repos"
TOY_CORE_AT = {"argparse": "tinycls.py", "config_style": "toycls/core.py"}

# argparse style: every script rejects arguments it does not know, so a wrong key fails its step.
ARGPARSE_ANSWERS = {
    "model_name": "tiny_digits",
    "__device_key": "--use_cuda", "__device_cpu_value": "False", "__device_gpu_value": "True",
    "__epochs_key": "--num_epochs", "__output_dir_key": "--save_dir", "__batch_size_key": "--bs",
    "__pretrained_key": "--init_weights", "__pretrained_value": "null", "__trained_weights_name": "final.pdparams",
    "__data_path_key": "--data_root", "__data_path": "./lite_data",
    "__train_command": "run_train.py --quant=pact", "__eval_command": "run_eval.py --quant=pact",
    "__save_inference_dir_key": "--out_dir", "__export_weights_key": "--weights",
    "__export_command": "export_static.py --quant=pact", "__inference_command": "predict.py",
    "__use_gpu_key": "--device_type", "__use_gpu_gpu_value": "gpu", "__use_gpu_cpu_value": "cpu",
    "__infer_batch_size_key": "--infer_bs", "__model_dir_key": "--model_path",
    "__img_path_key": "--image", "__img_path": "./lite_data/val", "__benchmark_key": "--bench",
    "__benchmark_value": "yes",
}

# PaddleClas style: every setting lives in a YAML file; -o overrides must name a key the file has.
CONFIG_STYLE_ANSWERS = {
    "model_name": "toy_clas_cfg",
    "__device_key": "-o Global.device", "__device_cpu_value": "cpu", "__device_gpu_value": "gpu",
    "__epochs_key": "-o Global.epochs", "__output_dir_key": "-o Global.output_dir",
    "__batch_size_key": "-o DataLoader.batch_size",
    "__pretrained_key": "-o Global.pretrained_model", "__pretrained_value": "null",
    "__trained_weights_name": "best_model.pdparams",
    "__data_path_key": "-o DataLoader.root", "__data_path": "./lite_data",
    "__train_command": "tools/train.py -c configs/toy_cls.yaml -o Quant.name=pact",
    "__eval_command": "tools/eval.py -c configs/toy_cls.yaml -o Quant.name=pact",
    "__save_inference_dir_key": "-o Global.save_inference_dir", "__export_weights_key": "-o Global.pretrained_model",
    "__export_command": "tools/export_model.py -c configs/toy_cls.yaml -o Quant.name=pact",
    "__inference_command": "deploy/predict.py -c deploy/inference.yaml",
    "__use_gpu_key": "-o Global.use_gpu", "__use_gpu_gpu_value": "True", "__use_gpu_cpu_value": "False",
    "__infer_batch_size_key": "-o Global.batch_size", "__model_dir_key": "-o Global.inference_model_dir",
    "__img_path_key": "-o Global.infer_imgs", "__img_path": "./lite_data/val/2",
    "__benchmark_key": "-o Global.benchmark", "__benchmark_value": "True",
}
TOY_REPOS = {"argparse": ARGPARSE_ANSWERS, "config_style": CONFIG_STYLE_ANSWERS}

# What each step's command must contain: the contributor's own keys with the values the harness sets.
SAVE = "./log/{name}/lite_train_lite_infer/pact_train_cpu"
EXPECTED_COMMANDS = {
    "argparse": [
        "run_train.py --quant=pact --use_cuda=False --save_dir={save} --num_epochs=5 --bs=4 --data_root=./lite_data",
        "run_eval.py --quant=pact --use_cuda=False --init_weights={save}/final.pdparams --data_root=./lite_data",
        "export_static.py --quant=pact --weights={save}/final.pdparams --out_dir={save}",
        "predict.py --device_type=cpu --model_path={save} --infer_bs=1 --image=./lite_data/val --bench=yes",
    ],
    "config_style": [
        "tools/train.py -c configs/toy_cls.yaml -o Quant.name=pact -o Global.device=cpu -o Global.output_dir={save}"
        " -o Global.epochs=5 -o DataLoader.batch_size=4 -o DataLoader.root=./lite_data",
        "tools/eval.py -c configs/toy_cls.yaml -o Quant.name=pact -o Global.device=cpu"
        " -o Global.pretrained_model={save}/best_model.pdparams -o DataLoader.root=./lite_data",
        "tools/export_model.py -c configs/toy_cls.yaml -o Quant.name=pact"
        " -o Global.pretrained_model={save}/best_model.pdparams -o Global.save_inference_dir={save}",
        "deploy/predict.py -c deploy/inference.yaml -o Global.use_gpu=False -o Global.inference_model_dir={save}"
        " -o Global.batch_size=1 -o Global.infer_imgs=./lite_data/val/2 -o Global.benchmark=True",
    ],
}


def copy_toy_repo(root, style):
    """The toy repo of this style, copied to root (created): its files and the model core."""
    shutil.copytree(TOY_REPOS_DIR / style, root, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(TOY_REPOS_DIR / "toy_core.py", root / TOY_CORE_AT[style])
    return root


def make_repo(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def add_test_tipc(checkout, answers, scratch):
    """What the README tells a contributor: bake test_tipc only into an empty folder, copy test_tipc/ over."""
    context = {"layout": "test_tipc_only", "python": sys.executable, "gpu_list": "-1", **answers}
    baked = Path(cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(scratch), extra_context=context))
    shutil.copytree(baked / "test_tipc", checkout / "test_tipc", dirs_exist_ok=True)
    return CONFIG_REL.format(name=answers["model_name"])


def run_bash(repo, *args, env=None, timeout=600):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TIPC_")}
    full_env.update(env or {})
    return subprocess.run(["bash", *args], cwd=repo, env=full_env, capture_output=True, text=True, timeout=timeout)


def results(repo, name):
    return (repo / "log" / name / MODE / "results_python.log").read_text(encoding="utf-8").splitlines()


# ---------------------------------------------------------------- answers reach the config and the commands

def bake(tmp_path, **answers):
    return Path(cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(tmp_path), extra_context=answers))


def test_every_prompt_has_readable_text():
    import json
    spec = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
    prompts = spec["__prompts__"]
    questions = [name for name in spec if not name.startswith("_")]
    # the questions asked, and the derived answers (settable as __name=value) the hook's messages name
    assert set(questions) <= set(prompts) <= set(spec)
    for name in prompts:
        text = prompts[name] if isinstance(prompts[name], str) else prompts[name]["__prompt__"]
        assert len(text) > 15 and "_" not in text.split()[0], (name, text)


def test_config_style_answers_fill_every_line(tmp_path):
    project = bake(tmp_path, layout="test_tipc_only", gpu_list="-1|-1,-1|0|0,1", **CONFIG_STYLE_ANSWERS)
    lines = (project / CONFIG_REL.format(name="toy_clas_cfg")).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 32
    assert lines[1:11] == [
        "model_name:toy_clas_cfg", "python:python", "gpu_list:-1|-1,-1|0|0,1", "-o Global.device:cpu|cpu|gpu|gpu",
        "-o Global.epochs:lite_train_lite_infer=5|whole_train_whole_infer=2", "-o Global.output_dir:./output/",
        "-o DataLoader.batch_size:lite_train_lite_infer=4|whole_train_whole_infer=32",
        "-o Global.pretrained_model:lite_train_lite_infer=null|lite_train_whole_infer=null|"
        "whole_train_whole_infer=./pretrain_models/toy_clas_cfg_fp32.pdparams",
        "train_model_name:best_model.pdparams",
        "-o DataLoader.root:lite_train_lite_infer=./lite_data|lite_train_whole_infer=./lite_data|"
        "whole_train_whole_infer=./whole_data"]
    assert lines[13] == "pact_train:tools/train.py -c configs/toy_cls.yaml -o Quant.name=pact"
    assert lines[16] == "eval:tools/eval.py -c configs/toy_cls.yaml -o Quant.name=pact"
    assert lines[19:22] == ["-o Global.save_inference_dir:./output/toy_clas_cfg_infer/", "-o Global.pretrained_model:",
                            "norm_export:tools/export_model.py -c configs/toy_cls.yaml -o Quant.name=pact"]
    assert lines[24] == lines[21].replace("norm_export:", "infer_export:")
    assert lines[26:] == [
        "inference:deploy/predict.py -c deploy/inference.yaml", "-o Global.use_gpu:True|False",
        "-o Global.batch_size:1", "-o Global.inference_model_dir:./output/toy_clas_cfg_infer/",
        "-o Global.infer_imgs:./lite_data/val/2", "-o Global.benchmark:True"]


@pytest.mark.parametrize("gpu_list, devices", [("-1", "False"), ("0", "True"), ("-1|0,1", "False|True"),
                                               ("0|-1,-1|1", "True|False|True")])
def test_device_values_follow_the_gpu_list(tmp_path, gpu_list, devices):
    project = bake(tmp_path, layout="test_tipc_only", gpu_list=gpu_list, **ARGPARSE_ANSWERS)
    lines = (project / CONFIG_REL.format(name="tiny_digits")).read_text(encoding="utf-8").splitlines()
    assert lines[3:5] == [f"gpu_list:{gpu_list}", f"--use_cuda:{devices}"]


@pytest.mark.parametrize("style", sorted(TOY_REPOS))
def test_dry_run_shows_the_contributor_keys(tmp_path, style):
    """Without Paddle: the commands the harness builds from a bake carry the contributor's keys."""
    answers = TOY_REPOS[style]
    repo = copy_toy_repo(tmp_path / "checkout with space", style)
    config = add_test_tipc(repo, answers, tmp_path / "bake")
    assert subprocess.run([sys.executable, "test_tipc/check_config.py", config, MODE], cwd=repo,
                          capture_output=True, text=True).returncode == 0
    proc = run_bash(repo, "test_tipc/test_train_inference_python.sh", config, MODE,
                    env={"TIPC_DRY_RUN": "1", "TIPC_DEVICES": "cpu"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    commands = [line[len("[dry-run] "):] for line in proc.stdout.splitlines() if line.startswith("[dry-run] ")]
    save = SAVE.format(name=answers["model_name"])
    steps = [command.format(save=save) for command in EXPECTED_COMMANDS[style]]
    # the harness's own int8 step, on the export, with the inference images and the mode's data set
    steps.insert(3, f"test_tipc/int8_check.py check --model-dir={save} --images={answers['__img_path']} "
                    f"--data={answers['__data_path']} --device=cpu --report={save}_int8.json")
    expected = [f"env CUDA_VISIBLE_DEVICES= {tipc_checks.shell_word(sys.executable)} {step}" for step in steps]
    assert commands == expected


# ---------------------------------------------------------------- answers refused before anything exists

INVALID_ANSWERS = {
    # name: (answers, the prompt named in the message, what the message says)
    "model name with a space": ({"model_name": "my model"}, "model_name", "expected a name of letters, digits"),
    "model name with ';'": ({"model_name": "model;rm"}, "model_name", "expected a name of letters, digits"),
    "key with ':'": ({"__epochs_key": "-o Global.epochs:5"}, "__epochs_key", "contains ':', which ends the key"),
    "key with '|'": ({"__device_key": "--device|--place"}, "__device_key", "contains '|', which separates alternative"),
    "key with '='": ({"__batch_size_key": "--bs=4"}, "__batch_size_key", "contains '='"),
    "key with ';'": ({"__img_path_key": "--img;touch pwned"}, "__img_path_key", "contains ';'"),
    "key with $(": ({"__model_dir_key": "--model-dir$(id)"}, "__model_dir_key", "contains '$', '(', ')'"),
    "key with a backtick": ({"__benchmark_key": "--bench`id`"}, "__benchmark_key", "contains '`'"),
    "key with a newline": ({"__output_dir_key": "--out\n--x"}, "__output_dir_key", "contains a newline"),
    "empty key": ({"__data_path_key": ""}, "__data_path_key", "is empty"),
    "null where the harness needs the key": ({"__export_weights_key": "null"}, "__export_weights_key",
                                             "null is not possible here"),
    "empty train command": ({"__train_command": ""}, "__train_command", "is empty"),
    "blank export command": ({"__export_command": "   "}, "__export_command", "is empty"),
    "null inference command": ({"__inference_command": "null"}, "__inference_command", "null is not possible here"),
    "command with ';'": ({"__train_command": "train.py; rm -rf ~"}, "__train_command", "contains ';', '~'"),
    "command with &&": ({"__eval_command": "eval.py && echo hi"}, "__eval_command", "contains '&'"),
    "command with a pipe": ({"__export_command": "export.py | tee log"}, "__export_command", "contains '|'"),
    "command with a backtick": ({"__inference_command": "infer.py `id`"}, "__inference_command", "contains '`'"),
    "command with $(": ({"__train_command": "train.py --name=$(id)"}, "__train_command", "contains '$', '(', ')'"),
    "command with >": ({"__export_command": "export.py > out.txt"}, "__export_command", "contains '>'"),
    "command with <": ({"__inference_command": "infer.py < in.txt"}, "__inference_command", "contains '<'"),
    "command with a newline": ({"__train_command": "train.py\nrm -rf x"}, "__train_command", "contains a newline"),
    "command starting with python": ({"__train_command": "python3 train.py --pact_quant"}, "__train_command",
                                     "leave the python command out"),
    "value with '|'": ({"__data_path": "./a|./b"}, "__data_path", "contains '|' or a line break"),
    "empty value": ({"__img_path": ""}, "__img_path", "the answer is empty"),
    "gpu_list that is not device entries": ({"gpu_list": "gpu0"}, "gpu_list", "is not a list of device entries"),
    "GPU inference value the harness cannot tell": ({"__use_gpu_gpu_value": "1"}, "__use_gpu_gpu_value",
                                                    "enter True or gpu"),
    "python with a shell metacharacter": ({"python": "python3;id"}, "python", "contains shell metacharacters"),
}
WHAT_TO_ENTER = re.compile(r"(enter|Enter|use) ")


@pytest.mark.parametrize("case", sorted(INVALID_ANSWERS))
def test_invalid_answer_is_refused_and_leaves_nothing(tmp_path, capfd, case):
    answers, prompt, message = INVALID_ANSWERS[case]
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(tmp_path),
                     extra_context={"layout": "test_tipc_only", **answers})
    err = capfd.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith(f"ERROR: {prompt}")]
    assert problems, err
    assert message in problems[0], problems[0]
    assert WHAT_TO_ENTER.search(problems[0]), problems[0]
    assert list(tmp_path.iterdir()) == []


def test_test_tipc_only_bake_refuses_an_existing_checkout(tmp_path, capfd):
    checkout = make_repo(tmp_path / "tiny_digits", {"train.py": "print('mine')\n", "deploy/infer.py": "# mine\n"})
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(tmp_path), overwrite_if_exists=True,
                     extra_context={"layout": "test_tipc_only", "model_name": "tiny_digits"})
    err = capfd.readouterr().err
    assert "already exists and holds deploy, train.py" in err and "cp -r" in err, err
    assert (checkout / "train.py").read_text() == "print('mine')\n"
    assert sorted(p.name for p in checkout.iterdir()) == ["deploy", "train.py"]


# ---------------------------------------------------------------- the config checker, for a person

def checker(repo, *args):
    return subprocess.run([sys.executable, "test_tipc/check_config.py", *args], cwd=repo, capture_output=True,
                          text=True)


def test_checker_names_a_line_deleted_in_the_middle(repo):
    config = CONFIG_REL.format(name="mobilenet_v3_small")
    lines = (repo / config).read_text(encoding="utf-8").splitlines()[:32]  # the guide's 32 lines
    del lines[6]  # line 7, the output directory argument
    (repo / "shifted.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = checker(repo, "shifted.txt", MODE)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "shifted.txt: expected at least 32 lines" in proc.stderr
    first = [line for line in proc.stderr.splitlines() if line.startswith("shifted.txt:7: ")]
    assert first == [
        "shifted.txt:7: line 7 should be the training output directory argument, found "
        "'--batch-size:lite_train_lite_infer=4|whole_train_whole_infer=32', which is what belongs on line 8 "
        "(training batch size argument (per mode)): 1 line is missing between line 4 and line 7 (the guide has "
        "3 lines there: 5 device argument and its value per gpu_list entry; 6 epochs argument (per mode); "
        "7 training output directory argument, this file 2); every line from 7 on is 1 line too high. "
        "`python3 test_tipc/check_config.py --explain shifted.txt` shows the guide's lines next to this file"]
    assert ("shifted.txt:10: line 10 should be the file name of the weights training saves "
            "(`train_model_name:...`), found '--data-path:lite_train_lite_infer=./lite_data|") in proc.stderr


def test_checker_names_an_extra_line(repo):
    config = CONFIG_REL.format(name="mobilenet_v3_small")
    lines = (repo / config).read_text(encoding="utf-8").splitlines()
    lines.insert(12, "--lr:0.1")  # after line 12, the separator
    (repo / "extra.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = checker(repo, "extra.txt")
    assert proc.returncode == 2
    assert re.search(r"^extra\.txt:13: line 13 should be the list of trainers, found '--lr:0\.1', which the guide "
                     r"does not have here: there is 1 extra line between line 10 and line 14 \(the guide has 2 lines "
                     r"there: 11 data set path argument \(per mode\); 12 separator, this file 3\); every line from 14 "
                     r"on is 1 line too low", proc.stderr, re.M), proc.stderr


def test_checker_rejects_keys_and_commands_the_shell_would_run(repo):
    config = CONFIG_REL.format(name="mobilenet_v3_small")
    lines = (repo / config).read_text(encoding="utf-8").splitlines()
    lines[5] = "--epochs;touch pwned:lite_train_lite_infer=1"
    lines[16] = "eval:train.py --test-only > eval.txt"
    (repo / "bad.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = checker(repo, "bad.txt", MODE)
    assert proc.returncode == 2
    assert re.search(r"^bad\.txt:6: epochs argument \(per mode\) \(line 6\): the key '--epochs;touch pwned' "
                     r"contains ';'", proc.stderr, re.M), proc.stderr
    assert re.search(r"^bad\.txt:17: evaluation script \(line 17\): 'train\.py --test-only > eval\.txt' contains '>'",
                     proc.stderr, re.M), proc.stderr


def test_checker_explain_prints_the_guide_table_with_this_config(repo):
    config = CONFIG_REL.format(name="mobilenet_v3_small")
    proc = checker(repo, "--explain", config)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "line  6: epochs argument (per mode) [guide: 迭代的epoch数目]" in out
    assert "this config: --epochs:lite_train_lite_infer=5|whole_train_whole_infer=2" in out
    assert "line 31: image path argument [guide: 图片路径或者图片文件夹路径]" in out
    assert "0 problems." in out and "TIPC_DRY_RUN=1 bash test_tipc/test_train_inference_python.sh" in out
    assert "!!" not in out
    lines = (repo / config).read_text(encoding="utf-8").splitlines()
    lines[13] = "pact_train:nope.py"
    (repo / "bad.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = checker(repo, "--explain", "bad.txt")
    assert proc.returncode == 2
    assert re.search(r"^!! line 14: training script.*\n.*this config: pact_train:nope\.py\n.*\n"
                     r"\s+PROBLEM: .*'nope\.py' to exist", proc.stdout, re.M), proc.stdout


# ---------------------------------------------------------------- generated docs for the contributor's model

@pytest.mark.parametrize("style", sorted(TOY_REPOS))
def test_docs_show_the_contributor_commands(tmp_path, style):
    answers = TOY_REPOS[style]
    project = bake(tmp_path, layout="test_tipc_only", gpu_list="-1|0", **answers)
    name = answers["model_name"]
    docs = ["test_tipc/README.md", "test_tipc/README_en.md", "test_tipc/docs/test_train_pact_inference_python.md",
            "test_tipc/docs/test_train_pact_inference_python_en.md"]
    for rel in docs:
        text = (project / rel).read_text(encoding="utf-8")
        assert "{{" not in text and "{%" not in text, rel
        assert f"test_tipc/configs/{name}/train_pact_infer_python.txt" in text, rel
        assert answers["__train_command"] in text, rel
        for reference_only in ("deploy/inference_python/infer.py", "mobilenet", "--pact_quant --model=",
                               "--enable-mkldnn=True"):
            assert reference_only not in text, (rel, reference_only)
    for rel in docs[2:]:
        text = (project / rel).read_text(encoding="utf-8")
        save = SAVE.format(name=name)
        for command in EXPECTED_COMMANDS[style]:
            assert command.format(save=save) in text, (rel, command)
        for key in ("__epochs_key", "__output_dir_key", "__model_dir_key", "__img_path_key"):
            assert f"`{answers[key]}`" in text, (rel, key)


def test_reference_docs_keep_the_reference_details(baked_reference):
    text = (baked_reference / "test_tipc/docs/test_train_pact_inference_python_en.md").read_text(encoding="utf-8")
    assert "deploy/inference_python/infer.py --use-gpu=False" in text
    assert "PaddleSlim" in text and "oneDNN" in text


# ---------------------------------------------------------------- the real CPU chain of each toy repo

@pytest.mark.slow
@pytest.mark.parametrize("style", sorted(TOY_REPOS))
def test_toy_repo_chain_passes_on_cpu(tmp_path, style):
    answers = TOY_REPOS[style]
    name = answers["model_name"]
    repo = copy_toy_repo(tmp_path / "my checkout", style)
    config = add_test_tipc(repo, answers, tmp_path / "bake")
    prepared = run_bash(repo, "test_tipc/prepare.sh", config, MODE)
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    proc = run_bash(repo, "test_tipc/test_train_inference_python.sh", config, MODE, env={"TIPC_DEVICES": "cpu"})
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    # the toy predictor prints no precision, so its row cannot claim int8: WARN, with the int8 step's cost
    assert proc.stdout.rstrip().splitlines()[-1] == (f"TIPC {MODE}: PASSED (5 steps, 1 with a warning: see the "
                                                     "WARN rows)")
    assert re.search(r"^WARN .*pact_train_cpu/infer_cpu_batchsize_1 .*\n +the int8 model ran without int8 kernels: "
                     r"its log does not say it ran int8", proc.stdout, re.M), proc.stdout[-3000:]
    lines = results(repo, name)
    assert lines and all(line.startswith("Run successfully with command - ") for line in lines), lines
    assert not any("Run failed" in line for line in lines)
    save = SAVE.format(name=name)
    steps = [line for line in lines if "int8_check.py" not in line]
    for line, command in zip(steps, EXPECTED_COMMANDS[style]):
        assert command.format(save=save) in line, (line, command)
    assert not tipc_checks.check_int8_report(repo / "log" / name / MODE / "pact_train_cpu_int8.json")
    infer_log = repo / "log" / name / MODE / "pact_train_cpu_infer_cpu_batchsize_1.log"
    predictions = re.findall(r"^image_name: (.+), class_id: (\d+), prob: ([0-9.]+)$",
                             infer_log.read_text(encoding="utf-8"), re.M)
    assert predictions and all(0.0 <= float(prob) <= 1.0 for _, _, prob in predictions)
