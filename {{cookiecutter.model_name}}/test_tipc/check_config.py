#!/usr/bin/env python3
"""Check a train_pact_infer_python.txt config against the guide's 32-line layout.

Usage (from the repo root, as the shell scripts run it):
    python3 test_tipc/check_config.py CONFIG [MODE]        problems only: silent and exit 0 when valid
    python3 test_tipc/check_config.py --explain CONFIG     every line: its meaning in the guide, what goes
                                                           there, this config's text, and its problems

Each problem is one line, ``CONFIG:LINE: <what the line is> (line N): expected ..., found '...'``, on stderr;
the exit status is 2 when there is any (prepare.sh and test_train_inference_python.sh stop there). When a
line was deleted or added in the middle, a message names the first displaced line, what belongs there and
what is there instead. Script paths are checked relative to the current directory. Standard library only:
it runs before Paddle or any other dependency is known to be there.

The rules for argument names and command lines (KEY_WORD, key_problem, command_problem) are also what the
cookiecutter template's pre-generation hook applies to the answers it turns into a config.
"""
import argparse
import os
import re
import sys
from collections import namedtuple

MODES = (
    "lite_train_lite_infer",
    "lite_train_whole_infer",
    "whole_train_whole_infer",
    "whole_infer",
)

Line = namedtuple("Line", "key meaning guide goes_here")
# The guide's 32-line layout (section 2.2): line number -> fixed key (None: a header or separator, or the
# contributor's own argument name such as "--epochs"), what the line is, the guide's name for it, and what
# to write there.
CONFIG_LINES = {
    1: Line(None, "train_params header", "注释", f"the header line {'=' * 27}train_params{'=' * 27}"),
    2: Line("model_name", "model name", "模型名字", "model_name:<your model's name>; it names log/<model_name>/"),
    3: Line("python", "python command", "python环境", "python:<the python that runs every step>, e.g. python3"),
    4: Line("gpu_list", "device list (-1 = CPU process, card ids = GPUs; '|' separates entries)", "gpu id",
            "gpu_list:<entries separated by '|'>: -1 one CPU process, -1,-1 two, 0 GPU 0, 0,1 GPUs 0 and 1"),
    5: Line(None, "device argument and its value per gpu_list entry", "是否使用GPU",
            "<your training script's device argument>:<its value for each gpu_list entry>, "
            "e.g. --device:cpu|cpu|gpu|gpu or -o Global.device:cpu|gpu"),
    6: Line(None, "epochs argument (per mode)", "迭代的epoch数目",
            "<your epochs argument>:lite_train_lite_infer=<N>|whole_train_whole_infer=<N>, e.g. --epochs:..."),
    7: Line(None, "training output directory argument", "输出目录",
            "<your output directory argument>:./output/ (the harness sets the value to log/.../<trainer>_<entry>)"),
    8: Line(None, "training batch size argument (per mode)", "训练的batch size",
            "<your batch size argument>:lite_train_lite_infer=<N>|whole_train_whole_infer=<N>"),
    9: Line(None, "pretrained weights argument (per mode)", "预训练模型",
            "<the argument that loads weights>:<FP32 weights to start from, or null; or per mode, e.g. "
            "lite_train_lite_infer=null|whole_train_whole_infer=./pretrain_models/fp32.pdparams>; evaluation "
            "passes the trained weights with the same argument"),
    10: Line("train_model_name", "file name of the weights training saves", "训练结果的模型名字",
             "train_model_name:<the file training writes in its output directory>, e.g. latest.pdparams"),
    11: Line(None, "data set path argument (per mode)", "数据集路径",
             "<your data path argument>:<data set path>, e.g. --data-path:./lite_data, or per mode, e.g. "
             "lite_train_lite_infer=./lite_data|whole_train_whole_infer=./whole_data"),
    12: Line(None, "separator", "段落分隔符", "##"),
    13: Line("trainer", "list of trainers", "训练方法", "trainer:pact_train"),
    14: Line(None, "training script of the trainer (trainer name as key)", "pact_train的训练脚本",
             "pact_train:<training script and the fixed arguments that turn PACT on>, "
             "e.g. pact_train:train.py --pact_quant"),
    15: Line(None, "separator", "段落分隔符", "##"),
    16: Line(None, "eval_params header", "注释", f"the header line {'=' * 27}eval_params{'=' * 27}"),
    17: Line("eval", "evaluation script", "评估脚本", "eval:<evaluation script and fixed arguments>, or eval:null"),
    18: Line(None, "separator", "段落分隔符", "##"),
    19: Line(None, "infer_params header", "注释", f"the header line {'=' * 27}infer_params{'=' * 27}"),
    20: Line(None, "export output directory argument", "动转静输出目录",
             "<your export script's output directory argument>:<any path> (the harness sets the value)"),
    21: Line(None, "export weights argument", "预训练模型路径",
             "<your export script's weights argument>: (empty value; the harness passes the trained weights)"),
    22: Line("norm_export", "export script", "模型动转静导出命令",
             "norm_export:<export script and fixed arguments>, e.g. norm_export:tools/export_model.py --pact_quant"),
    23: Line(None, "separator", "段落分隔符", "##"),
    24: Line("train_model", "trained weights for whole_infer", "训练模型保存路径",
             "train_model:<weights the whole_infer mode exports>"),
    25: Line("infer_export", "export script for whole_infer", "推理前是否需要导出",
             "infer_export:<the same as line 22>, or infer_export:null to run inference on line 30's model"),
    26: Line(None, "separator", "段落分隔符", "##"),
    27: Line("inference", "inference script", "推理脚本", "inference:<inference script and fixed arguments>"),
    28: Line(None, "inference device argument and values", "是否使用GPU",
             "<your inference device argument>:<GPU value>|<CPU value>, e.g. --use-gpu:True|False"),
    29: Line(None, "inference batch size argument and values", "推理batch size",
             "<your inference batch size argument>:1 (several sizes separated by '|')"),
    30: Line(None, "inference model directory argument", "推理模型保存路径",
             "<your inference model directory argument>:<model dir whole_infer uses when line 25 is null>"),
    31: Line(None, "image path argument", "图片路径或者图片文件夹路径",
             "<your image argument>:<an image or a folder of images>"),
    32: Line(None, "benchmark argument", "是否使用benchmark",
             "<your benchmark argument>:<its value>, e.g. --benchmark:True"),
}
REQUIRED_LINES = len(CONFIG_LINES)
# Optional extensions after line 32 (upstream scripts ignore them): a header, then lines read by position like
# the first 32. The block may end after any of its lines; an absent line, a null key or a null value turns its
# step or loop off. Lines 35-38 loop the inference step over their '|' values (with the line-29 batch sizes),
# one log per combination. Line 39 is read by prepare.sh only.
EXTENSION_HEADER = f"{'=' * 27}infer_benchmark_params{'=' * 27}"
EXTENSION_HEADER_RE = re.compile(r"^=+infer_benchmark_params=+$")
EXTENSION_LINES = {
    33: Line(None, "infer_benchmark_params header (optional extensions)", "扩展：注释",
             f"the header line {EXTENSION_HEADER}, needed before any of lines 34-39"),
    34: Line("accuracy_check", "accuracy check script, run after every export", "扩展：精度检查脚本",
             "accuracy_check:<script and fixed arguments> run as <script> <line 21 key>=<exported weights> "
             "<line 30 key>=<export folder>, e.g. accuracy_check:tools/check_accuracy.py --img-path=./lite_data/val; "
             "or mode=<script> items separated by '|' (e.g. a --compare-results ground truth for whole_infer only); "
             "or accuracy_check:null"),
    35: Line(None, "oneDNN (MKLDNN) loop of CPU inference", "扩展：CPU 是否开启 mkldnn",
             "<your inference script's oneDNN argument>:<values>, e.g. --enable-mkldnn:True|False "
             "(CPU inference only)"),
    36: Line(None, "CPU threads loop of CPU inference", "扩展：CPU 线程数",
             "<your CPU threads argument>:<values>, e.g. --cpu-threads:1|2 (CPU inference only)"),
    37: Line(None, "precision loop of inference", "扩展：推理精度",
             "<your precision argument>:<values>, e.g. --precision:auto or --precision:fp32|int8"),
    38: Line(None, "TensorRT loop of GPU inference", "扩展：GPU 是否开启 TensorRT",
             "<your TensorRT argument>:<values>, e.g. --use-tensorrt:False|True (GPU inference only)"),
    39: Line("fp32_pretrain", "FP32 training that prepare.sh runs when line 9's weights are missing",
             "扩展：FP32 预训练脚本",
             "fp32_pretrain:<training script and fixed arguments, without PACT> run by prepare.sh as <script> "
             "<line 5 key>=<device> <line 7 key>=<line 9 weights without .pdparams>_train <line 11 key>=<data set>, "
             "whose <line 10> file becomes the line-9 weights; or mode=<script> items separated by '|'; "
             "or fp32_pretrain:null"),
}
LAST_EXTENSION_LINE = max(EXTENSION_LINES)
HEADER_LINES = (1, 12, 15, 16, 18, 19, 23, 26)
# Lines that may hold "mode=value" items, one per mode.
PER_MODE_LINES = (6, 8, 9, 11)
PER_MODE_VALUE = re.compile(r"^[A-Za-z_]+=")
# Lines whose key is the contributor's own argument name; the harness writes "<key>=<value>" unquoted.
ARGUMENT_LINES = (5, 6, 7, 8, 9, 11, 20, 21, 28, 29, 30, 31, 32)
COMMAND_LINES = (14, 17, 22, 25, 27)
FIXED_KEYS = {line.key: number for number, line in CONFIG_LINES.items() if line.key}
GPU_ITEM = re.compile(r"^(-1|[0-9]+)$")

