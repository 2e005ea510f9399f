#!/usr/bin/env python3
"""The TIPC config train_pact_infer_python.txt: its schema, its parser, its checker and the plan of the chain.

Every reader of the config asks this module: check_config.py (the checker and --explain), prepare.sh and
test_train_inference_python.sh (which run the plans printed by the commands below) and the cookiecutter
template's pre-generation hook (which validates answers with the same rules before they become config lines).

    python3 test_tipc/tipc_config.py plan CONFIG MODE       the harness's steps, as bash variables
    python3 test_tipc/tipc_config.py prepare CONFIG MODE    what prepare.sh must make, as bash variables

Both validate first: problems go to stderr as ``CONFIG:LINE: message`` and the exit status is 2. TIPC_DEVICES
(cpu, gpu or all) selects the gpu_list entries. Standard library only: it runs before Paddle or any other
dependency is known to be there.

The format. Lines 1-32 are the guide's layout, read by position: ``key:value`` lines, '##' separators and
'====' headers. '|' separates alternatives; some lines take one value per mode as ``mode=value`` items; null
switches an argument or a step off. After line 32 come optional extension lines (upstream scripts ignore
them): the header ``====infer_benchmark_params====``, then lines addressed by name, ``<name>:<content>``,
in any order (see EXTENSIONS). Configs written before the lines had names hold them at fixed positions 34-39
(LEGACY_POSITIONS); those are read the same way.
"""
import os
import re
import shlex
import shutil
import sys
from typing import NamedTuple, Optional, Tuple

MODES = ("lite_train_lite_infer", "lite_train_whole_infer", "whole_train_whole_infer", "whole_infer")
DEVICE_SELECTIONS = ("cpu", "gpu", "all")
REQUIRED_LINES = 32
# This tree's folder as seen from the repo root (test_tipc, or test_tipc/pact beside a suite's own harness), for the
# commands messages suggest.
TIPC_DIR = os.path.relpath(os.path.dirname(os.path.abspath(__file__)))


class Field(NamedTuple):
    """One line of the config.

    name: how the code, the pre-generation hook and the extension lines call it.
    line: its position among the 32 lines (None for a named extension line).
    key: its fixed key (None: a header or separator, or the contributor's own argument name).
    kind: header, separator, fixed (a fixed key and a value), argument (the contributor's argument name and
        a value), command (a script and its fixed arguments), loop (an inference argument and the values the
        inference steps loop over).
    meaning, guide, goes_here: what the line is, the guide's name for it, what to write there.
    per_mode: whether its value may be ``mode=value`` items separated by '|'.
    """
    name: str
    line: Optional[int]
    key: Optional[str]
    kind: str
    meaning: str
    guide: str
    goes_here: str
    per_mode: bool = False


def _header(name):
    return f"{'=' * 27}{name}{'=' * 27}"


FIELDS = (
    Field("train_header", 1, None, "header", "train_params header", "注释",
          f"the header line {_header('train_params')}"),
    Field("model_name", 2, "model_name", "fixed", "model name", "模型名字",
          "model_name:<your model's name>; it names log/<model_name>/"),
    Field("python", 3, "python", "fixed", "python command", "python环境",
          "python:<the python that runs every step>, e.g. python3"),
    Field("gpu_list", 4, "gpu_list", "fixed", "device list (-1 = CPU process, card ids = GPUs; '|' separates entries)",
          "gpu id", "gpu_list:<entries separated by '|'>: -1 one CPU process, -1,-1 two, 0 GPU 0, 0,1 GPUs 0 and 1"),
    Field("device", 5, None, "argument", "device argument and its value per gpu_list entry", "是否使用GPU",
          "<your training script's device argument>:<its value for each gpu_list entry>, "
          "e.g. --device:cpu|cpu|gpu|gpu or -o Global.device:cpu|gpu"),
    Field("epochs", 6, None, "argument", "epochs argument (per mode)", "迭代的epoch数目",
          "<your epochs argument>:lite_train_lite_infer=<N>|whole_train_whole_infer=<N>, e.g. --epochs:...", True),
    Field("output_dir", 7, None, "argument", "training output directory argument", "输出目录",
          "<your output directory argument>:./output/ (the harness sets the value to log/.../<trainer>_<entry>)"),
    Field("batch_size", 8, None, "argument", "training batch size argument (per mode)", "训练的batch size",
          "<your batch size argument>:lite_train_lite_infer=<N>|whole_train_whole_infer=<N>", True),
    Field("pretrained", 9, None, "argument", "pretrained weights argument (per mode)", "预训练模型",
          "<the argument that loads weights>:<FP32 weights to start from, or null; or per mode, e.g. "
          "lite_train_lite_infer=null|whole_train_whole_infer=./pretrain_models/fp32.pdparams>; evaluation "
          "passes the trained weights with the same argument", True),
    Field("train_model_name", 10, "train_model_name", "fixed", "file name of the weights training saves",
          "训练结果的模型名字",
          "train_model_name:<the file training writes in its output directory>, e.g. latest.pdparams"),
    Field("data_path", 11, None, "argument", "data set path argument (per mode)", "数据集路径",
          "<your data path argument>:<data set path>, e.g. --data-path:./lite_data, or per mode, e.g. "
          "lite_train_lite_infer=./lite_data|whole_train_whole_infer=./whole_data", True),
    Field("sep12", 12, None, "separator", "separator", "段落分隔符", "##"),
    Field("trainer", 13, "trainer", "fixed", "list of trainers", "训练方法", "trainer:pact_train"),
    Field("trainer_script", 14, None, "command", "training script of the trainer (trainer name as key)",
          "pact_train的训练脚本",
          "pact_train:<training script and the fixed arguments that turn PACT on>, "
          "e.g. pact_train:train.py --pact_quant"),
    Field("sep15", 15, None, "separator", "separator", "段落分隔符", "##"),
    Field("eval_header", 16, None, "header", "eval_params header", "注释", f"the header line {_header('eval_params')}"),
    Field("eval", 17, "eval", "command", "evaluation script", "评估脚本",
          "eval:<evaluation script and fixed arguments>, or eval:null"),
    Field("sep18", 18, None, "separator", "separator", "段落分隔符", "##"),
    Field("infer_header", 19, None, "header", "infer_params header", "注释",
          f"the header line {_header('infer_params')}"),
    Field("save_inference_dir", 20, None, "argument", "export output directory argument", "动转静输出目录",
          "<your export script's output directory argument>:<any path> (the harness sets the value)"),
    Field("export_weights", 21, None, "argument", "export weights argument", "预训练模型路径",
          "<your export script's weights argument>: (empty value; the harness passes the trained weights)"),
    Field("norm_export", 22, "norm_export", "command", "export script", "模型动转静导出命令",
          "norm_export:<export script and fixed arguments>, e.g. norm_export:tools/export_model.py --pact_quant"),
    Field("sep23", 23, None, "separator", "separator", "段落分隔符", "##"),
    Field("train_model", 24, "train_model", "fixed", "trained weights for whole_infer", "训练模型保存路径",
          "train_model:<weights the whole_infer mode exports>"),
    Field("infer_export", 25, "infer_export", "command", "export script for whole_infer", "推理前是否需要导出",
          "infer_export:<the same as line 22>, or infer_export:null to run inference on line 30's model"),
    Field("sep26", 26, None, "separator", "separator", "段落分隔符", "##"),
    Field("inference", 27, "inference", "command", "inference script", "推理脚本",
          "inference:<inference script and fixed arguments>"),
    Field("use_gpu", 28, None, "argument", "inference device argument and values", "是否使用GPU",
          "<your inference device argument>:<GPU value>|<CPU value>, e.g. --use-gpu:True|False"),
    Field("infer_batch_size", 29, None, "argument", "inference batch size argument and values", "推理batch size",
          "<your inference batch size argument>:1 (several sizes separated by '|')"),
    Field("model_dir", 30, None, "argument", "inference model directory argument", "推理模型保存路径",
          "<your inference model directory argument>:<model dir whole_infer uses when line 25 is null>"),
    Field("img_path", 31, None, "argument", "image path argument", "图片路径或者图片文件夹路径",
          "<your image argument>:<an image or a folder of images>"),
    Field("benchmark", 32, None, "argument", "benchmark argument", "是否使用benchmark",
          "<your benchmark argument>:<its value>, e.g. --benchmark:True"),
)
EXTENSION_HEADER = _header("infer_benchmark_params")
EXTENSION_HEADER_RE = re.compile(r"^=+infer_benchmark_params=+$")
EXTENSIONS = (
    Field("extension_header", 33, None, "header", "infer_benchmark_params header (optional extensions)", "扩展：注释",
          f"the header line {EXTENSION_HEADER}, needed before any extension line"),
    Field("accuracy_check", None, "accuracy_check", "command", "accuracy check script, run after every export",
          "扩展：精度检查脚本",
          "accuracy_check:<script and fixed arguments> run as <script> <line 21 key>=<exported weights> "
          "<line 30 key>=<export folder>, e.g. accuracy_check:tools/check_accuracy.py --img-path=./lite_data/val; "
          "or mode=<script> items separated by '|' (e.g. a --compare-results ground truth for whole_infer only); "
          "or accuracy_check:null", True),
    Field("enable_mkldnn", None, "enable_mkldnn", "loop", "oneDNN (MKLDNN) loop of CPU inference",
          "扩展：CPU 是否开启 mkldnn",
          "enable_mkldnn:<your inference script's oneDNN argument>:<values>, e.g. "
          "enable_mkldnn:--enable-mkldnn:True|False (CPU inference only)"),
    Field("cpu_threads", None, "cpu_threads", "loop", "CPU threads loop of CPU inference", "扩展：CPU 线程数",
          "cpu_threads:<your CPU threads argument>:<values>, e.g. cpu_threads:--cpu-threads:1|2 (CPU inference only)"),
    Field("precision", None, "precision", "loop", "precision loop of inference", "扩展：推理精度",
          "precision:<your precision argument>:<values>, e.g. precision:--precision:auto or "
          "precision:--precision:fp32|int8"),
    Field("use_tensorrt", None, "use_tensorrt", "loop", "TensorRT loop of GPU inference",
          "扩展：GPU 是否开启 TensorRT",
          "use_tensorrt:<your TensorRT argument>:<values>, e.g. use_tensorrt:--use-tensorrt:False|True "
          "(GPU inference only)"),
    Field("train_list", None, "train_list", "argument", "training label list argument (per mode)",
          "扩展：训练标签列表",
          "train_list:<your training script's label-list argument>:<list file, or per mode>, e.g. "
          "train_list:-o DataLoader.Train.dataset.cls_label_path:lite_train_lite_infer=./lite_data/train_list.txt|"
          "whole_train_whole_infer=./whole_data/train_list.txt (suite data sets read an image root and a list)", True),
    Field("eval_data_path", None, "eval_data_path", "argument", "evaluation data set path argument (per mode)",
          "扩展：评估数据集路径",
          "eval_data_path:<your evaluation script's image-root argument>:<path, or per mode>, e.g. "
          "eval_data_path:-o DataLoader.Eval.dataset.image_root:./lite_data; evaluation then gets it instead of "
          "line 11", True),
    Field("eval_list", None, "eval_list", "argument", "evaluation label list argument (per mode)",
          "扩展：评估标签列表",
          "eval_list:<your evaluation script's label-list argument>:<list file, or per mode>, e.g. "
          "eval_list:-o DataLoader.Eval.dataset.cls_label_path:./lite_data/val_list.txt", True),
    Field("export_device", None, "export_device", "flag", "whether the export gets the entry's device",
          "扩展：导出时传入设备",
          "export_device:True to pass the line-5 device argument of each entry to the export too (for exports that "
          "read the device, e.g. PaddleClas's -o Global.device), or export_device:False"),
    Field("infer_workdir", None, "infer_workdir", "value", "folder inference runs from", "扩展：推理工作目录",
          "infer_workdir:<folder relative to the repo root>, e.g. infer_workdir:deploy; line 27's command is "
          "written as seen from there (e.g. inference:python/predict_cls.py -c configs/inference_cls.yaml), the "
          "model folder and the image path are passed relative to it"),
    Field("infer_pattern", None, "infer_pattern", "value", "pattern of the prediction line inference prints per image",
          "扩展：推理结果行格式",
          "infer_pattern:<regular expression (Python re) that each image's prediction line matches>; without it a "
          "prediction line is one that names its image's file, as the reference's 'image_name: <path>, ...' and "
          "PaddleClas's '<path>: class id(s): [...]' do"),
    Field("python_path", None, "python_path", "value", "folders every step imports from", "扩展：PYTHONPATH",
          "python_path:<folder>|<package>=<folder>..., folders relative to the repo root put first on PYTHONPATH "
          "for every step; <package>=<folder> makes the folder importable under that package name, e.g. "
          "python_path:paddleclas=.|. for PaddleClas, whose deploy/ predictor imports the repo as package paddleclas "
          "and its modules import ppcls"),
    Field("step_timeout", None, "step_timeout", "value", "time limits of the steps, in seconds", "扩展：步骤超时",
          "step_timeout:<step>=<seconds>|..., steps train, eval, export, fp32 (fp32_export), accuracy, int8, infer, "
          "e.g. "
          "step_timeout:train=7200|infer=600; a step past its limit is stopped with everything it started and "
          "recorded as failed (defaults: train 7200, the others 1800; TIPC_STEP_TIMEOUT=<seconds> sets every step)"),
    Field("fp32_export", None, "fp32_export", "command",
          "export of the mode's line-9 FP32 weights, which the int8 step compares with", "扩展：FP32 导出脚本",
          "fp32_export:<export script and fixed arguments, without PACT> run after each export as <script> "
          "<line 21 key>=<line 9 weights of the mode> <line 20 key>=<export folder>_fp32 when line 9 names FP32 "
          "weights (skipped when it is null); or mode=<script> items separated by '|'; or fp32_export:null", True),
    Field("int8_check", None, "int8_check", "value", "options of the chain's int8 step, or null to turn it off",
          "扩展：int8 检查",
          "int8_check:<options for test_tipc/int8_check.py check>, e.g. int8_check:--img-size=320 --max-images=16; "
          "without the line the int8 step runs after every export with its defaults; int8_check:null turns it off"),
    Field("int8_strict", None, "int8_strict", "flag",
          "whether an inference step that ran the int8 model without int8 kernels fails", "扩展：int8 严格模式",
          "int8_strict:True to record such a step as failed, or int8_strict:False (the default: it passes with a "
          "WARN row that says so)"),
    Field("fp32_pretrain", None, "fp32_pretrain", "command",
          "FP32 training that prepare.sh runs when line 9's weights are missing", "扩展：FP32 预训练脚本",
          "fp32_pretrain:<training script and fixed arguments, without PACT> run by prepare.sh as <script> "
          "<line 5 key>=<device> <line 7 key>=<line 9 weights without .pdparams>_train <line 11 key>=<data set>, "
          "whose <line 10> file becomes the line-9 weights; or mode=<script> items separated by '|'; "
          "or fp32_pretrain:null", True),
)
FIELD = {field.name: field for field in FIELDS + EXTENSIONS}
BY_LINE = {field.line: field for field in FIELDS}
NAMED = {field.name: field for field in EXTENSIONS if field.line is None}
# Where configs written before the extension lines had names hold them: by position, the loop lines as
# "<argument>:<values>" (null:null for none).
LEGACY_POSITIONS = {34: "accuracy_check", 35: "enable_mkldnn", 36: "cpu_threads", 37: "precision",
                    38: "use_tensorrt", 39: "fp32_pretrain"}
