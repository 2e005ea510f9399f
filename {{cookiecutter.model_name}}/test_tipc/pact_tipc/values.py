"""Rules for one value of the TIPC config (a key, a command, a device list, a pattern, ...), each returning why
the value cannot stand on its line or None, and the splitters every reader of a value uses: per-mode items, the
words of a command, the words "<key>=<value>" adds to one."""
import os
import re
import shlex

from .schema import (COMMAND_WORD, DEVICE_ITEMS, GPU_ITEM, KEY_WORD, MODE_ITEMS, MODEL_NAME, PER_MODE_VALUE,
                     PLAIN_WORD, PYTHON_WORD, SHELL_META, STEP_TIMEOUTS)


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
    return {step: seconds or "" for step, seconds in split_items(value or "") if step or seconds is not None}


def step_timeout_problem(value):
    for step, seconds in step_timeouts(value).items():
        if step not in STEP_TIMEOUTS or not seconds.isdigit() or int(seconds) <= 0:
            return (f"expected <step>=<seconds> items with a step from {', '.join(STEP_TIMEOUTS)} and a whole "
                    f"number of seconds > 0, found '{step}={seconds}' in '{value}'")
    return None


def python_path_entries(value):
    """(package or None, folder) for each '|' entry of a python_path line."""
    return [(name, folder) if folder is not None else (None, name) for name, folder in split_items(value)]


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
    return next((item for name, item in split_items(value) if name == mode and item is not None), None)


def split_items(value):
    """The '|' items of VALUE as (name, value) pairs split at the first '=': ("lite_train_lite_infer", "5") for
    lite_train_lite_infer=5, (item, None) for an item without '='. Every "<name>=<value>|..." line is read with
    it: per-mode values, step_timeout, python_path."""
    return [(name, item if sep else None) for name, sep, item in (i.partition("=") for i in value.split("|"))]


def mode_values(value, items_only=False):
    """The values of a line that may hold per-mode items: each item's value ('' for an item without '=', or left
    out with ITEMS_ONLY), or the value itself when it is not per-mode."""
    if not MODE_ITEMS.match(value):
        return [value]
    return [item or "" for _, item in split_items(value) if item is not None or not items_only]


def device_value(value, gpu):
    """The value of a line that may hold a value per inference device (cpu=<value>|gpu=<value>) for a GPU (GPU
    true) or CPU inference step: None when the line has no item for that device."""
    if value is None or not DEVICE_ITEMS.match(value):
        return value
    return dict(split_items(value)).get("gpu" if gpu else "cpu")


def split_command(command):
    """The words of a script line, split as a shell would (quotes group words: Key="a b" is one word)."""
    return shlex.split(command)


def key_words(key, value):
    """The words "<key>=<value>" adds to a command, or none when the key or the value is null or empty."""
    if key is None or value is None or not key.strip() or key.strip() == "null" or not value.strip() or value == "null":
        return []
    words = key.split()
    return words[:-1] + [f"{words[-1]}={value}"]


def option_groups(words):
    """{option: [the words after each occurrence, up to the next option]} of a command's words; an option written
    as option=value starts its group with the value. Words before the first option belong to no group."""
    groups = {}
    current = None
    for word in words:
        if word.startswith("-") and not _number(word):
            current = groups.setdefault(word.split("=", 1)[0], [])
            current.append([word.split("=", 1)[1]] if "=" in word else [])
        elif current is not None:
            current[-1].append(word)
    return groups


def _number(word):
    try:
        float(word)
        return True
    except ValueError:
        return False


def merge_list_options(words, options):
    """WORDS with the occurrences of each list option in OPTIONS merged into its first one, the values of every
    occurrence (the words after it up to the next option word) following it in order. For options such as
    PaddleSeg's --opts (argparse nargs='+'), where a second occurrence would replace the first's values."""
    for option in options:
        if words.count(option) < 2:
            continue
        out, values, at, i = [], [], None, 0
        while i < len(words):
            if words[i] != option:
                out.append(words[i])
                i += 1
                continue
            if at is None:
                at = len(out)
                out.append(option)
            i += 1
            while i < len(words) and not words[i].startswith("-"):
                values.append(words[i])
                i += 1
        words = out[:at + 1] + values + out[at + 1:]
    return words


def list_options_problem(value):
    for option in value.split("|"):
        if not option.startswith("-") or not KEY_WORD.match(option) or " " in option:
            return (f"expected option words starting with '-' separated by '|', e.g. --opts, found '{option}' in "
                    f"'{value}'")
    return None


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