# Characters bash passes through untouched when the harness evals a command line (the same set as
# TIPC_PLAIN_WORD in common_func.sh). Keys and commands are written into that command line unquoted so that
# "-o Global.epochs" stays two words; anything else (; & | ` $ > < ( ) quotes, globs, ...) would make bash
# run, redirect or expand something instead.
KEY_WORD = re.compile(r"^[A-Za-z0-9_./,+@%-]+$")
COMMAND_WORD = re.compile(r"^[A-Za-z0-9_./,+@%=:-]+$")
PYTHON_WORD = re.compile(r"^(.*/)?python[0-9.]*$")


def _bad_chars(text, allowed):
    bad = []
    for word in text.split(" "):
        if not allowed.match(word):
            bad += [c for c in word if not allowed.match(c) and c not in bad]
    return "".join(sorted(set(bad), key=bad.index))


def _describe(chars):
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", " ": "a space"}
    return ", ".join(names.get(c, f"'{c}'") for c in chars)


def key_problem(key):
    """Why KEY cannot be an argument name on a config line (None when it can): the harness writes
    '<key>=<value>' into a command line bash evaluates, so a key may hold several words ('-o Global.epochs')
    but only plain characters, and no ':' (it would end the key), '|' or '='."""
    if not key.strip():
        return "is empty"
    if key != key.strip() or "  " in key:
        return "has leading, trailing or double spaces (the harness would write them into the command line)"
    for char, why in ((":", "':', which ends the key on a config line"),
                      ("|", "'|', which separates alternative values on a config line"),
                      ("=", "'=', which separates the key from the value the harness adds")):
        if char in key:
            return f"contains {why}"
    bad = _bad_chars(key, KEY_WORD)
    if bad:
        return (f"contains {_describe(bad)}, which bash would interpret when the harness runs the command "
                "(keys may hold letters, digits, spaces and _ . / , + @ % -)")
    return None


