"""hooks/pre_gen_project.py as code: rendered the way cookiecutter renders it, imported, and called on answers.

The hook and the config checker must agree: the same answers are judged by the hook, and by the checker on the
config that cookiecutter renders from them with the hooks switched off.
"""
import subprocess
import sys
import types

import jinja2
import pytest
from cookiecutter.generate import generate_context
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config

from conftest import CONFIG_REL, TEMPLATE_ROOT, load_tipc_config


def answers_for(**extra):
    """Every answer, as cookiecutter would hand them to the hook with no input and EXTRA on the command line."""
    context = generate_context(str(TEMPLATE_ROOT / "cookiecutter.json"), extra_context=extra)
    answers = dict(prompt_for_config(context, no_input=True))
    answers["_repo_dir"] = str(TEMPLATE_ROOT)
    return answers


def rendered_hook(answers):
    """The hook's module after cookiecutter's rendering (its ANSWERS come from the rendered source)."""
    source = (TEMPLATE_ROOT / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8")
    module = types.ModuleType("pre_gen_project")
    exec(compile(jinja2.Template(source).render(cookiecutter=answers), "pre_gen_project.py", "exec"), module.__dict__)
    return module


@pytest.fixture(scope="module")
def rules():
    return load_tipc_config()


def hook_errors(rules, **extra):
    """Every refusal of the hook: the answers one by one, then the config they make (as main() runs them)."""
    answers = answers_for(**extra)
    hook = rendered_hook(answers)
    return hook.errors(answers, rules) or hook.rendered_config_errors(answers, rules)


def test_rendered_hook_reads_the_answers_as_data(rules):
    answers = answers_for(__train_command='train.py --name="""x""" --x=$(id)', model_name="m")
    hook = rendered_hook(answers)
    assert hook.ANSWERS["__train_command"] == 'train.py --name="""x""" --x=$(id)'  # data, not code
    assert any("train_command" in e and "contains '$', '(', ')'" in e for e in hook.errors(answers, rules))


def test_a_config_the_checker_refuses_is_refused_by_the_hook_naming_its_answers(rules):
    errors = hook_errors(rules, __device_key="Global.device")
    assert len(errors) == 1 and errors[0].startswith("the config these answers make is refused by the checker, "
                                                     "config line 5: ")
    assert "the key 'Global.device' is not an option" in errors[0] and "device_key (" in errors[0]


def test_defaults_are_valid(rules):
    assert hook_errors(rules) == []
    assert hook_errors(rules, layout="test_tipc_only") == []


# name: answers. The first group is valid, the second is not; both the hook and the checker must say so.
VALID = {
    "defaults": {},
    "suite model name with a dash": {"model_name": "ch_PP-OCRv3_det"},
    "model name with a dot": {"model_name": "model.v2"},
    "no training (null train command)": {"__train_command": "null"},
    "no evaluation, no pretrained key": {"__eval_command": "null", "__pretrained_key": "null"},
    "python path with a space": {"python": "/opt/my env/bin/python"},
    "config-style keys": {"__epochs_key": "-o Global.epochs", "__device_key": "-o Global.device"},
    "no benchmark argument": {"__benchmark_key": "null"},
    "image path with a space": {"__img_path": "./my images/demo.jpg"},
    "CPU only": {"gpu_list": "-1|-1,-1"},
    "suite lines": {"__train_list_key": "-o DataLoader.Train.dataset.cls_label_path",
                    "__eval_data_path_key": "-o DataLoader.Eval.dataset.image_root",
                    "__eval_list_key": "-o DataLoader.Eval.dataset.cls_label_path", "__export_device": "True",
                    "__infer_workdir": "deploy", "__infer_pattern": r"class id\(s\): \["},
    "label list value unused without its key": {"__train_list": "a|b"},
    "GPU inference value unused on CPU entries only": {"gpu_list": "-1|-1,-1", "__use_gpu_gpu_value": "1"},
}
INVALID = {
    "model name with a space": {"model_name": "my model"},
    "model name with ';'": {"model_name": "model;rm"},
    "key with ':'": {"__epochs_key": "-o Global.epochs:5"},
    "key with '|'": {"__device_key": "--device|--place"},
    "key with '='": {"__batch_size_key": "--bs=4"},
    "key with ';'": {"__img_path_key": "--img;touch"},
    "key with $(": {"__model_dir_key": "--model-dir$(id)"},
    "key with a backtick": {"__benchmark_key": "--bench`id`"},
    "null export weights key": {"__export_weights_key": "null"},
    "null model dir key": {"__model_dir_key": "null"},
    "null output dir key with evaluation": {"__output_dir_key": "null"},
    "command with ';'": {"__train_command": "train.py; rm -rf x"},
    "command with &&": {"__eval_command": "train.py && echo hi"},
    "command starting with python": {"__train_command": "python3 train.py --pact_quant"},
    "command starting with an option": {"__export_command": "--pact_quant tools/export_model.py"},
    "null inference command": {"__inference_command": "null"},
    "value with '|'": {"__data_path": "./a|./b"},
    "value with a leading space": {"__img_path": " ./images/demo.jpg"},
    "empty value": {"__img_path": ""},
    "value that looks per-mode": {"__pretrained_value": "whole_infer=./w.pdparams"},
    "gpu_list that is not entries": {"gpu_list": "gpu0"},
    "gpu_list with a mixed entry": {"gpu_list": "-1|0,-1"},
    "python with ';'": {"python": "python3;id"},
    "python with ':'": {"python": "py:thon"},
    "label list key with ':'": {"__train_list_key": "-o Train.list:x"},
    "label list value with '|'": {"__eval_list_key": "--val-list", "__eval_list": "a|b"},
    "prediction pattern that is no regular expression": {"__infer_pattern": "class id(s"},
    "inference folder with a leading space": {"__infer_workdir": " deploy"},
    "device key without a dash": {"__device_key": "Global.device"},
    "inference device key without a dash": {"__use_gpu_key": "use-gpu"},
    "GPU inference value the harness cannot tell": {"__use_gpu_gpu_value": "1"},
}


@pytest.mark.parametrize("case", sorted(VALID) + sorted(INVALID))
def test_hook_and_checker_give_the_same_verdict(tmp_path, rules, case):
    extra = {**VALID.get(case, {}), **INVALID.get(case, {})}
    refused_by_hook = bool(hook_errors(rules, **extra))
    # The config cookiecutter renders from the same answers, the hooks switched off, judged by the checker
    # (format only: the files it points at belong to the contributor's repo).
    project = cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(tmp_path), accept_hooks=False,
                           extra_context=extra)
    config = f"{project}/{CONFIG_REL.format(name=extra.get('model_name', 'mobilenet_v3_small'))}"
    problems = rules.Checker(config, repo=False).run()
    assert refused_by_hook == bool(problems) == (case in INVALID), problems


