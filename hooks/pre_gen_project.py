"""Validate the answers before anything is generated: a bad answer leaves nothing on disk.

Every answer becomes part of test_tipc/configs/<model_name>/train_pact_infer_python.txt, whose keys and
commands the TIPC harness evaluates as shell. The rules for those come from the generated tree's own config
checker (test_tipc/check_config.py), so a bake and a hand-edited config are held to the same standard.
"""
import glob
import importlib.util
import json
import os
import re
import sys

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

MODEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Characters that would make the harness run something else when it evaluates a command line.
SHELL_META = re.compile(r"[;&|<>`$(){}\\\"'\n*?!#~]")
GPU_LIST = re.compile(r"^(-1(,-1)*|[0-9]+(,[0-9]+)*)(\|(-1(,-1)*|[0-9]+(,[0-9]+)*))*$")

# Argument names (config keys): prompt -> (config line, may it be null?, what the harness passes with it,
# examples of the two argument styles).
KEYS = {
    "device_key": (5, True, "the device of each gpu_list entry", "--device or -o Global.device"),
    "epochs_key": (6, True, "the number of epochs", "--epochs or -o Global.epochs"),
    "output_dir_key": (7, False, "the folder training must write its weights to",
                       "--output-dir or -o Global.output_dir"),
    "batch_size_key": (8, True, "the batch size", "--batch-size or -o DataLoader.Train.sampler.batch_size"),
    "pretrained_key": (9, None, "the weights to load (the trained weights, for evaluation)",
                       "--pretrained or -o Global.pretrained_model"),
    "data_path_key": (11, True, "the data set path", "--data-path or -o DataLoader.Train.dataset.image_root"),
    "save_inference_dir_key": (20, False, "the folder the export must write the inference model to",
                               "--save-inference-dir or -o Global.save_inference_dir"),
    "export_weights_key": (21, False, "the trained weights to export", "--pretrained or -o Global.pretrained_model"),
    "use_gpu_key": (28, True, "the inference device", "--use-gpu or -o Global.use_gpu"),
    "infer_batch_size_key": (29, True, "the inference batch size", "--batch-size or -o Global.batch_size"),
    "model_dir_key": (30, False, "the folder of the exported inference model",
                      "--model-dir or -o Global.inference_model_dir"),
    "img_path_key": (31, True, "the image path", "--img-path or -o Global.infer_imgs"),
    "benchmark_key": (32, True, "the benchmark switch", "--benchmark or -o Global.benchmark"),
}
# Values the harness passes after "<key>=" (it shell-quotes them, so only '|' and line breaks are special).
VALUES = {
    "device_cpu_value": 5, "device_gpu_value": 5, "pretrained_value": 9, "whole_pretrained_value": 9,
    "trained_weights_name": 10, "data_path": 11, "whole_data_path": 11, "use_gpu_gpu_value": 28,
    "use_gpu_cpu_value": 28, "img_path": 31, "benchmark_value": 32,
}
# Commands (script and fixed arguments, no python): prompt -> (config line, may it be null?).
COMMANDS = {
    "train_command": (14, False, "train.py --pact_quant or tools/train.py -c configs/my_model_pact.yaml"),
    "eval_command": (17, True, "train.py --test-only --pact_quant or tools/eval.py -c configs/my_model_pact.yaml"),
    "export_command": (22, False,
                       "tools/export_model.py --pact_quant or tools/export_model.py -c configs/my_model_pact.yaml"),
    "inference_command": (27, False, "deploy/inference_python/infer.py or "
                                     "deploy/python/predict_cls.py -c deploy/configs/inference_cls.yaml"),
    "accuracy_command": (34, True, "tools/check_accuracy.py --img-path=./lite_data/val"),
    "whole_accuracy_command": (34, True, "tools/check_accuracy.py --img-path=./whole_data/val"),
    "fp32_pretrain_command": (39, True, "train.py --epochs=30 or tools/train.py -c configs/my_model.yaml"),
}


