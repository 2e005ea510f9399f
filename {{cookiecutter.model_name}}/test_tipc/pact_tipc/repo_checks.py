"""Checks of a config against the repo it runs in, from the current directory (the repo root): the line-3 python,
the scripts and their -c config files, the image path, the python_path and infer_workdir folders, and what the
scripts' argument parsers would drop of the planned commands (parsers.py). The
pre-generation hook checks a config before the repo exists and leaves these out."""
import os
import shutil

from .parsers import dropped_argument_problems
from .schema import EXTENSIONS, FIELD, FIELDS, MODE_ITEMS, PREPARED_DATA
from .values import command_problem, is_null, python_path_entries, python_path_problem, split_command, split_items


def repo_problems(config, mode, meaning, skip=()):
    """(line, message) for what CONFIG points at that is not there; lines in SKIP (which already have a problem
    of their form) are left alone. MEANING(name) names a field in messages."""
    problems = []
    python = config.value("python")
    if python is not None and config.key("python") == "python" and not shutil.which(python):
        problems.append((FIELD["python"].line, f"{meaning('python')}: expected a command on PATH or a path to "
                                               f"a python, found '{python}'"))
    problems += script_problems(config, mode, meaning)
    problems += image_path_problems(config, meaning)
    problems += folder_problems(config, meaning)
    if not skip:  # the planner reads a config whose form has no problem
        problems += dropped_argument_problems(config, mode, meaning)
    return [(line, message) for line, message in problems if line not in skip]


def script_problems(config, mode, meaning):
    """The scripts of the command lines this MODE runs (every mode's when MODE is None)."""
    checked = {"trainer_script", "eval", "norm_export", "inference"}
    if mode in (None, "whole_infer"):
        checked.add("infer_export")
    problems = []
    for field in FIELDS + EXTENSIONS:
        entry = config.get(field.name)
        if field.kind != "command" or entry is None or (field.key is not None and entry.key != field.key):
            continue
        if field.line is not None and field.name not in checked:
            continue
        items = [(None, entry.value)]
        if field.line is None and MODE_ITEMS.match(entry.value):
            items = split_items(entry.value)
        # Inference runs from the infer_workdir folder, so its command is written as seen from there.
        base = (config.value("infer_workdir") or "") if field.name == "inference" else ""
        for item_mode, command in items:
            if command is None or not command.strip() or is_null(command) or command_problem(command):
                continue  # the checks of the line's form report these
            if item_mode in (None, mode) or mode is None:
                problems += [(entry.line, f"{meaning(field.name)}: {message}")
                             for message in missing_files(command, base)]
    return problems


def missing_files(command, base=""):
    """The script of COMMAND and the config file it is given with -c, where they do not exist (from BASE)."""
    words = split_command(command)
    where = os.path.join(os.getcwd(), base) if base else os.getcwd()
    messages = []
    if not os.path.isfile(os.path.join(base, words[0])):
        messages.append(f"expected the script '{words[0]}' to exist relative to {where}, found no such file")
    for option, path in zip(words, words[1:]):
        if option == "-c" and not os.path.isfile(os.path.join(base, path)):
            messages.append(f"expected the config file '-c {path}' to exist relative to {where}, found no such file")
    return messages


def image_path_problems(config, meaning):
    """The image path inference reads exists, or is in a data set prepare.sh makes."""
    key, value = config.key("img_path"), config.value("img_path")
    if key is None or key.strip() == "null" or not value or is_null(value) or os.path.exists(value):
        return []
    if os.path.normpath(value).split(os.sep)[0] in PREPARED_DATA:
        return []
    return [(FIELD["img_path"].line, f"{meaning('img_path')}: expected the image or image folder '{value}' to "
                                     f"exist relative to {os.getcwd()} (or to lie in "
                                     f"{' or '.join('./' + d for d in PREPARED_DATA)}, which prepare.sh makes), "
                                     "found nothing there")]


def folder_problems(config, meaning):
    """The python_path folders and the infer_workdir folder exist."""
    problems = []
    entry = config.get("python_path")
    if entry is not None and not python_path_problem(entry.value):
        problems += [(entry.line, f"{meaning('python_path')}: expected the folder '{folder}' to exist relative to "
                                  f"{os.getcwd()}, found no such folder")
                     for _, folder in python_path_entries(entry.value) if not os.path.isdir(folder)][:1]
    entry = config.get("infer_workdir")
    if entry is not None and entry.value.strip() and entry.value == entry.value.strip() \
            and not os.path.isdir(entry.value):
        problems.append((entry.line, f"{meaning('infer_workdir')}: expected the folder '{entry.value}' to exist "
                                     f"relative to {os.getcwd()}, found no such folder"))
    return problems