def test_hook_finds_the_template_from_a_relative_path(tmp_path, monkeypatch):
    """`cookiecutter .` from the template folder: the hook gets _repo_dir '.', relative to the shell's PWD."""
    answers = answers_for()
    answers["_repo_dir"] = "."
    monkeypatch.setenv("PWD", str(TEMPLATE_ROOT))
    monkeypatch.chdir(tmp_path)
    assert rendered_hook(answers).load_rules().FIELD["model_name"].line == 2


def test_hook_runs_as_a_script_and_refuses_with_exit_1(tmp_path, rules):
    answers = answers_for(__epochs_key="--epochs:5")
    script = tmp_path / "hook.py"
    source = (TEMPLATE_ROOT / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8")
    script.write_text(jinja2.Template(source).render(cookiecutter=answers), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "ERROR: __epochs_key" in proc.stderr and "Nothing was generated" in proc.stderr


@pytest.mark.parametrize("style, option", [("paddledetection", "-o"), ("paddleseg", "--opts")])
def test_a_suite_style_without_its_list_option_is_refused(rules, style, option):
    """The suites' parsers keep only the last group of a list option (nargs and argparse's store action): a bake
    whose config would not gather the groups is refused, naming the option."""
    answers = answers_for(layout="test_tipc_only", repo_style=style, model_name="m", __list_options="null")
    errors = rendered_hook(answers).style_errors(answers)
    assert len(errors) == 1 and errors[0].startswith("__list_options: 'null' with repo style " + style)
    assert f"enter __list_options={option}" in errors[0]
    answers = answers_for(layout="test_tipc_only", repo_style=style, model_name="m")
    assert rendered_hook(answers).style_errors(answers) == []