def load_checker():
    """test_tipc/check_config.py of this template (the generated tree's own checker)."""
    pattern = os.path.join(glob.escape(ANSWERS.get("_repo_dir", "")), "*", "test_tipc", "check_config.py")
    found = glob.glob(pattern)
    if len(found) != 1:
        sys.exit(f"ERROR: cannot find the template's test_tipc/check_config.py ({pattern}); "
                 "use cookiecutter >= 2.2, which tells hooks where the template is")
    spec = importlib.util.spec_from_file_location("check_config", found[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prompt_texts():
    """The prompts' text from the template's cookiecutter.json (cookiecutter drops __prompts__ from the answers)."""
    try:
        with open(os.path.join(ANSWERS.get("_repo_dir", ""), "cookiecutter.json"), encoding="utf-8") as handle:
            return json.load(handle).get("__prompts__", {})
    except (OSError, ValueError):
        return {}


PROMPTS = prompt_texts()


def label(name):
    """A prompt as the contributor sees it: its name (for name=value on the command line) and its text."""
    text = PROMPTS.get(name)
    return f'{name} ("{text}")' if isinstance(text, str) else name


def errors(answers, checker):
    found = []
    name = answers["model_name"]
    if not MODEL_NAME.match(name):
        found.append(f"model_name {name!r} is not a valid directory and Python identifier: "
                     "use letters, digits and underscores, not starting with a digit (e.g. mobilenet_v3_small)")
    python = answers["python"].strip()
    if not python:
        found.append("python is empty: enter the Python command the harness should run, e.g. python3")
    elif SHELL_META.search(python) or ":" in python:
        found.append(f"python {python!r} contains shell metacharacters or ':': enter a command such as "
                     "python3 or /opt/venv/bin/python")

    gpu_list = answers["gpu_list"]
    if not GPU_LIST.match(gpu_list):
        found.append(f"{label('gpu_list')}: {gpu_list!r} is not a list of device entries: enter entries "
                     "separated by |, each -1 (one CPU process), -1,-1 (two CPU processes) or GPU ids "
                     "such as 0 or 0,1; e.g. -1 for CPU only, or -1|-1,-1|0|0,1")

    for key_name, (line, nullable, passes, example) in KEYS.items():
        key = answers[key_name]
        if nullable is None:  # the pretrained argument is needed as soon as there is an evaluation step
            nullable = answers["eval_command"].strip() == "null"
        if key == "null":
            if not nullable:
                found.append(f"{label(key_name)}: null is not possible here, the harness passes {passes} "
                             f"with it: enter the argument name your script reads, e.g. {example}")
            continue
        problem = checker.key_problem(key)
        if problem:
            hint = "or null if your script has no such argument" if nullable else "it cannot be null"
            found.append(f"{label(key_name)}: {key!r} {problem}. Enter your script's argument name as you would "
                         f"type it before '=', e.g. {example} ({hint}); "
                         f"it becomes the key of config line {line}")

    for value_name, line in VALUES.items():
        value = answers[value_name]
        if not value.strip():
            found.append(f"{label(value_name)}: the answer is empty: enter a value for config line {line}"
                         + (" (or null to leave the argument out)" if value_name.endswith("pretrained_value") else ""))
        elif "|" in value or "\n" in value or "\r" in value:
            found.append(f"{label(value_name)}: {value!r} contains '|' or a line break: '|' separates alternative "
                         f"values on config line {line}; enter a single value")
        elif value != value.strip():
            found.append(f"{label(value_name)}: {value!r} has leading or trailing spaces: enter the value without them")
        elif line in checker.PER_MODE_LINES and checker.PER_MODE_VALUE.match(value):
            found.append(f"{label(value_name)}: {value!r} starts like a per-mode item (<mode>=<value>); the template "
                         f"writes the per-mode items of config line {line} itself: enter a plain value such as a path")
    for value_name, want_gpu in (("use_gpu_gpu_value", True), ("use_gpu_cpu_value", False)):
        value = answers[value_name].strip().lower()
        if value and (value in ("true", "gpu")) != want_gpu:
            found.append(f"{label(value_name)}: {answers[value_name]!r}: the harness runs inference with the value "
                         "True or gpu (any case) only on GPU entries, and any other value on CPU entries; enter "
                         + ("True or gpu" if want_gpu else "a CPU value such as False or cpu"))

    for command_name, (line, nullable, example) in COMMANDS.items():
        command = answers[command_name]
        if command.strip() == "null":
            if not nullable:
                found.append(f"{label(command_name)}: null is not possible here: enter the script the harness "
                             f"runs (config line {line}), without python, e.g. {example}")
            continue
        problem = checker.command_problem(command)
        if problem:
            found.append(f"{label(command_name)}: {command!r} {problem}. Enter the script path without python, "
                         f"then its fixed arguments, e.g. {example}"
                         + (" (or null to skip the step)" if nullable else "") + f"; it becomes config line {line}")
    return found


def existing_files(answers):
    """A test_tipc-only bake must not go into an existing checkout: cookiecutter writes (and for copied
    folders first deletes) the reference repo's train.py, tools/, deploy/, ... there before the layout is
    trimmed, which would replace the contributor's own files."""
    if answers["layout"] != "test_tipc_only":
        return []
    present = sorted(entry for entry in os.listdir(".") if entry != "test_tipc")
    if not present:
        return []
    out = answers.get("_output_dir", "<output dir>")
    return [f"layout test_tipc_only: {os.getcwd()} already exists and holds {', '.join(present[:5])}"
            f"{', ...' if len(present) > 5 else ''}; baking into it would overwrite files of that checkout. "
            f"Bake into an empty folder and copy test_tipc/ over: cookiecutter <template> -o /tmp/tipc_bake "
            f"layout=test_tipc_only model_name={answers['model_name']} ..., then "
            f"cp -r /tmp/tipc_bake/{answers['model_name']}/test_tipc <your checkout>/ "
            f"(instead of -o {out})"]


def main():
    problems = errors(ANSWERS, load_checker()) + existing_files(ANSWERS)
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    if problems:
        print("Nothing was generated. Run cookiecutter again with the corrected answer(s); answers can be given "
              "on the command line as name=value after the template, e.g. epochs_key='-o Global.epochs'.",
              file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
