"""The checker of a TIPC config: every problem of the file, as ``CONFIG:LINE: <what the line is> (line N):
expected ..., found '...'``, and with ``repo=True`` what the config points at in the repo (repo_checks)."""
from .config import belongs_elsewhere, load
from .devices import DeviceEntry
from .layout import find_shift, suite_layout
from .repo_checks import repo_problems
from .schema import (ALTERNATIVES, BY_LINE, DEVICE_ITEMS, EXTENSIONS, FIELD, FIELDS, FIXED_KEYS, HEADER_LINES,
                     MODE_ITEMS, MODES, PER_MODE_VALUE, REQUIRED_LINES, SINGLE_VALUES, TASKS, TIPC_DIR)
from .values import (command_problem, flag_problem, gpu_list_problem, is_gpu_value, is_null, key_problem,
                     list_options_problem, mode_values, model_name_problem, pattern_problem, python_path_problem,
                     python_problem, required_keys, split_items, step_timeout_problem, value_problem)


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

    def meaning(self, name):
        """What a field is and where it stands, for messages: 'device argument ... (line 5)'."""
        entry = self.config.get(name)
        return f"{FIELD[name].meaning} (line {entry.line if entry else FIELD[name].line})"

    def line(self, number):
        return self.config.line(number) if self.config else None

    def kv(self, name):
        """(key, value) of a field as written, or (None, None) where the config does not have it."""
        entry = self.config.get(name)
        return (None, None) if entry is None else (entry.key, entry.value)

    def run(self):
        if self.mode is not None and self.mode not in MODES:
            self.error("MODE", f"MODE argument: expected one of {', '.join(MODES)}, found '{self.mode}'")
        self.config, problem = load(self.path)
        if problem:
            self.problems.append((None, problem.split(": ", 1)[1]))
            return self.errors
        suite = suite_layout(self.lines, self.path)
        if suite:
            self.error(None, suite)
            return self.errors
        if len(self.lines) < REQUIRED_LINES:
            self.error(None, f"expected at least {REQUIRED_LINES} lines (the guide's "
                             f"train_pact_infer_python.txt layout), found {len(self.lines)}; "
                             f"`python3 {TIPC_DIR}/check_config.py --explain {self.path}` lists what belongs on "
                             "each line")
        self.check_fixed_keys()
        shift = find_shift(self.lines, self.path)
        if shift:
            first, count, message = shift
            self.shift = (first, count)
            # This message replaces the ones already given for the misfit line itself.
            self.problems = [(number, text) for number, text in self.problems if number != first]
            self.error(first, message)
        self.check_colons()
        if self.shift is None:
            for check in (self.check_model_name, self.check_python, self.check_devices, self.check_modes,
                          self.check_trainers, self.check_arguments, self.check_values, self.check_scripts,
                          self.check_extensions, self.check_option_keys):
                check()
            if self.repo:
                skip = {number for number, _ in self.problems}
                self.problems += repo_problems(self.config, self.mode, self.meaning, skip)
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
                self.error(number, f"{self.meaning(BY_LINE[number].name)}: expected 'key:value', found '{text}'")

    def check_fixed_keys(self):
        for field in FIELDS:
            key, _ = self.kv(field.name)
            if key is None:
                continue
            text = self.line(field.line)
            if field.key is not None and key != field.key:
                self.error(field.line, f"line {field.line} should be the {field.meaning} (`{field.key}:...`), "
                                       f"found '{text}'{belongs_elsewhere(key, field.line)}")
            elif (field.key is None and field.kind not in ("header", "separator") and field.name != "trainer_script"
                  and key in FIXED_KEYS):
                self.error(field.line, f"line {field.line} should be the {field.meaning} (your script's argument "
                                       f"name as key), found '{text}'{belongs_elsewhere(key, field.line)}")

    def check_model_name(self):
        key, value = self.kv("model_name")
        if key == "model_name" and model_name_problem(value):
            self.error(2, f"{self.meaning('model_name')}: {model_name_problem(value)}")

    def check_python(self):
        key, python = self.kv("python")
        if key == "python" and python_problem(python):
            self.error(3, f"{self.meaning('python')}: {python_problem(python)}")

    def check_devices(self):
        key, gpu_list = self.kv("gpu_list")
        if key != "gpu_list":
            return
        problem = gpu_list_problem(gpu_list)
        if problem:
            self.error(4, f"{self.meaning('gpu_list')}: {problem}")
            return
        _, devices = self.kv("device")
        if devices is None:
            return
        entries, count = gpu_list.split("|"), len(devices.split("|"))
        if count not in (1, len(entries)):
            self.error(5, f"{self.meaning('device')}: expected one value for all entries or one per "
                          f"gpu_list entry ({len(entries)}), found {count} in '{devices}'")
        key, values = self.kv("use_gpu")
        if (any(DeviceEntry.parse(e).kind == "gpu" for e in entries) and key and not is_null(key) and values
                and not any(is_gpu_value(v) for v in values.split("|"))):
            self.error(28, f"{self.meaning('use_gpu')}: gpu_list has GPU entries, but no value of '{values}' asks "
                           "for a GPU (True or gpu, any case): the harness would run their inference on the CPU; "
                           f"expected {FIELD['use_gpu'].goes_here}")

    def check_modes(self):
        for field in FIELDS:
            if not field.per_mode:
                continue
            _, value = self.kv(field.name)
            # Epochs and batch sizes never hold '='; a path or weights file may ("./runs/lr=0.1/w.pdparams").
            if value is None or "=" not in value or (field.name in ("pretrained", "data_path")
                                                     and not PER_MODE_VALUE.match(value)):
                continue
            for mode, item in split_items(value):
                if item is None or mode not in MODES:
                    self.error(field.line, f"{self.meaning(field.name)}: expected mode=value items with a "
                                           f"mode from {', '.join(MODES)}, found '{mode}"
                                           f"{'' if item is None else '=' + item}'")

    def check_trainers(self):
        key13, value13 = self.kv("trainer")
        key14, _ = self.kv("trainer_script")
        if key13 != "trainer" or key14 is None:
            return
        trainers = [t for t in value13.split("|") if t]
        if not trainers:
            self.error(13, f"{self.meaning('trainer')}: expected at least one trainer, e.g. "
                           f"'trainer:pact_train', found '{self.line(13)}'")
            return
        if key14 not in trainers:
            self.error(14, f"{self.meaning('trainer_script')}: expected the key to be a trainer listed on line 13 "
                           f"({', '.join(trainers)}), found '{self.line(14)}'")
        for trainer in trainers:
            if trainer != key14:
                self.error(13, f"{self.meaning('trainer')}: trainer '{trainer}' has no script line; "
                               f"expected '{trainer}:<script>' on line 14, found '{self.line(14)}'")

    def check_arguments(self):
        needed = required_keys(*(is_null(self.kv(name)[1]) for name in ("eval", "norm_export", "infer_export")))
        for field in FIELDS:
            key, _ = self.kv(field.name)
            if field.kind != "argument" or key is None:
                continue
            if key.strip() in ("", "null"):
                if field.name in needed:
                    self.error(field.line, f"{self.meaning(field.name)}: expected your script's argument name as "
                                           f"key ({needed[field.name]}), found '{self.line(field.line)}'")
                continue
            problem = key_problem(key)
            if problem:
                self.error(field.line, f"{self.meaning(field.name)}: the key '{key}' {problem}; "
                                       f"expected {field.goes_here}")

    def check_values(self):
        """Values the harness passes as they are: each one (each per-mode item, each '|' alternative of the device
        lines) must be a single, non-empty value without surrounding spaces."""
        for field in FIELDS:
            key, value = self.kv(field.name)
            if field.name not in SINGLE_VALUES + ALTERNATIVES or key is None or key.strip() == "null":
                continue
            if field.name in ALTERNATIVES:
                values = value.split("|")
            elif field.per_mode:
                values = mode_values(value, items_only=True)  # check_modes reports an item without '='
            elif field.name == "benchmark" and DEVICE_ITEMS.match(value):
                items = split_items(value)
                values = [item for _, item in items if item is not None]
                wrong = [name for name, item in items if name not in ("cpu", "gpu") or item is None]
                if wrong or len({name for name, _ in items}) < len(items):
                    self.error(field.line, f"{self.meaning(field.name)}: expected one value, or cpu=<value>|"
                                           f"gpu=<value> with each device once, found '{value}'")
            else:
                values = [value]
            for item in values:
                problem = value_problem(item, per_mode=field.per_mode)
                if problem:
                    self.error(field.line, f"{self.meaning(field.name)}: the value '{item}' {problem}; "
                                           f"expected {field.goes_here}")
                    break

    def check_option_keys(self):
        """Line 5 and line 28 keys are options: a key without a leading '-' would reach the script as a positional
        word (upstream's Step6 config has 'use-gpu', which its harness silently dropped) unless the commands end
        with -o, the override option that takes it (PaddleOCR's '... -o' followed by 'Global.use_gpu=True')."""
        receivers = {"device": ("trainer_script", "eval"), "use_gpu": ("inference",)}
        for name, commands in receivers.items():
            key, value = self.kv(name)
            if key is None or key.strip() in ("", "null") or key.startswith("-"):
                continue
            commands = [self.config.value(command) or "" for command in commands]
            if all(c.split()[-1:] == ["-o"] for c in commands if not is_null(c)):
                continue
            first = (value or "").split("|")[0]
            self.error(FIELD[name].line, f"{self.meaning(name)}: the key '{key}' is not an option (no leading '-'): "
                                         f"the harness would pass '{key}={first}' as a positional word, which an "
                                         f"argparse script rejects; expected {FIELD[name].goes_here}")

    def check_scripts(self):
        for field in FIELDS:
            key, value = self.kv(field.name)
            if field.kind != "command" or key is None or (field.key is not None and key != field.key):
                continue
            if not value.strip():
                self.error(field.line, f"{self.meaning(field.name)}: expected a script path (or null), "
                                       f"found '{self.line(field.line)}'")
            elif field.name == "inference" and is_null(value):
                self.error(field.line, f"{self.meaning(field.name)}: expected a script path (inference "
                                       f"cannot be switched off), found '{self.line(field.line)}'")
            elif not is_null(value) and command_problem(value):
                self.error(field.line, f"{self.meaning(field.name)}: '{value}' {command_problem(value)}")

    def check_extensions(self):
        for number, message in self.config.extension_problems:
            self.error(number, message)
        for field in EXTENSIONS:
            entry = self.config.get(field.name)
            if entry is None:
                continue
            meaning = self.meaning(field.name)
            if field.kind == "command":
                self.check_command_items(entry, meaning)
            elif field.kind == "flag":
                if flag_problem(entry.value):
                    self.error(entry.line, f"{meaning}: {flag_problem(entry.value)}")
            elif field.kind == "value":
                self.check_value_line(entry, meaning, field)
            elif field.kind == "argument" and entry.key != "null":
                problem = key_problem(entry.key) or next(
                    (f"has the value '{v}', which {p}" for v in mode_values(entry.value)
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

    def check_value_line(self, entry, meaning, field):
        value = entry.value
        rules = {"infer_pattern": pattern_problem, "step_timeout": step_timeout_problem,
                 "python_path": python_path_problem, "list_options": list_options_problem,
                 "export_subfolder": list_options_problem,
                 "infer_output": lambda v: key_problem(v) and f"the argument '{v}' {key_problem(v)}",
                 "eval_weights": lambda v: key_problem(v) and f"the argument '{v}' {key_problem(v)}",
                 "start_weights_yml": lambda v: (":" not in v or not v.startswith("-") or key_problem(v.split(":")[0])
                                                 or not v.split(":", 1)[1].strip()) and (
                     f"expected <option>:<key>, e.g. --slim_config:pretrain_weights, found '{v}'"),
                 "task": lambda v: v not in TASKS and f"expected one of {', '.join(TASKS)}, found '{v}'",
                 "model_file": lambda v: (not v.strip() or v != v.strip() or " " in v or v.startswith("/")) and (
                     f"expected a file name inside the export folder, found '{v}'")}
        problem = rules.get(field.name, lambda _: None)(value)
        if field.name == "int8_check" and not is_null(value) and command_problem(value):
            problem = f"'{value}' {command_problem(value)}; expected {field.goes_here}"
        elif field.name not in rules and field.name != "int8_check" and (not value.strip() or value != value.strip()):
            problem = f"expected {field.goes_here}, found '{entry.text}'"
        if problem:
            self.error(entry.line, f"{meaning}: {problem}")

    def check_command_items(self, entry, meaning):
        """A command (or null), or mode=<command> items."""
        items = split_items(entry.value) if MODE_ITEMS.match(entry.value) else [(None, entry.value)]
        for mode, command in items:
            if mode is not None and (mode not in MODES or command is None):
                self.error(entry.line, f"{meaning}: expected mode=<script> items with a mode from {', '.join(MODES)}, "
                                       f"found '{mode}{'' if command is None else '=' + command}'")
            elif not command.strip():
                self.error(entry.line, f"{meaning}: expected a script path (or null), found '{entry.text}'")
            elif not is_null(command) and command_problem(command):
                self.error(entry.line, f"{meaning}: '{command}' {command_problem(command)}")