# The inference loops: which device's inference a loop applies to, and the word naming it in step labels.
LOOPS = {"enable_mkldnn": ("cpu", "mkldnn"), "cpu_threads": ("cpu", "threads"),
         "precision": ("any", "precision"), "use_tensorrt": ("gpu", "tensorrt")}
# Seconds a step may run before the harness stops it (a hung step would otherwise hang the run): generous, since
# whole_train_whole_infer trains for real; the config's step_timeout line and TIPC_STEP_TIMEOUT change them.
STEP_TIMEOUTS = {"train": 7200, "eval": 1800, "export": 1800, "fp32": 1800, "accuracy": 1800, "int8": 1800,
                 "infer": 1800}
# The data sets prepare.sh extracts, so paths in them need not exist before it ran.
PREPARED_DATA = ("lite_data", "whole_data")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
HEADER_LINES = tuple(f.line for f in FIELDS if f.kind in ("header", "separator"))
FIXED_KEYS = {f.key: f.line for f in FIELDS if f.key}
PER_MODE_VALUE = re.compile(r"^[A-Za-z_]+=")
# Lines whose value the harness passes as one value (per mode, where the line allows it), and lines whose value is
# a '|' list of alternatives; the other argument lines' values are set by the harness.
SINGLE_VALUES = ("pretrained", "train_model_name", "data_path", "train_model", "img_path", "benchmark")
ALTERNATIVES = ("device", "use_gpu", "infer_batch_size")
MODE_ITEMS = re.compile(r"^(%s)=" % "|".join(MODES))
GPU_ITEM = re.compile(r"^(-1|[0-9]+)$")
PLAIN_WORD = re.compile(r"^[A-Za-z0-9_./:,+@%=-]+$")
MODEL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

# Characters bash passes through untouched. Keys are written into commands as words ("-o Global.epochs" is two
# words), and commands are split into words, so anything else (; & | ` $ > < ( ) quotes, globs, ...) would
# mean something else to the shell a contributor reads the command in, and to upstream harnesses that eval it.
KEY_WORD = re.compile(r"^[A-Za-z0-9_./,+@%-]+$")
COMMAND_WORD = re.compile(r"^[A-Za-z0-9_./,+@%=:\"'-]+$")
PYTHON_WORD = re.compile(r"^(.*/)?python[0-9.]*$")
# No python command holds these; a line-3 value that does is a mistake (a command line instead of a command).
SHELL_META = re.compile(r"[;&|<>`$(){}\\\"'\n*?!#~]")


# ---------------------------------------------------------------- rules for one value

def _bad_chars(text, allowed):
    bad = []
    for word in text.split(" "):
        if not allowed.match(word):
            bad += [c for c in word if not allowed.match(c) and c not in bad]
    return "".join(sorted(set(bad), key=bad.index))


def _describe(chars):
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", " ": "a space"}
    return ", ".join(names.get(c, f"'{c}'") for c in chars)


