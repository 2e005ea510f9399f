"""What the repo's own argument parsers do with the commands the harness plans, read from their source (nothing
is run): an option given twice in one step that the parser keeps once (argparse's default ``store`` action, with or
without ``nargs``: the last occurrence replaces the earlier ones, silently), and nested ``-o A.B.c=1 A.B.d=2`` items
that a parser building its dict level by level with ``cur[key] = {}`` loses (PaddleDetection's ArgsParser keeps
only the last of them). Either way a step would run without some of the arguments the config gives it."""
import ast
import os
import re

from .plan import Planner, step_kind
from .schema import MODES
from .values import option_groups, python_path_entries

# The config line each step kind's command comes from, for messages.
STEP_LINES = {"train": "trainer_script", "eval": "eval", "export": "norm_export", "fp32": "fp32_export",
              "accuracy": "accuracy_check", "infer": "inference"}
KEEPS_EVERY = ("append", "extend", "append_const", "count")
# A parser that makes a fresh dict at each middle level of a dotted key: 'A.B.c=1 A.B.d=2' keeps only A.B.d.
LEVEL_RESET = re.compile(r"^\s*cur\[\w+\]\s*=\s*\{\}\s*$", re.M)


class Declaration:
    """An ``add_argument`` call that declares an option: where it is and whether a repeat replaces earlier values.
    RESETS_LEVELS: whether its file builds nested dicts level by level with ``cur[key] = {}``."""

    def __init__(self, path, node, resets_levels):
        self.path, self.line = path, node.lineno
        action = next((k.value for k in node.keywords if k.arg == "action"), None)
        self.keeps_last = not (isinstance(action, ast.Constant) and action.value in KEEPS_EVERY)
        self.nargs = next((ast.unparse(k.value) for k in node.keywords if k.arg == "nargs"), None)
        self.resets_levels = resets_levels

    def where(self):
        return f"{os.path.relpath(self.path)}:{self.line}"


def read_module(path):
    """(source, syntax tree) of the Python file PATH, or None when it cannot be read or parsed."""
    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        return source, ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return None


def declarations(path, module):
    """{option: Declaration} for every add_argument call of MODULE (read_module of PATH)."""
    if module is None:
        return {}
    source, tree = module
    resets_levels = bool(LEVEL_RESET.search(source))
    found = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith("-"):
                    found[arg.value] = Declaration(path, node, resets_levels)
    return found


def imported_files(tree, roots):
    """The repo files a script's syntax TREE imports (one level: ``from a.b import c``, ``import a.b``), found
    under ROOTS (the script's folder, the repo root, the python_path folders)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    files = []
    for name in names:
        relative = name.replace(".", os.sep)
        for root in roots:
            for candidate in (f"{relative}.py", os.path.join(relative, "__init__.py")):
                candidate = os.path.join(root, candidate)
                if os.path.isfile(candidate) and candidate not in files:
                    files.append(candidate)
    return files


def parser_of(script, cwd, python_path):
    """{option: Declaration} of the script SCRIPT (a path from CWD) and of the repo modules it imports."""
    module = read_module(script)
    if module is None:
        return {}
    found = {}
    for path in imported_files(module[1], [os.path.dirname(script), cwd or ".", *python_path]):
        found.update(declarations(path, read_module(path)))
    found.update(declarations(script, module))  # the script's own declarations win
    return found


def step_problems(step, python_path, parsers):
    """Why the parser of STEP's script would drop some of its arguments (a list of messages). PARSERS caches
    parser_of per script and folder: every entry and mode runs the same few scripts."""
    scripts = [i for i, word in enumerate(step.argv) if word.endswith(".py")]
    if not scripts:
        return []
    at = scripts[0]
    script = os.path.join(step.cwd, step.argv[at]) if step.cwd else step.argv[at]
    if not os.path.isfile(script):
        return []  # the check of the script's path reports it
    problems = []
    for option, groups in option_groups(step.argv[at + 1:]).items():
        if (script, step.cwd) not in parsers:
            parsers[script, step.cwd] = parser_of(script, step.cwd, python_path)
        declared = parsers[script, step.cwd].get(option)
        if declared is None:
            continue
        if len(groups) > 1 and declared.keeps_last:
            lost = [word.split("=", 1)[0] for group in groups[:-1] for word in group] or [option] * (len(groups) - 1)
            fix = (f"add the extension line list_options:{option}, which gathers every {option} item of a step after "
                   f"one {option}" if declared.nargs else f"give {option} once")
            nargs = f" with nargs={declared.nargs}" if declared.nargs else ""
            problems.append(f"{option} is given {len(groups)} times in the {step.label} command, but "
                            f"{declared.where()} declares it{nargs} and no action='append': argparse keeps only the "
                            f"last {option}, so {', '.join(lost)} would be dropped; {fix}")
        if declared.nargs and declared.resets_levels:
            items = [word.split("=", 1)[0] for group in groups for word in group if "=" in word]
            for first in items:
                levels = first.split(".")
                twins = [other for other in items if other != first and len(levels) >= 3
                         and other.split(".")[:-1] == levels[:-1]]
                if twins:
                    problems.append(
                        f"{option} items {first} and {twins[0]} of the {step.label} command share their parent "
                        f"{'.'.join(levels[:-1])}, but the parser at {declared.where()} starts that parent afresh "
                        f"for each item (cur[key] = {{}}): only the last one takes effect; set them in the model's yml "
                        f"file instead, or give the parent once as a YAML mapping")
                    break
    return problems


def dropped_argument_problems(config, mode, meaning):
    """(line, message) for each step of MODE (every mode when None) whose script's parser would drop some of its
    arguments, from the step's command as the harness would run it."""
    python_path = [folder for _, folder in python_path_entries(config.value("python_path") or "") if folder]
    problems, seen, parsers = [], set(), {}
    for each in ([mode] if mode else MODES):
        planner = Planner(config, each)
        try:
            steps = planner.plan("all")
        except (ValueError, KeyError, IndexError, AttributeError):
            continue  # a config the planner cannot read: the checks of its form report why
        for step in steps:
            kind = step_kind(step.label)
            field = "infer_export" if kind == "export" and each == "whole_infer" else STEP_LINES.get(kind)
            for message in step_problems(step, python_path, parsers):
                # One message per config line and option: every entry and mode runs the same command line.
                if (field, message.split(" ", 1)[0]) in seen or field is None:
                    continue
                seen.add((field, message.split(" ", 1)[0]))
                problems.append((config.get(field).line if config.get(field) else None,
                                 f"{meaning(field)}: {message}"))
    return problems