def command_problem(command):
    """Why COMMAND cannot be a script command line of the config (None when it can): the script path first,
    without the python command, then fixed arguments, all plain words bash passes through unchanged."""
    if not command.strip():
        return "is empty"
    words = command.split()
    if "\n" not in command and PYTHON_WORD.match(words[0]):
        return (f"starts with '{words[0]}': leave the python command out, the harness puts the python of "
                "config line 3 in front")
    if command.lstrip().startswith("-"):
        return "starts with an option: the script path comes first, e.g. tools/train.py -c configs/model.yaml"
    bad = _bad_chars(command.strip(), COMMAND_WORD) or ("\t" if "\t" in command else "")
    if bad:
        return (f"contains {_describe(bad)}, which bash would interpret when the harness runs the command line "
                "(; & | ` $( > < start other commands or redirect); use plain arguments, or move shell logic "
                "into a script")
    return None


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
    line = CONFIG_LINES[number]
    if number in HEADER_LINES:
        return "header-or-separator"
    if number == 14:
        return "trainer-script"
    return line.key or "argument"


def fits(number, kind):
    """Whether a line of KIND can stand on the guide's line NUMBER."""
    expected = expected_kind(number)
    if expected == "header-or-separator":
        return kind in ("header", "separator", "text")
    if number in PER_MODE_LINES:
        return kind in ("per-mode", "argument")
    return kind == expected