def is_null(value):
    """Whether a value or command switches its argument or step off."""
    return value is not None and value.split()[:1] == ["null"]


def is_gpu_value(value):
    """Whether an inference device value (line 28) asks for a GPU: True or gpu, in any case."""
    return value.strip().lower() in ("true", "gpu")


def model_name_problem(name):
    if not MODEL_NAME.match(name or ""):
        return ("expected a name of letters, digits and _ . - (it names log/<model_name>/ and the config folder), "
                f"found '{name}'")
    return None


def python_problem(python):
    if not python.strip():
        return "is empty: enter the python command that runs every step, e.g. python3"
    if python != python.strip() or SHELL_META.search(python) or ":" in python:
        return (f"'{python}' contains shell metacharacters, ':' or leading or trailing spaces: enter a command "
                "such as python3 or /opt/venv/bin/python")
    return None


def gpu_list_problem(gpu_list):
    for entry in gpu_list.split("|"):
        items = entry.split(",")
        if not all(GPU_ITEM.match(item) for item in items):
            return (f"expected entries like -1, -1,-1, 0 or 0,1 separated by '|', found entry '{entry}' "
                    f"in '{gpu_list}'")
        if "-1" in items and set(items) != {"-1"}:
            return ("expected each entry to be all CPU processes (-1,-1) or all GPU ids (0,1), "
                    f"found mixed entry '{entry}'")
    return None


def key_problem(key):
    """Why KEY cannot be an argument name on a config line (None when it can): the harness passes
    '<key>=<value>' as words, so a key may hold several words ('-o Global.epochs') but only plain characters,
    and no ':' (it would end the key), '|' or '='."""
    if not key.strip():
        return "is empty"
    if key != key.strip() or "  " in key:
        return "has leading, trailing or double spaces (the harness would pass them as empty words)"
    for char, why in ((":", "':', which ends the key on a config line"),
                      ("|", "'|', which separates alternative values on a config line"),
                      ("=", "'=', which separates the key from the value the harness adds")):
        if char in key:
            return f"contains {why}"
    bad = _bad_chars(key, KEY_WORD)
    if bad:
        return (f"contains {_describe(bad)}, which the shell would interpret in the commands the harness prints "
                "(keys may hold letters, digits, spaces and _ . / , + @ % -)")
    return None


def command_problem(command):
    """Why COMMAND cannot be a script command line of the config (None when it can): the script path first,
    without the python command, then fixed arguments, all plain words."""
    if not command.strip():
        return "is empty"
    words = command.split()
    if "\n" not in command and PYTHON_WORD.match(words[0]):
        return (f"starts with '{words[0]}': leave the python command out, the harness puts the python of "
                "config line 3 in front")
    if command.lstrip().startswith("-"):
        return "starts with an option: the script path comes first, e.g. tools/train.py -c configs/model.yaml"
    bad = _bad_chars(command.strip(), COMMAND_WORD) or ("\t" if "\t" in command else "")
    if not bad:
        try:
            shlex.split(command)
        except ValueError as err:
            return f"has unbalanced quotes ({err}); quote a value as Key=\"value\""
    if bad:
        return (f"contains {_describe(bad)}, which the shell would interpret in the commands the harness prints "
                "(; & | ` $( > < start other commands or redirect); use plain arguments, or move shell logic "
                "into a script")
    return None


def value_problem(value, per_mode=False):
    """Why VALUE cannot be the single value of an argument line (None when it can)."""
    if not value.strip():
        return "is empty"
    if "|" in value or "\n" in value or "\r" in value:
        return "contains '|' or a line break: '|' separates alternative values on a config line; enter a single value"
    if value != value.strip():
        return "has leading or trailing spaces: enter the value without them"
    if per_mode and PER_MODE_VALUE.match(value):
        return "starts like a per-mode item (<mode>=<value>): enter a plain value such as a path"
    return None


def flag_problem(value):
    if value.strip().lower() not in ("true", "false"):
        return f"expected True or False, found '{value}'"
    return None


def pattern_problem(pattern):
    """Why PATTERN cannot be the prediction-line pattern (a Python regular expression, as check_step.py runs it)
    or None."""
    try:
        re.compile(pattern)
    except re.error as err:
        return f"'{pattern}' is not a regular expression ({err})"
    if not pattern.strip() or "\n" in pattern:
        return f"expected a one-line regular expression, found '{pattern}'"
    return None


def step_timeouts(value):
    """{step: seconds} of a step_timeout line (empty when there is none)."""
    out = {}
    for item in (value or "").split("|"):
        step, _, seconds = item.partition("=")
        if item:
            out[step] = seconds
    return out


def step_timeout_problem(value):
    for step, seconds in step_timeouts(value).items():
        if step not in STEP_TIMEOUTS or not seconds.isdigit() or int(seconds) <= 0:
            return (f"expected <step>=<seconds> items with a step from {', '.join(STEP_TIMEOUTS)} and a whole "
                    f"number of seconds > 0, found '{step}={seconds}' in '{value}'")
    return None


def python_path_entries(value):
    """(package or None, folder) for each '|' entry of a python_path line."""
    entries = []
    for item in value.split("|"):
        name, sep, folder = item.partition("=")
        entries.append((name, folder) if sep else (None, item))
    return entries


def python_path_problem(value):
    """Why VALUE cannot be a python_path line's value (None when it can)."""
    for name, folder in python_path_entries(value):
        if not folder.strip() or folder != folder.strip() or os.path.isabs(folder):
            return f"expected folders relative to the repo root, found '{folder}' in '{value}'"
        if name is not None and not name.isidentifier():
            return f"expected a package name before '=', found '{name}' in '{value}'"
    return None


def required_keys(eval_null, export_null, infer_export_null):
    """Argument lines whose key the harness needs to hand over a path, and what it hands over with it: without
    them the next step cannot find the output."""
    needed = {}
    if not (eval_null and export_null):
        needed["output_dir"] = "training writes its weights where the harness tells it"
    if not eval_null:
        needed["pretrained"] = "evaluation gets the trained weights with it"
    if not export_null or not infer_export_null:
        needed["save_inference_dir"] = "the export writes the inference model where the harness tells it"
        needed["export_weights"] = "the export gets the trained weights with it"
    needed["model_dir"] = "inference gets the exported model's folder with it"
    return needed


def per_mode_value(value, mode):
    """The value of a line for MODE. A per-mode value, "mode=value" items separated by '|'
    ("lite_train_lite_infer=5|whole_train_whole_infer=90"), gives the item of MODE, or None when MODE is not
    listed. Any other value applies to every mode as it is, '=' and '|' included (a path, "cpu|gpu", or a command
    with its arguments)."""
    if value is None or not MODE_ITEMS.match(value):
        return value
    for item in value.split("|"):
        name, _, item_value = item.partition("=")
        if name == mode:
            return item_value
    return None


def split_command(command):
    """The words of a script line, split as a shell would (quotes group words: Key="a b" is one word)."""
    return shlex.split(command)


def key_words(key, value):
    """The words "<key>=<value>" adds to a command, or none when the key or the value is null or empty."""
    if key is None or value is None or not key.strip() or key.strip() == "null" or not value.strip() or value == "null":
        return []
    words = key.split()
    return words[:-1] + [f"{words[-1]}={value}"]


# ---------------------------------------------------------------- parsing

class Entry(NamedTuple):
    line: int      # 1-based line number in the file
    key: str       # the key (for a loop: the inference argument)
    value: str     # the value (for a loop: its values)
    text: str      # the line as written


def read_lines(path):
    """The config's lines, split on newlines only (as bash's mapfile does), without Windows \\r, without the
    blank lines after the last one."""
    with open(path, encoding="utf-8") as handle:
        lines = [text[:-1] if text.endswith("\r") else text for text in handle.read().split("\n")]
    while len(lines) > REQUIRED_LINES and not lines[-1].strip():
        lines.pop()
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class Config:
    """A parsed config: ``get(name)`` is the Entry of a field (None where the config does not have it)."""

    def __init__(self, path, lines):
        self.path = path
        self.lines = lines
        self.entries = {}
        self.extension_problems = []  # (line number, message)
        for field in FIELDS:
            text = self.line(field.line)
            if text is not None and ":" in text and field.kind not in ("header", "separator"):
                key, value = text.split(":", 1)
                self.entries[field.name] = Entry(field.line, key, value, text)
        self._read_extensions()

    def line(self, number):
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else None

    def get(self, name):
        return self.entries.get(name)

    def value(self, name, mode=None):
        """The value of a field (for MODE when it has per-mode items); None where the config does not have it."""
        entry = self.get(name)
        if entry is None:
            return None
        return per_mode_value(entry.value, mode) if FIELD[name].per_mode and mode else entry.value

    def key(self, name):
        entry = self.get(name)
        return None if entry is None else entry.key

    def has_extensions(self):
        return len(self.lines) > REQUIRED_LINES

    def _read_extensions(self):
        if not self.has_extensions():
            return
        header = self.line(REQUIRED_LINES + 1)
        if not EXTENSION_HEADER_RE.match(header):
            self.extension_problems.append((33, (
                f"{FIELD['extension_header'].meaning} (line 33): lines after 32 are optional extensions and start "
                f"with the header '{EXTENSION_HEADER}', found '{header}'")))
            return
        for number in range(REQUIRED_LINES + 2, len(self.lines) + 1):
            self._read_extension(number, self.line(number))

    def _read_extension(self, number, text):
        name, sep, content = text.partition(":")
        if not (sep and name in NAMED):
            legacy = LEGACY_POSITIONS.get(number)
            if legacy is None:
                self.extension_problems.append((number, (
                    f"line {number}: the TIPC scripts read the optional lines 33-{max(LEGACY_POSITIONS)} by "
                    f"position, and named extension lines anywhere after line 33 "
                    f"({', '.join(name + ':...' for name in NAMED)}); found '{text}'")))
                return
            field = NAMED[legacy]
            if field.kind == "command" and name != field.key:
                self.extension_problems.append((number, (
                    f"line {number} should be the {field.meaning} (`{field.key}:...`), found '{text}'"
                    f"{belongs_elsewhere(name, number)}")))
                return
            name, content = legacy, (content if field.kind == "command" else text)
        field = NAMED[name]
        if name in self.entries:
            self.extension_problems.append((number, (
                f"{field.meaning} (line {number}): the config already has it on line {self.entries[name].line}; "
                "keep one")))
            return
        if field.kind in ("loop", "argument"):
            if ":" not in content:
                self.extension_problems.append((number, (
                    f"{field.meaning} (line {number}): expected 'key:value', found '{content}'; "
                    f"expected {field.goes_here}")))
                return
            key, value = content.split(":", 1)
        else:
            key, value = name, content
        self.entries[name] = Entry(number, key, value, text)

    def loop(self, name):
        """(argument, values) of an inference loop line; (None, [None]) when the config has no such loop
        (absent, or its key or value null): the step runs once without the argument."""
        entry = self.get(name)
        if entry is None or entry.key.strip() == "null" or not entry.value.strip() or entry.value == "null":
            return None, [None]
        return entry.key, entry.value.split("|")

    def flag(self, name):
        """Whether a flag extension line is True (absent: False)."""
        entry = self.get(name)
        return entry is not None and entry.value.strip().lower() == "true"

    def where(self, name):
        """'line N' of a field, for messages."""
        entry = self.get(name)
        line = entry.line if entry else FIELD[name].line
        return f"line {line}" if line else f"the {name} line"


def belongs_elsewhere(key, number):
    """', which belongs on line M (...)' when KEY is the fixed key of another line than NUMBER."""
    other = FIXED_KEYS.get(key)
    if other and other != number:
        return f", which belongs on line {other} ({BY_LINE[other].meaning})"
    return ""


def load(path):
    """(Config, None), or (None, message) when the file cannot be read."""
    try:
        return Config(path, read_lines(path)), None
    except (OSError, UnicodeDecodeError) as exc:
        return None, (f"{path}: cannot read the config file ({exc.__class__.__name__}: {exc}); "
                      "pass the path of a train_pact_infer_python.txt, relative to the repo root")


# ---------------------------------------------------------------- checking

def classify(text, trainers):
    """What a config line looks like, for lining it up against the guide's layout."""
    if text == "##":
        return "separator"
    if ":" not in text:
        return "header" if text.startswith("=") else "text"
    key, value = text.split(":", 1)
    if key in FIXED_KEYS:
        return key
    if key in trainers:
        return "trainer-script"
    if any("=" in item and item.split("=", 1)[0] in MODES for item in value.split("|")):
        return "per-mode"
    return "argument"


def expected_kind(number):
    field = BY_LINE[number]
    if number in HEADER_LINES:
        return "header-or-separator"
    if field.name == "trainer_script":
        return "trainer-script"
    return field.key or "argument"


def fits(number, kind):
    """Whether a line of KIND can stand on the guide's line NUMBER."""
    expected = expected_kind(number)
    if expected == "header-or-separator":
        return kind in ("header", "separator", "text")
    if BY_LINE[number].per_mode:
        return kind in ("per-mode", "argument")
    return kind == expected