class Checker:
    def __init__(self, path, mode=None):
        self.path = path
        self.mode = mode
        self.problems = []  # (line number or None, message)
        self.lines = []
        self.shift = None  # (first displaced line, lines missing (>0) or added (<0))

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
        line = CONFIG_LINES.get(number) or EXTENSION_LINES[number]
        return f"{line.meaning} (line {number})"

    def line(self, number):
        return self.lines[number - 1] if number <= len(self.lines) else None

    def key_value(self, number):
        text = self.line(number)
        if text is None or ":" not in text:
            return None, None
        key, value = text.split(":", 1)
        return key, value

    def belongs_elsewhere(self, number):
        """', which belongs on line M (...)' when line NUMBER holds the fixed key of another line."""
        key, _ = self.key_value(number)
        other = FIXED_KEYS.get(key)
        if other and other != number:
            return f", which belongs on line {other} ({CONFIG_LINES[other].meaning})"
        return ""

    def run(self):
        if self.mode is not None and self.mode not in MODES:
            self.error("MODE", f"MODE argument: expected one of {', '.join(MODES)}, found '{self.mode}'")
        try:
            with open(self.path, encoding="utf-8") as handle:
                # Split on newlines only, as bash's mapfile does; drop the \r of Windows line endings.
                self.lines = [text[:-1] if text.endswith("\r") else text for text in handle.read().split("\n")]
            while len(self.lines) > REQUIRED_LINES and not self.lines[-1].strip():
                self.lines.pop()  # trailing blank lines after the 32 are not extension lines
            if self.lines and self.lines[-1] == "":
                self.lines.pop()
        except (OSError, UnicodeDecodeError) as exc:
            self.error(None, f"cannot read the config file ({exc.__class__.__name__}: {exc}); "
                             "pass the path of a train_pact_infer_python.txt, relative to the repo root")
            return self.errors
        if len(self.lines) < REQUIRED_LINES:
            self.error(None, f"expected at least {REQUIRED_LINES} lines (the guide's "
                             f"train_pact_infer_python.txt layout), found {len(self.lines)}; "
                             f"`python3 {sys.argv[0]} --explain {self.path}` lists what belongs on each line")
        self.check_fixed_keys()
        self.find_shift()
        self.check_colons()
        if self.shift is None:
            self.check_model_name()
            self.check_devices()
            self.check_modes()
            self.check_trainers()
            self.check_arguments()
            self.check_scripts()
            self.check_extensions()
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
        for number, line in CONFIG_LINES.items():
            key, _ = self.key_value(number)
            if key is None:
                continue
            if line.key is not None and key != line.key:
                self.error(number, f"line {number} should be the {line.meaning} (`{line.key}:...`), "
                                   f"found '{self.line(number)}'{self.belongs_elsewhere(number)}")
            elif line.key is None and number not in HEADER_LINES and number != 14 and key in FIXED_KEYS:
                self.error(number, f"line {number} should be the {line.meaning} (your script's argument name "
                                   f"as key), found '{self.line(number)}'{self.belongs_elsewhere(number)}")

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
                 "".join(f"{'; ' if i else ': '}{n} {CONFIG_LINES[n].meaning}" for i, n in enumerate(guide)) +
                 f", this file {start - anchor - 1})")
        if start == first:
            found = (f"found '{self.line(first)}', which is what belongs on line {first + shift} "
                     f"({CONFIG_LINES[first + shift].meaning})")
        else:
            found = f"found '{self.line(first)}', which the guide does not have here"
        # This message replaces the ones already given for the misfit line itself.
        self.problems = [(number, message) for number, message in self.problems if number != first]
        self.error(first, f"line {first} should be the {CONFIG_LINES[first].meaning}, {found}: {what}; {moved}. "
                          f"`python3 {sys.argv[0]} --explain {self.path}` shows the guide's lines next to this file")

    def check_model_name(self):
        key, value = self.key_value(2)
        if key != "model_name":
            return
        if not value or "/" in value or any(c.isspace() for c in value):
            self.error(2, f"{self.meaning(2)}: expected a non-empty name without '/' or spaces "
                          f"(it names log/<model_name>/), found '{value}'")

    def check_devices(self):
        key, gpu_list = self.key_value(4)
        if key != "gpu_list":
            return
        entries = gpu_list.split("|")
        valid = True
        for entry in entries:
            items = entry.split(",")
            if not all(GPU_ITEM.match(item) for item in items):
                self.error(4, f"{self.meaning(4)}: expected entries like -1, -1,-1, 0 or 0,1 "
                              f"separated by '|', found entry '{entry}' in '{gpu_list}'")
                valid = False
            elif "-1" in items and set(items) != {"-1"}:
                self.error(4, f"{self.meaning(4)}: expected each entry to be all CPU processes "
                              f"(-1,-1) or all GPU ids (0,1), found mixed entry '{entry}'")
                valid = False
        _, devices = self.key_value(5)
        if devices is None or not valid:
            return
        count = len(devices.split("|"))
        if count not in (1, len(entries)):
            self.error(5, f"{self.meaning(5)}: expected one value for all entries or one per "
                          f"gpu_list entry ({len(entries)}), found {count} in '{devices}'")

    def check_modes(self):
        for number in PER_MODE_LINES:
            _, value = self.key_value(number)
            # Epochs and batch sizes never hold '='; a path or weights file may ("./runs/lr=0.1/w.pdparams").
            if value is None or "=" not in value or (number in (9, 11) and not PER_MODE_VALUE.match(value)):
                continue
            for item in value.split("|"):
                mode = item.split("=", 1)[0]
                if "=" not in item or mode not in MODES:
                    self.error(number, f"{self.meaning(number)}: expected mode=value items with a "
                                       f"mode from {', '.join(MODES)}, found '{item}'")

    def check_trainers(self):
        key13, value13 = self.key_value(13)
        key14, value14 = self.key_value(14)
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

    def is_null(self, number):
        _, value = self.key_value(number)
        return value is not None and value.split()[:1] == ["null"]

    def check_arguments(self):
        # An argument the harness needs to hand over a path: without it the next step cannot find the output.
        needed = {7: not (self.is_null(17) and self.is_null(22)),
                  9: not self.is_null(17),
                  20: not self.is_null(22) or not self.is_null(25),
                  21: not self.is_null(22) or not self.is_null(25),
                  30: True}
        uses = {7: "training writes its weights where the harness tells it",
                9: "evaluation gets the trained weights with it",
                20: "the export writes the inference model where the harness tells it",
                21: "the export gets the trained weights with it",
                30: "inference gets the exported model's folder with it"}
        for number in ARGUMENT_LINES:
            key, _ = self.key_value(number)
            if key is None:
                continue
            if key.strip() in ("", "null"):
                if needed.get(number):
                    self.error(number, f"{self.meaning(number)}: expected your script's argument name as key "
                                       f"({uses[number]}), found '{self.line(number)}'")
                continue
            problem = key_problem(key)
            if problem:
                self.error(number, f"{self.meaning(number)}: the key '{key}' {problem}; "
                                   f"expected {CONFIG_LINES[number].goes_here}")

    def check_scripts(self):
        numbers = [14, 17, 22, 27]
        if self.mode in (None, "whole_infer"):
            numbers.append(25)
        for number in COMMAND_LINES:
            key, value = self.key_value(number)
            expected = CONFIG_LINES[number].key
            if key is None or (expected is not None and key != expected):
                continue
            if not value.strip():
                self.error(number, f"{self.meaning(number)}: expected a script path (or null), "
                                   f"found '{self.line(number)}'")
                continue
            problem = None if value.split()[0] == "null" else command_problem(value)
            if problem:
                self.error(number, f"{self.meaning(number)}: '{value}' {problem}")
            elif number in numbers:
                self.check_script_file(number, value)

    def check_script_file(self, number, value):
        words = value.split()
        if words[0] == "null" and number == 27:
            self.error(number, f"{self.meaning(number)}: expected a script path (inference "
                               f"cannot be switched off), found '{self.line(number)}'")
        elif words[0] != "null" and not os.path.isfile(words[0]):
            self.error(number, f"{self.meaning(number)}: expected the script "
                               f"'{words[0]}' to exist relative to {os.getcwd()}, found no such file")


    def check_extensions(self):
        """Lines 33-39: the header first, then key:value lines at their positions; nothing after them."""
        if len(self.lines) <= REQUIRED_LINES:
            return
        header = self.line(33)
        if not EXTENSION_HEADER_RE.match(header):
            self.error(33, f"{self.meaning(33)}: lines after 32 are optional extensions and start with the header "
                           f"'{EXTENSION_HEADER}', found '{header}'")
            return
        for number in range(34, min(len(self.lines), LAST_EXTENSION_LINE) + 1):
            text = self.line(number)
            line = EXTENSION_LINES[number]
            if ":" not in text:
                self.error(number, f"{self.meaning(number)}: expected 'key:value', found '{text}'; "
                                   f"expected {line.goes_here}")
                continue
            key, value = text.split(":", 1)
            if number in (34, 39):
                self.check_command_line(number, key, value)
                continue
            if key == "null":
                continue
            problem = key_problem(key)
            if problem:
                self.error(number, f"{self.meaning(number)}: the key '{key}' {problem}; expected {line.goes_here}")
            elif not value.strip() or any(not item.strip() or item != item.strip() for item in value.split("|")):
                self.error(number, f"{self.meaning(number)}: expected one or more values separated by '|' "
                                   f"(or null), found '{text}'; expected {line.goes_here}")
        for number in range(LAST_EXTENSION_LINE + 1, len(self.lines) + 1):
            self.error(number, f"line {number}: the TIPC scripts read the optional lines "
                               f"33-{LAST_EXTENSION_LINE} only, found '{self.line(number)}'; remove it "
                               f"(`python3 {sys.argv[0]} --explain {self.path}` lists lines 33-{LAST_EXTENSION_LINE})")

    def check_command_line(self, number, key, value):
        """Line 34 or 39: a fixed key and a command (or null), or mode=<command> items."""
        if key != EXTENSION_LINES[number].key:
            self.error(number, f"line {number} should be the {EXTENSION_LINES[number].meaning} "
                               f"(`{EXTENSION_LINES[number].key}:...`), found '{self.line(number)}'"
                               f"{self.belongs_elsewhere(number)}")
            return
        items = [(None, value)]
        if re.match(r"^(%s)=" % "|".join(MODES), value):
            items = [tuple(item.split("=", 1)) if "=" in item else (item, None) for item in value.split("|")]
        for mode, command in items:
            if mode is not None and (mode not in MODES or command is None):
                self.error(number, f"{self.meaning(number)}: expected mode=<script> items with a mode from "
                                   f"{', '.join(MODES)}, found '{mode}{'' if command is None else '=' + command}'")
                continue
            if not command.strip():
                self.error(number, f"{self.meaning(number)}: expected a script path (or null), "
                                   f"found '{self.line(number)}'")
                continue
            if command.split()[0] == "null":
                continue
            problem = command_problem(command)
            if problem:
                self.error(number, f"{self.meaning(number)}: '{command}' {problem}")
            elif mode in (None, self.mode) or self.mode is None:
                self.check_script_file(number, command)


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
    for number, line in CONFIG_LINES.items():
        text = checker.line(number)
        mark = "!!" if number in by_line else "  "
        out.append(f"{mark} line {number:2d}: {line.meaning} [guide: {line.guide}]")
        out.append(f"            this config: {'(missing)' if text is None else text}")
        out.append(f"            goes here:   {line.goes_here}")
        for message in by_line.pop(number, []):
            out.append(f"            PROBLEM:     {message}")
    if len(checker.lines) > REQUIRED_LINES:
        out.append("   optional extensions (upstream scripts ignore them):")
        for number in range(REQUIRED_LINES + 1, len(checker.lines) + 1):
            line = EXTENSION_LINES.get(number)
            mark = "!!" if number in by_line else "  "
            out.append(f"{mark} line {number:2d}: {line.meaning if line else 'not read by the harness'}"
                       + (f" [{line.guide}]" if line else ""))
            out.append(f"            this config: {checker.line(number)}")
            if line:
                out.append(f"            goes here:   {line.goes_here}")
            for message in by_line.pop(number, []):
                out.append(f"            PROBLEM:     {message}")
    out += ["", f"{len(checker.problems)} problem{'s' if len(checker.problems) != 1 else ''}. "
                "The commands the harness builds from these lines, without running them:",
            f"    TIPC_DRY_RUN=1 bash test_tipc/test_train_inference_python.sh {checker.path} lite_train_lite_infer"]
    return "\n".join(out)


def main(argv):
    parser = argparse.ArgumentParser(
        prog=f"python3 {argv[0]}",
        description="Check a TIPC train_pact_infer_python.txt config (the guide's 32-line layout). "
                    "Problems go to stderr, one per line as CONFIG:LINE: message; exit status 2 when there is any.")
    parser.add_argument("--explain", action="store_true",
                        help="print every line's meaning in the guide, what goes there and this config's text")
    parser.add_argument("config", metavar="CONFIG", help="path of the config, relative to the repo root")
    parser.add_argument("mode", metavar="MODE", nargs="?", help=f"one of {', '.join(MODES)}")
    args = parser.parse_args(argv[1:])
    checker = Checker(args.config, args.mode)
    errors = checker.run()
    if args.explain:
        print(explain(checker))
        return 2 if errors else 0
    for message in errors:
        print(message, file=sys.stderr)
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