class Checker:
    """The problems of a config: ``run()`` returns them as ``CONFIG:LINE: message`` strings.

    Format problems only need the file; ``repo=True`` also checks what the config points at from the current
    directory (the repo root): the scripts, and the line-3 python."""

    def __init__(self, path, mode=None, repo=True):
        self.path = path
        self.mode = mode
        self.repo = repo
        self.config = None
        self.problems = []  # (line number, None for the file, or "MODE"; message)
        self.shift = None  # (first displaced line, lines missing (>0) or added (<0))

    @property
    def lines(self):
        return self.config.lines if self.config else []

    @property
    def errors(self):
        return [self.format(number, message) for number, message in self.problems]

    def format(self, number, message):
        if number == "MODE":  # about the command line, not the file
            return message
        return f"{self.path}:{number}: {message}" if number else f"{self.path}: {message}"

    def error(self, number, message):
        self.problems.append((number, message))

    def meaning(self, number):
        return f"{BY_LINE[number].meaning} (line {number})"

    def line(self, number):
        return self.config.line(number) if self.config else None

    def key_value(self, number):
        text = self.line(number)
        if text is None or ":" not in text:
            return None, None
        key, value = text.split(":", 1)
        return key, value

    def run(self):
        if self.mode is not None and self.mode not in MODES:
            self.error("MODE", f"MODE argument: expected one of {', '.join(MODES)}, found '{self.mode}'")
        self.config, problem = load(self.path)
        if problem:
            self.problems.append((None, problem.split(": ", 1)[1]))
            return self.errors
        if len(self.lines) < REQUIRED_LINES:
            self.error(None, f"expected at least {REQUIRED_LINES} lines (the guide's "
                             f"train_pact_infer_python.txt layout), found {len(self.lines)}; "
                             f"`python3 {TIPC_DIR}/check_config.py --explain {self.path}` lists what belongs on "
                             "each line")
        self.check_fixed_keys()
        self.find_shift()
        self.check_colons()
        if self.shift is None:
            self.check_model_name()
            self.check_python()
            self.check_devices()
            self.check_modes()
            self.check_trainers()
            self.check_arguments()
            self.check_values()
            self.check_scripts()
            self.check_extensions()
            self.check_option_keys()
            if self.repo:
                self.check_image_path()
        self.problems.sort(key=lambda item: (0, 0) if item[0] == "MODE" else (1, item[0] or 0))
        return self.errors

    def check_colons(self):
        for number in range(1, REQUIRED_LINES + 1):
            text = self.line(number)
            if text is None or number in HEADER_LINES:
                continue
            if self.shift and number >= self.shift[0]:
                continue  # a consequence of the displaced lines, already explained
            if ":" not in text:
                self.error(number, f"{self.meaning(number)}: expected 'key:value', found '{text}'")

    def check_fixed_keys(self):
        for field in FIELDS:
            key, _ = self.key_value(field.line)
            if key is None:
                continue
            if field.key is not None and key != field.key:
                self.error(field.line, f"line {field.line} should be the {field.meaning} (`{field.key}:...`), "
                                       f"found '{self.line(field.line)}'{belongs_elsewhere(key, field.line)}")
            elif (field.key is None and field.kind not in ("header", "separator") and field.name != "trainer_script"
                  and key in FIXED_KEYS):
                self.error(field.line, f"line {field.line} should be the {field.meaning} (your script's argument "
                                       f"name as key), found '{self.line(field.line)}'"
                                       f"{belongs_elsewhere(key, field.line)}")

    def find_shift(self):
        """Name the first line that is displaced when a line was deleted or added above it."""
        trainers = {"pact_train", "norm_train"}
        for text in self.lines:
            if text.startswith("trainer:"):
                trainers.update(t for t in text.split(":", 1)[1].split("|") if t)
        kinds = [classify(text, trainers) for text in self.lines]
        last = min(len(kinds), REQUIRED_LINES)
        first = next((n for n in range(1, last + 1) if not fits(n, kinds[n - 1])), None)
        if first is None:
            return
        # A deleted line shows at the line below it (start = first); an added line either looks like the
        # line it displaced (start = first) or is itself the first misfit (start = first + lines added).
        candidates = [(shift, first) for shift in (1, -1, 2, -2, 3, -3)] + [(-n, first + n) for n in (1, 2, 3)]
        for shift, start in candidates:
            numbers = [m for m in range(start, len(kinds) + 1) if 1 <= m + shift <= REQUIRED_LINES]
            if not 1 <= start + shift <= REQUIRED_LINES or len(numbers) < 2:
                continue
            if all(fits(m + shift, kinds[m - 1]) for m in numbers):
                break
        else:
            return
        self.shift = (first, shift)
        # The last line above the misfit that stands where the guide puts it and says so by itself.
        anchor = max([n for n in range(1, first) if expected_kind(n) not in ("argument", "header-or-separator")
                      and fits(n, kinds[n - 1])] or [0])
        count = abs(shift)
        lines = f"{count} line{'s' if count > 1 else ''}"
        where = f"between line {anchor} and line {start}" if anchor else f"above line {start}"
        if shift > 0:
            what = f"{lines} {'are' if count > 1 else 'is'} missing {where}"
            moved = f"every line from {start} on is {lines} too high"
        else:
            what = f"there {'are' if count > 1 else 'is'} {count} extra line{'s' if count > 1 else ''} {where}"
            moved = f"every line from {start} on is {lines} too low"
        guide = range(anchor + 1, start + shift)
        what += (f" (the guide has {len(guide)} line{'s' if len(guide) != 1 else ''} there" +
                 "".join(f"{'; ' if i else ': '}{n} {BY_LINE[n].meaning}" for i, n in enumerate(guide)) +
                 f", this file {start - anchor - 1})")
        if start == first:
            found = (f"found '{self.line(first)}', which is what belongs on line {first + shift} "
                     f"({BY_LINE[first + shift].meaning})")
        else:
            found = f"found '{self.line(first)}', which the guide does not have here"
        # This message replaces the ones already given for the misfit line itself.
        self.problems = [(number, message) for number, message in self.problems if number != first]
        self.error(first, f"line {first} should be the {BY_LINE[first].meaning}, {found}: {what}; {moved}. "
                          f"`python3 {TIPC_DIR}/check_config.py --explain {self.path}` shows the guide's lines next "
                          "to this file")

    def check_model_name(self):
        key, value = self.key_value(2)
        if key == "model_name" and model_name_problem(value):
            self.error(2, f"{self.meaning(2)}: {model_name_problem(value)}")

    def check_python(self):
        key, python = self.key_value(3)
        if key != "python":
            return
        problem = python_problem(python)
        if problem:
            self.error(3, f"{self.meaning(3)}: {problem}")
        elif self.repo and not shutil.which(python):
            self.error(3, f"{self.meaning(3)}: expected a command on PATH or a path to a python, found '{python}'")

    def check_devices(self):
        key, gpu_list = self.key_value(4)
        if key != "gpu_list":
            return
        problem = gpu_list_problem(gpu_list)
        if problem:
            self.error(4, f"{self.meaning(4)}: {problem}")
            return
        _, devices = self.key_value(5)
        if devices is None:
            return
        entries, count = gpu_list.split("|"), len(devices.split("|"))
        if count not in (1, len(entries)):
            self.error(5, f"{self.meaning(5)}: expected one value for all entries or one per "
                          f"gpu_list entry ({len(entries)}), found {count} in '{devices}'")
        key, values = self.key_value(28)
        if (any(DeviceEntry.parse(e).kind == "gpu" for e in entries) and key and not is_null(key) and values
                and not any(is_gpu_value(v) for v in values.split("|"))):
            self.error(28, f"{self.meaning(28)}: gpu_list has GPU entries, but no value of '{values}' asks for a "
                           "GPU (True or gpu, any case): the harness would run their inference on the CPU; expected "
                           f"{BY_LINE[28].goes_here}")

    def check_modes(self):
        for field in FIELDS:
            if not field.per_mode:
                continue
            _, value = self.key_value(field.line)
            # Epochs and batch sizes never hold '='; a path or weights file may ("./runs/lr=0.1/w.pdparams").
            if value is None or "=" not in value or (field.name in ("pretrained", "data_path")
                                                     and not PER_MODE_VALUE.match(value)):
                continue
            for item in value.split("|"):
                mode = item.split("=", 1)[0]
                if "=" not in item or mode not in MODES:
                    self.error(field.line, f"{self.meaning(field.line)}: expected mode=value items with a "
                                           f"mode from {', '.join(MODES)}, found '{item}'")

    def check_trainers(self):
        key13, value13 = self.key_value(13)
        key14, _ = self.key_value(14)
        if key13 != "trainer" or key14 is None:
            return
        trainers = [t for t in value13.split("|") if t]
        if not trainers:
            self.error(13, f"{self.meaning(13)}: expected at least one trainer, e.g. "
                           f"'trainer:pact_train', found '{self.line(13)}'")
            return
        if key14 not in trainers:
            self.error(14, f"{self.meaning(14)}: expected the key to be a trainer listed on line 13 "
                           f"({', '.join(trainers)}), found '{self.line(14)}'")
        for trainer in trainers:
            if trainer != key14:
                self.error(13, f"{self.meaning(13)}: trainer '{trainer}' has no script line; "
                               f"expected '{trainer}:<script>' on line 14, found '{self.line(14)}'")

    def check_arguments(self):
        needed = required_keys(*(is_null(self.key_value(n)[1]) for n in (17, 22, 25)))
        for field in FIELDS:
            if field.kind != "argument":
                continue
            key, _ = self.key_value(field.line)
            if key is None:
                continue
            if key.strip() in ("", "null"):
                if field.name in needed:
                    self.error(field.line, f"{self.meaning(field.line)}: expected your script's argument name as "
                                           f"key ({needed[field.name]}), found '{self.line(field.line)}'")
                continue
            problem = key_problem(key)
            if problem:
                self.error(field.line, f"{self.meaning(field.line)}: the key '{key}' {problem}; "
                                       f"expected {field.goes_here}")

    def check_values(self):
        """Values the harness passes as they are: each one (each per-mode item, each '|' alternative of the device
        lines) must be a single, non-empty value without surrounding spaces."""
        for field in FIELDS:
            key, value = self.key_value(field.line)
            if field.name not in SINGLE_VALUES + ALTERNATIVES or key is None or key.strip() == "null":
                continue
            if field.name in ALTERNATIVES:
                values = value.split("|")
            elif field.per_mode:
                values = self.mode_values(value, items_only=True)  # check_modes reports an item without '='
            else:
                values = [value]
            for item in values:
                problem = value_problem(item, per_mode=field.per_mode)
                if problem:
                    self.error(field.line, f"{self.meaning(field.line)}: the value '{item}' {problem}; "
                                           f"expected {field.goes_here}")
                    break

    def check_option_keys(self):
        """Line 5 and line 28 keys are options: a key without a leading '-' would reach the script as a positional
        word (upstream's Step6 config has 'use-gpu', which its harness silently dropped) unless the commands end
        with -o, the override option that takes it (PaddleOCR's '... -o' followed by 'Global.use_gpu=True')."""
        receivers = {5: ("trainer_script", "eval"), 28: ("inference",)}
        for number, names in receivers.items():
            key, value = self.key_value(number)
            if key is None or key.strip() in ("", "null") or key.startswith("-"):
                continue
            commands = [self.config.value(name) or "" for name in names]
            if all(c.split()[-1:] == ["-o"] for c in commands if not is_null(c)):
                continue
            first = (value or "").split("|")[0]
            self.error(number, f"{self.meaning(number)}: the key '{key}' is not an option (no leading '-'): the "
                               f"harness would pass '{key}={first}' as a positional word, which an argparse script "
                               f"rejects; expected {BY_LINE[number].goes_here}")

    def check_image_path(self):
        """The image path inference reads exists, or is in a data set prepare.sh makes."""
        key, value = self.key_value(31)
        if key is None or key.strip() == "null" or not value or is_null(value) or os.path.exists(value):
            return
        if os.path.normpath(value).split(os.sep)[0] in PREPARED_DATA:
            return
        self.error(31, f"{self.meaning(31)}: expected the image or image folder '{value}' to exist relative to "
                       f"{os.getcwd()} (or to lie in {' or '.join('./' + d for d in PREPARED_DATA)}, which "
                       "prepare.sh makes), found nothing there")

    def check_scripts(self):
        checked = ["trainer_script", "eval", "norm_export", "inference"]
        if self.mode in (None, "whole_infer"):
            checked.append("infer_export")
        for field in FIELDS:
            if field.kind != "command":
                continue
            key, value = self.key_value(field.line)
            if key is None or (field.key is not None and key != field.key):
                continue
            if not value.strip():
                self.error(field.line, f"{self.meaning(field.line)}: expected a script path (or null), "
                                       f"found '{self.line(field.line)}'")
                continue
            if field.name == "inference" and is_null(value):
                self.error(field.line, f"{self.meaning(field.line)}: expected a script path (inference "
                                       f"cannot be switched off), found '{self.line(field.line)}'")
                continue
            problem = None if is_null(value) else command_problem(value)
            if problem:
                self.error(field.line, f"{self.meaning(field.line)}: '{value}' {problem}")
            elif field.name in checked:
                # Inference runs from the infer_workdir folder, so its command is written as seen from there.
                base = (self.config.value("infer_workdir") or "") if field.name == "inference" else ""
                self.check_script_file(field.line, self.meaning(field.line), value, base)

    def check_script_file(self, number, meaning, value, base=""):
        """The script of a command line, and the config file it is given with -c, exist (from BASE)."""
        words = split_command(value)
        if not self.repo or words[0] == "null":
            return
        where = os.path.join(os.getcwd(), base) if base else os.getcwd()
        if not os.path.isfile(os.path.join(base, words[0])):
            self.error(number, f"{meaning}: expected the script '{words[0]}' to exist relative to {where}, "
                               "found no such file")
        for option, path in zip(words, words[1:]):
            if option == "-c" and not os.path.isfile(os.path.join(base, path)):
                self.error(number, f"{meaning}: expected the config file '-c {path}' to exist relative to {where}, "
                                   "found no such file")

    def check_extensions(self):
        for number, message in self.config.extension_problems:
            self.error(number, message)
        for field in EXTENSIONS:
            entry = self.config.get(field.name)
            if entry is None:
                continue
            meaning = f"{field.meaning} (line {entry.line})"
            if field.kind == "command":
                self.check_command_items(entry, meaning)
            elif field.kind == "flag":
                if flag_problem(entry.value):
                    self.error(entry.line, f"{meaning}: {flag_problem(entry.value)}")
            elif field.kind == "value":
                self.check_value_line(entry, meaning, field)
            elif field.kind == "argument" and entry.key != "null":
                problem = key_problem(entry.key) or next(
                    (f"has the value '{v}', which {p}" for v in self.mode_values(entry.value)
                     for p in [value_problem(v, per_mode=True)] if p), None)
                if problem:
                    self.error(entry.line, f"{meaning}: '{entry.text}' {problem}; expected {field.goes_here}")
            elif entry.key != "null":
                problem = key_problem(entry.key)
                if problem:
                    self.error(entry.line, f"{meaning}: the key '{entry.key}' {problem}; expected {field.goes_here}")
                elif not entry.value.strip() or any(not item.strip() or item != item.strip()
                                                    for item in entry.value.split("|")):
                    self.error(entry.line, f"{meaning}: expected one or more values separated by '|' (or null), "
                                           f"found '{entry.text}'; expected {field.goes_here}")

    @staticmethod
    def mode_values(value, items_only=False):
        """The values of a line that may hold per-mode items (an item without '=' counts as an empty value, or is
        left out with ITEMS_ONLY)."""
        if MODE_ITEMS.match(value):
            return [item.partition("=")[2] for item in value.split("|") if "=" in item or not items_only]
        return [value]

    def check_value_line(self, entry, meaning, field):
        value = entry.value
        if field.name == "infer_pattern" and pattern_problem(value):
            self.error(entry.line, f"{meaning}: {pattern_problem(value)}")
            return
        if field.name == "step_timeout" and step_timeout_problem(value):
            self.error(entry.line, f"{meaning}: {step_timeout_problem(value)}")
            return
        if field.name == "int8_check":
            if not is_null(value) and command_problem(value):
                self.error(entry.line, f"{meaning}: '{value}' {command_problem(value)}; expected {field.goes_here}")
            return
        if field.name == "python_path":
            problem = python_path_problem(value) or (self.repo and next(
                (f"expected the folder '{folder}' to exist relative to {os.getcwd()}, found no such folder"
                 for _, folder in python_path_entries(value) if not os.path.isdir(folder)), None))
            if problem:
                self.error(entry.line, f"{meaning}: {problem}")
            return
        if not value.strip() or value != value.strip():
            self.error(entry.line, f"{meaning}: expected {field.goes_here}, found '{entry.text}'")
        elif field.name == "infer_workdir" and self.repo and not os.path.isdir(value):
            self.error(entry.line, f"{meaning}: expected the folder '{value}' to exist relative to {os.getcwd()}, "
                                   "found no such folder")

    def check_command_items(self, entry, meaning):
        """A command (or null), or mode=<command> items."""
        items = [(None, entry.value)]
        if MODE_ITEMS.match(entry.value):
            items = [tuple(item.split("=", 1)) if "=" in item else (item, None) for item in entry.value.split("|")]
        for mode, command in items:
            if mode is not None and (mode not in MODES or command is None):
                self.error(entry.line, f"{meaning}: expected mode=<script> items with a mode from {', '.join(MODES)}, "
                                       f"found '{mode}{'' if command is None else '=' + command}'")
                continue
            if not command.strip():
                self.error(entry.line, f"{meaning}: expected a script path (or null), found '{entry.text}'")
                continue
            if is_null(command):
                continue
            problem = command_problem(command)
            if problem:
                self.error(entry.line, f"{meaning}: '{command}' {problem}")
            elif mode in (None, self.mode) or self.mode is None:
                self.check_script_file(entry.line, meaning, command)


def explain(checker):
    """The guide's table with this config's lines and their problems, for a person to read."""
    by_line = {}
    for number, message in checker.problems:
        by_line.setdefault(number, []).append(message)
    out = [f"{checker.path}: {len(checker.lines)} lines, checked against the guide's train_pact_infer_python.txt "
           "layout (TIPC PACT guide, section 2.2)", ""]
    for message in by_line.pop("MODE", []) + by_line.pop(None, []):
        out.append(f"PROBLEM: {message}")
    if out[-1] != "":
        out.append("")
    for field in FIELDS:
        text = checker.line(field.line)
        mark = "!!" if field.line in by_line else "  "
        out.append(f"{mark} line {field.line:2d}: {field.meaning} [guide: {field.guide}]")
        out.append(f"            this config: {'(missing)' if text is None else text}")
        out.append(f"            goes here:   {field.goes_here}")
        for message in by_line.pop(field.line, []):
            out.append(f"            PROBLEM:     {message}")
    if len(checker.lines) > REQUIRED_LINES:
        out.append("   optional extensions (upstream scripts ignore them):")
        named = {entry.line: FIELD[name] for name, entry in (checker.config.entries.items() if checker.config else ())
                 if entry.line > REQUIRED_LINES}
        named[REQUIRED_LINES + 1] = FIELD["extension_header"]
        for number in range(REQUIRED_LINES + 1, len(checker.lines) + 1):
            field = named.get(number)
            mark = "!!" if number in by_line else "  "
            out.append(f"{mark} line {number:2d}: {field.meaning if field else 'not read by the harness'}"
                       + (f" [{field.guide}]" if field else ""))
            out.append(f"            this config: {checker.line(number)}")
            if field:
                out.append(f"            goes here:   {field.goes_here}")
            for message in by_line.pop(number, []):
                out.append(f"            PROBLEM:     {message}")
    out += ["", f"{len(checker.problems)} problem{'s' if len(checker.problems) != 1 else ''}. "
                "The commands the harness builds from these lines, without running them:",
            f"    TIPC_DRY_RUN=1 bash {TIPC_DIR}/test_train_inference_python.sh {checker.path} lite_train_lite_infer"]
    return "\n".join(out)


# ---------------------------------------------------------------- entries of gpu_list

class DeviceEntry(NamedTuple):
    """One gpu_list entry: -1 (one CPU process), -1,-1 (two), 0 (GPU 0), 0,1 (GPUs 0 and 1)."""
    text: str
    kind: str   # cpu or gpu
    nproc: int
    tag: str    # names its logs and output folder: cpu, cpu_x2, gpus_0, gpus_0,1

    @classmethod
    def parse(cls, text):
        items = text.split(",")
        kind = "cpu" if set(items) == {"-1"} else "gpu"
        if kind == "cpu":
            tag = "cpu" if len(items) == 1 else f"cpu_x{len(items)}"
        else:
            tag = f"gpus_{text}"
        return cls(text, kind, len(items), tag)

    def env(self):
        """The environment words in front of every command of the entry. GPU entries expose every card of the
        entry (0,1 means both cards). A single CPU process hides all cards. A multi-process CPU entry must not
        set CUDA_VISIBLE_DEVICES at all: paddle.distributed.launch reads an empty value as one GPU label and
        fails (IndexError in _build_pod_with_master, Paddle 2.6 and 3.x); unset, a CPU build of Paddle detects
        no GPU and starts the processes over gloo."""
        if self.kind == "gpu":
            return ["env", f"CUDA_VISIBLE_DEVICES={self.text}"]
        if self.nproc > 1:
            return ["env", "-u", "CUDA_VISIBLE_DEVICES"]
        return ["env", "CUDA_VISIBLE_DEVICES="]

    def launch(self, log_dir):
        """The words that start a multi-process entry under paddle.distributed.launch (none for one process):
        CPU entries run N processes over gloo, GPU entries one process per listed card."""
        if self.nproc <= 1:
            return []
        spread = f"--nproc_per_node={self.nproc}" if self.kind == "cpu" else f"--devices={self.text}"
        return ["-m", "paddle.distributed.launch", f"--log_dir={log_dir}", spread]


def device_entries(config):
    return [DeviceEntry.parse(text) for text in config.value("gpu_list").split("|")]


def entry_device(config, index):
    """Line 5's value for the INDEX-th entry; a value without alternatives applies to every entry."""
    values = config.value("device").split("|")
    return values[0] if len(values) == 1 else values[index]


def selected_entries(config, devices):
    """(index, entry, reason it is not selected or "") for every gpu_list entry."""
    return [(i, e, "" if devices in ("all", e.kind) else f"entry {e.text} not selected (TIPC_DEVICES={devices})")
            for i, e in enumerate(device_entries(config))]


def shell_word(value):
    """VALUE as one shell word: unchanged when it holds only characters the shell passes through."""
    return value if PLAIN_WORD.match(value) else shlex.quote(value)


def from_workdir(path, workdir):
    """PATH (relative to the repo root) as seen from WORKDIR (relative to the repo root)."""
    if not workdir or not path or is_null(path) or os.path.isabs(path):
        return path
    return os.path.relpath(path, workdir)


def word_safe(value):
    """A value as part of a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", value)


def infer_device_tag(value):
    lower = (value or "").lower()
    if lower in ("true", "gpu"):
        return "gpu"
    if lower in ("false", "cpu"):
        return "cpu"
    if lower in ("", "null"):
        return "default"
    return word_safe(value)


# ---------------------------------------------------------------- the plan of the chain

class Step(NamedTuple):
    """One step: run ``argv`` with its output in ``log``, or skip it.

    skip: why it is skipped (when the chain it belongs to is not already skipped for a reason of its own).
    then_skip: the reason the rest of the chain is skipped after this step is skipped.
    on_fail: the reason the rest of the chain is skipped when this step fails ("" : the chain goes on).
    check, check_arg: what a step that exited 0 must have done: "weights" FILE (written), "model" FOLDER (an
        inference model written there), "predictions" N (N lines of its output match the prediction pattern).
    int8_report: for an inference step, the JSON report of the int8 step on the same model: when that model is
        quantized and the step does not report running it in int8, its row says so (int8_check.py note).
    cwd: the folder the step runs in ("": the repo root).
    """
    chain: int
    label: str
    log: str
    argv: Tuple[str, ...] = ()
    skip: str = ""
    then_skip: str = ""
    on_fail: str = ""
    check: str = ""
    check_arg: str = ""
    cwd: str = ""
    timeout: str = ""
    int8_report: str = ""  # an inference step: the report of the int8 step on the model it runs ("" : none)
    int8_switch: str = ""  # an inference step: the config's argument that would run it with int8 kernels


class Chain(NamedTuple):
    skip: str        # why the whole chain is skipped ("" when it runs)
    needs_gpu: bool  # its entry is a GPU entry: the harness checks for CUDA before its first step


class Planner:
    """The steps of MODE: for every gpu_list entry, train -> eval -> export -> accuracy -> inference of each
    trainer (whole_infer: export of the line-24 weights -> accuracy -> inference)."""

    def __init__(self, config, mode):
        self.c = config
        self.mode = mode
        self.python = config.value("python")
        self.log_path = f"./log/{config.value('model_name')}/{mode}"
        self.limits = {**STEP_TIMEOUTS, **step_timeouts(config.value("step_timeout"))}
        self.chains = []
        self.steps = []
        self.entry_kind = "cpu"
        self.int8_report = ""  # the report of the current chain's int8 step ("" : none planned)

    def step(self, label, argv=(), **kwargs):
        kind = label.rsplit("/", 1)[1].split("_", 1)[0]  # train, eval, export, fp32, accuracy, int8, infer
        self.steps.append(Step(len(self.chains) - 1, label, f"{self.log_path}/{label.replace('/', '_')}.log",
                               tuple(argv), timeout=str(self.limits[kind]), **kwargs))

    def arg(self, name, value):
        return key_words(self.c.key(name), value)

    def mode_arg(self, name):
        """The words of an optional per-mode argument line for this mode (none without the line)."""
        return self.arg(name, self.c.value(name, self.mode)) if self.c.get(name) else []

    def plan(self, devices):
        trainers = [t for t in self.c.value("trainer").split("|") if t]
        for index, entry, skip in selected_entries(self.c, devices):
            self.entry_kind, self.int8_report = entry.kind, ""
            if self.mode == "whole_infer":
                if entry.nproc > 1 and not skip:
                    skip = "whole_infer runs single-process entries only"
                self.chains.append(Chain(skip, entry.kind == "gpu"))
                self.whole_infer_chain(entry, entry_device(self.c, index))
                continue
            for trainer in trainers:
                self.chains.append(Chain(skip, entry.kind == "gpu"))
                self.train_chain(trainer, entry, entry_device(self.c, index))
        return self.steps

    def train_chain(self, trainer, entry, device):
        self.int8_report = ""
        prefix = f"{trainer}_{entry.tag}"
        save_dir = f"{self.log_path}/{prefix}"
        weights = f"{save_dir}/{self.c.value('train_model_name')}"
        env = entry.env()
        script = self.c.value("trainer_script") if trainer == self.c.key("trainer_script") else None
        if not script or is_null(script):
            self.step(f"{prefix}/train", skip=f"no script for trainer {trainer} on line 14",
                      then_skip=f"trainer {trainer} has no script, nothing to evaluate")
        else:
            self.step(f"{prefix}/train", [
                *env, self.python, *entry.launch(f"{save_dir}/launch_logs"), *split_command(script),
                *self.arg("device", device), *self.arg("output_dir", save_dir),
                *self.arg("epochs", self.c.value("epochs", self.mode)),
                *self.arg("pretrained", self.c.value("pretrained", self.mode)),
                *self.arg("batch_size", self.c.value("batch_size", self.mode)),
                *self.arg("data_path", self.c.value("data_path", self.mode)), *self.mode_arg("train_list")],
                on_fail="train failed", check="weights", check_arg=weights)
        eval_script = self.c.value("eval")
        if is_null(eval_script):
            self.step(f"{prefix}/eval", skip="line 17 (eval) is null")
        else:
            data = (self.mode_arg("eval_data_path") if self.c.get("eval_data_path")
                    else self.arg("data_path", self.c.value("data_path", self.mode)))
            self.step(f"{prefix}/eval", [
                *env, self.python, *split_command(eval_script), *self.arg("device", device),
                *self.arg("pretrained", weights), *data, *self.mode_arg("eval_list")])
        export_script = self.c.value("norm_export")
        if is_null(export_script):
            self.step(f"{prefix}/export", skip="line 22 (norm_export) is null",
                      then_skip="nothing exported (line 22 is null)")
        else:
            self.export_steps(prefix, env, export_script, weights, save_dir, device)
        self.infer_steps(prefix, env, entry.kind, save_dir)

    def whole_infer_chain(self, entry, device):
        prefix = f"whole_infer_{entry.tag}"
        save_dir = f"{self.log_path}/{prefix}"
        model_dir = self.c.value("model_dir")
        env = entry.env()
        if is_null(self.c.value("infer_export")):
            self.step(f"{prefix}/export",
                      skip=f"line 25 (infer_export) is null: inference runs the model in {model_dir}")
            accuracy = self.c.value("accuracy_check", self.mode)
            if accuracy and not is_null(accuracy):
                self.step(f"{prefix}/accuracy",
                          skip="line 25 (infer_export) is null: no export of the line-24 weights to check")
            self.int8_step(prefix, env, model_dir)
        else:
            model_dir = save_dir
            self.export_steps(prefix, env, self.c.value("infer_export"), self.c.value("train_model"), save_dir,
                              device)
        self.infer_steps(prefix, env, entry.kind, model_dir)

    def export_steps(self, prefix, env, script, weights, save_dir, device):
        """The export, which must leave an inference model in SAVE_DIR (else the chain's inference is skipped),
        then the accuracy check of that export (an optional extension line), whose failure stops nothing."""
        self.step(f"{prefix}/export", [*env, self.python, *split_command(script),
                                       *(self.arg("device", device) if self.c.flag("export_device") else []),
                                       *self.arg("export_weights", weights), *self.arg("save_inference_dir", save_dir)],
                  on_fail="export failed", check="model", check_arg=save_dir)
        accuracy = self.c.value("accuracy_check", self.mode)
        if accuracy and is_null(accuracy):
            self.step(f"{prefix}/accuracy", skip=f"{self.c.where('accuracy_check')} (accuracy_check) is null")
        elif accuracy:
            self.step(f"{prefix}/accuracy", [*env, self.python, *split_command(accuracy),
                                             *self.arg("export_weights", weights), *self.arg("model_dir", save_dir)])
        self.int8_step(prefix, env, save_dir, self.fp32_export_step(prefix, env, device))

    def fp32_export_step(self, prefix, env, device):
        """The optional FP32 export of the mode's line-9 weights, for the int8 step to compare with; returns its
        folder ("" when there is none)."""
        command = self.c.value("fp32_export", self.mode)
        if not command:
            return ""
        if is_null(command):
            self.step(f"{prefix}/fp32_export", skip=f"{self.c.where('fp32_export')} (fp32_export) is null")
            return ""
        weights = self.c.value("pretrained", self.mode)
        if not weights or is_null(weights):
            self.step(f"{prefix}/fp32_export", skip=f"line 9 names no FP32 weights in {self.mode}")
            return ""
        save_dir = f"{self.log_path}/{prefix}_fp32"
        self.step(f"{prefix}/fp32_export", [
            *env, self.python, *split_command(command),
            *(self.arg("device", device) if self.c.flag("export_device") else []),
            *self.arg("export_weights", weights), *self.arg("save_inference_dir", save_dir)],
            check="model", check_arg=save_dir)
        return save_dir

    def int8_step(self, prefix, env, model_dir, fp32_dir=""):
        """The harness's own int8 step on the export in MODEL_DIR (test_tipc/int8_check.py check): with and without
        oneDNN int8 kernels on the inference images and the mode's data set; its failure stops nothing."""
        options = self.c.value("int8_check")
        self.int8_report = ""
        if os.environ.get("TIPC_INT8_CHECK") == "0":
            return  # turned off for this run (the harness says so once, in its hints)
        if options is not None and is_null(options):
            self.step(f"{prefix}/int8", skip=f"{self.c.where('int8_check')} (int8_check) is null")
            return
        data = (self.c.value("eval_data_path", self.mode) if self.c.get("eval_data_path")
                else self.c.value("data_path", self.mode))
        images = self.c.value("img_path")
        self.int8_report = f"{self.log_path}/{prefix}_int8.json"
        self.step(f"{prefix}/int8", [
            *env, self.python, os.path.join(TIPC_DIR, "int8_check.py"), "check", f"--model-dir={model_dir}",
            *([f"--images={images}"] if images and not is_null(images) else []),
            *([f"--data={data}"] if data and not is_null(data) else []),
            *([f"--fp32-model-dir={fp32_dir}"] if fp32_dir else []), f"--device={self.entry_kind}",
            f"--report={self.int8_report}", *split_command(options or "")])

    def infer_steps(self, prefix, env, kind, model_dir):
        """Every line-28 device value x every line-29 batch size, and with the extension lines the loops:
        oneDNN x threads x precision for a CPU value, TensorRT x precision for a GPU value."""
        script = split_command(self.c.value("inference"))
        workdir = self.c.value("infer_workdir") or ""
        model_dir, img_path = from_workdir(model_dir, workdir), from_workdir(self.c.value("img_path"), workdir)
        images = self.c.value("img_path") or ""  # what check_step.py predictions reads, from the repo root
        device_values = (self.c.value("use_gpu") or "").split("|")
        batches = (self.c.value("infer_batch_size") or "").split("|")
        for use_gpu in [v or None for v in device_values]:
            loops = ("use_tensorrt", "precision") if use_gpu and is_gpu_value(use_gpu) else (
                "enable_mkldnn", "cpu_threads", "precision")
            for combo in self.loop_combinations(loops):
                tag = "_".join(f"{LOOPS[name][1]}_{word_safe(value)}" for name, _, value in combo if value)
                for batch in [b or None for b in batches]:
                    label = (f"{prefix}/infer_{infer_device_tag(use_gpu)}{'_' + tag if tag else ''}"
                             f"_batchsize_{word_safe(batch or 'null')}")
                    if kind == "cpu" and use_gpu and is_gpu_value(use_gpu):
                        self.step(label, skip=f"{self.c.key('use_gpu')}={use_gpu} needs a GPU entry")
                        continue
                    self.step(label, [
                        *env, self.python, *script, *self.arg("use_gpu", use_gpu),
                        *[word for _, key, value in combo for word in key_words(key, value)],
                        *self.arg("model_dir", model_dir), *self.arg("infer_batch_size", batch),
                        *self.arg("img_path", img_path), *self.arg("benchmark", self.c.value("benchmark"))],
                        check="predictions", check_arg=images, cwd=workdir, int8_report=self.int8_report,
                        int8_switch=int8_switch(combo))

    def loop_combinations(self, names):
        """Every combination of the values of the loops NAMES, as ((name, key, value), ...)."""
        combos = [()]
        for name in names:
            key, values = self.c.loop(name)
            combos = [combo + ((name, key, value),) for combo in combos for value in values]
        return combos

    def hints(self):
        """What is missing before the chain runs, with what makes it."""
        hints = []
        if os.environ.get("TIPC_INT8_CHECK") == "0":
            hints.append("TIPC_INT8_CHECK=0: the int8 step is off for this run; nothing checks that the exported "
                         "model runs in int8")
        if self.mode == "whole_infer":
            return hints
        prepare = shell_word(os.path.join(TIPC_DIR, "prepare.sh"))
        for name, what in (("data_path", "data set"), ("pretrained", "weights")):
            value = self.c.value(name, self.mode)
            if value and not is_null(value) and not os.path.exists(value):
                hints.append(f"{what} '{value}' (config {self.c.where(name)}) not found: run bash "
                             f"{prepare} {shell_word(self.c.path)} {self.mode} first")
        return hints


# ---------------------------------------------------------------- what prepare.sh makes

def prepare_plan(config, mode, devices):
    """The variables prepare.sh acts on: (scalars, arrays)."""
    if mode == "whole_infer":
        return {"PREP_ACTION": "whole_infer", "PREP_WEIGHTS": config.value("train_model"),
                "PREP_EXPORT_NULL": str(int(is_null(config.value("infer_export")))),
                "PREP_MODEL_DIR": config.value("model_dir"),
                "PREP_TRAIN_MODEL_NAME": config.value("train_model_name")}, {}
    if mode != "whole_train_whole_infer":
        return {"PREP_ACTION": "lite"}, {}
    data_path = config.value("data_path", mode) or ""
    weights = config.value("pretrained", mode)
    where = config.where("fp32_pretrain")
    out = {"PREP_ACTION": "whole", "PREP_DATA_PATH": data_path,
           "PREP_BUILD_WHOLE": str(int(data_path.rstrip("/") in ("./whole_data", "whole_data"))),
           "PREP_WEIGHTS": "" if not weights or is_null(weights) else weights, "PREP_FP32_WHERE": where,
           "PREP_FP32_MISSING": (f"{where} (fp32_pretrain) gives no command that trains them"
                                 if config.get("fp32_pretrain")
                                 else "the config has no fp32_pretrain line that trains them")}
    command = config.value("fp32_pretrain", mode)
    if not command or is_null(command) or not out["PREP_WEIGHTS"]:
        return out, {"PREP_FP32_ARGV": []}
    index, entry = next(((i, e) for i, e, skip in selected_entries(config, devices) if not skip), (None, None))
    if entry is None:
        out["PREP_FP32_ERROR"] = (f"{config.path}:4: no gpu_list entry is selected by TIPC_DEVICES={devices}, so "
                                  f"there is no device for the FP32 training ({where}); run with TIPC_DEVICES=all "
                                  "or a kind of entry the config has")
        return out, {"PREP_FP32_ARGV": []}
    run_dir = (weights[: -len(".pdparams")] if weights.endswith(".pdparams") else weights) + "_train"
    single = DeviceEntry.parse(entry.text.split(",")[0])  # the FP32 training runs as one process
    argv = [*single.env(), config.value("python"), *split_command(command),
            *key_words(config.key("device"), entry_device(config, index)),
            *key_words(config.key("output_dir"), run_dir), *key_words(config.key("data_path"), data_path),
            *(key_words(config.key("train_list"), config.value("train_list", mode))
              if config.get("train_list") else [])]
    out.update(PREP_FP32_RUN_DIR=run_dir, PREP_FP32_TRAINED=f"{run_dir}/{config.value('train_model_name')}")
    return out, {"PREP_FP32_ARGV": argv}


# ---------------------------------------------------------------- command line

def bash_assign(name, value):
    if isinstance(value, (list, tuple)):
        return f"{name}=({' '.join(shlex.quote(str(v)) for v in value)})"
    return f"{name}={shlex.quote(str(value))}"


def validated(path, mode, devices):
    """The parsed config, after the checker found nothing; problems go to stderr and raise SystemExit(2)."""
    problems = Checker(path, mode).run()
    if devices not in DEVICE_SELECTIONS:
        problems.append(f"TIPC_DEVICES: expected cpu, gpu or all, found '{devices}'")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise SystemExit(2)
    return load(path)[0]


def int8_switch(combo):
    """The loop arguments that would run an inference step of loop values COMBO ((name, key, value), ...) with int8
    kernels, where the config's loop lines know them ("" : none): oneDNN on, precision int8."""
    words = []
    for name, key, value in combo:
        if name == "enable_mkldnn" and value and value.lower() in ("false", "0", "no"):
            words += key_words(key, "True")
        elif name == "precision" and value and value.lower() not in ("int8", "auto"):
            words += key_words(key, "int8")
    return " ".join(words)


def print_plan(path, mode, devices):
    config = validated(path, mode, devices)
    planner = Planner(config, mode)
    steps = planner.plan(devices)
    out = [bash_assign("PLAN_MODEL_NAME", config.value("model_name")),
           bash_assign("PLAN_GPU_LIST", config.value("gpu_list")),
           bash_assign("PLAN_LOG_PATH", planner.log_path),
           bash_assign("PLAN_WEIGHTS_LINE", config.where("train_model_name") + ", " + config.key("train_model_name")),
           bash_assign("PLAN_HINTS", planner.hints()),
           bash_assign("PLAN_PYTHON", config.value("python")),
           bash_assign("PLAN_INFER_PATTERN", config.value("infer_pattern") or ""),
           bash_assign("PLAN_PYTHON_PATH", [f"{name or ''}={folder}" for name, folder in
                                            python_path_entries(config.value("python_path") or "") if folder]),
           bash_assign("PLAN_INFER_PATTERN_WHERE", config.where("infer_pattern") if config.get("infer_pattern")
                       else ""),
           bash_assign("PLAN_INT8_STRICT", str(int(config.flag("int8_strict")))),
           bash_assign("C_SKIP", [c.skip for c in planner.chains]),
           bash_assign("C_GPU", [int(c.needs_gpu) for c in planner.chains])]
    for field in Step._fields:
        if field != "argv":
            out.append(bash_assign(f"S_{field.upper()}", [getattr(s, field) for s in steps]))
    out += [bash_assign(f"S_ARGV_{i}", s.argv) for i, s in enumerate(steps)]
    print("\n".join(out))


def print_prepare(path, mode, devices):
    config = validated(path, mode, devices)
    scalars, arrays = prepare_plan(config, mode, devices)
    print("\n".join([bash_assign("PREP_PYTHON", config.value("python"))]
                    + [bash_assign(k, v) for k, v in {**scalars, **arrays}.items()]))


def main(argv):
    usage = f"usage: python3 {argv[0]} plan|prepare CONFIG MODE"
    if len(argv) != 4 or argv[1] not in ("plan", "prepare"):
        print(usage, file=sys.stderr)
        return 2
    devices = os.environ.get("TIPC_DEVICES") or "all"
    (print_plan if argv[1] == "plan" else print_prepare)(argv[2], argv[3], devices)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
