#!/usr/bin/env python3
"""The TIPC config train_pact_infer_python.txt for the shell scripts: the plan of a run, what prepare.sh makes and
the PYTHONPATH of the steps, each validated by the checker first. The rules live in the package pact_tipc next
to this file (schema, values, config, layout, checker, repo_checks, explain, devices, plan); this module is their
command line and the names the config's other readers import (check_config.py, the template's pre-generation
hook, the tests).

    python3 test_tipc/tipc_config.py plan CONFIG MODE          the harness's steps
    python3 test_tipc/tipc_config.py prepare CONFIG MODE       what prepare.sh must make
    python3 test_tipc/tipc_config.py python-path CONFIG MODE   the folders every step imports from first
    python3 test_tipc/tipc_config.py start-yml CONFIG MODE     write the start_weights_yml copy (prepare.sh)

``plan`` and ``prepare`` write variables for bash as NUL-separated records, ``NAME`` NUL ``VALUE`` NUL, an array
as a record ``NAME[]`` (empty value) and then one record ``NAME[i]`` per element; common_func.sh's
func_load_plan assigns them with printf -v (nothing is eval'd, so a value cannot run as code).
``python-path`` prints the folders joined by ':' and makes the links a ``<package>=<folder>`` entry needs (not
with TIPC_DRY_RUN set).

Problems go to stderr as ``CONFIG:LINE: message`` and the exit status is 2. TIPC_DEVICES (cpu, gpu or all)
selects the gpu_list entries. Standard library only: it runs before Paddle or any other dependency is known to be
there.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pact_tipc.checker import Checker  # noqa: E402
from pact_tipc.config import Config, Entry, load, read_lines  # noqa: E402,F401
from pact_tipc.devices import DeviceEntry, device_entries, entry_device, infer_device_tag  # noqa: E402,F401
from pact_tipc.devices import zlib_preload  # noqa: E402
from pact_tipc.explain import explain  # noqa: E402,F401
from pact_tipc.layout import classify, expected_kind, find_shift, fits  # noqa: E402,F401
from pact_tipc.plan import Chain, Planner, Step, int8_switch, prepare_plan, start_weights_yml  # noqa: E402,F401
from pact_tipc.schema import *  # noqa: E402,F401,F403  (the lines, their names and the shared constants)
from pact_tipc.schema import DEVICE_SELECTIONS  # noqa: E402
from pact_tipc.values import *  # noqa: E402,F401,F403  (the rules for one value and the splitters)
from pact_tipc.values import python_path_entries, split_command  # noqa: E402


def records(name, value):
    """The NUL-separated records that set bash variable NAME to VALUE (a list: an array)."""
    if isinstance(value, (list, tuple)):
        return [f"{name}[]", ""] + [item for i, v in enumerate(value) for item in (f"{name}[{i}]", str(v))]
    return [name, str(value)]


def write_records(variables):
    out = [item for name, value in variables.items() for item in records(name, value)]
    if any("\0" in item for item in out):
        raise SystemExit("tipc_config.py: a value of the plan holds a NUL byte")
    sys.stdout.write("".join(item + "\0" for item in out))


def validated(path, mode, devices):
    """The parsed config, after the checker found nothing; problems go to stderr and raise SystemExit(2)."""
    problems = Checker(path, mode).run()
    if devices not in DEVICE_SELECTIONS:
        problems.append(f"TIPC_DEVICES: expected cpu, gpu or all, found '{devices}'")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise SystemExit(2)
    return load(path)[0]


def plan_variables(config, mode, devices):
    planner = Planner(config, mode)
    steps = planner.plan(devices)
    out = {"PLAN_MODEL_NAME": config.value("model_name"), "PLAN_GPU_LIST": config.value("gpu_list"),
           "PLAN_LOG_PATH": planner.log_path,
           "PLAN_HINTS": planner.hints(), "PLAN_PYTHON": config.value("python"),
           "PLAN_INT8_STRICT": str(int(config.flag("int8_strict"))), "PLAN_PRELOAD": zlib_preload(os.environ),
           "C_SKIP": [c.skip for c in planner.chains], "C_GPU": [int(c.needs_gpu) for c in planner.chains]}
    for field in Step._fields:
        if field not in ("argv", "check_argv"):
            out[f"S_{field.upper()}"] = [getattr(s, field) for s in steps]
    out.update((f"S_ARGV_{i}", list(s.argv)) for i, s in enumerate(steps))
    out.update((f"S_CHECK_ARGV_{i}", list(s.check_argv)) for i, s in enumerate(steps))
    return out


def python_path(config, mode, dry_run):
    """The python_path line's folders as absolute paths, in order, without repeats; a <package>=<folder> entry is
    a link named <package> to the folder in the run's log folder, whose folder goes on the path (made here unless
    DRY_RUN)."""
    folders = []
    links = os.path.abspath(os.path.join(Planner(config, mode).log_path, "python_path"))
    for package, folder in python_path_entries(config.value("python_path") or ""):
        if not folder:
            continue
        folder = os.path.abspath(folder)
        if package:
            if not dry_run:
                os.makedirs(links, exist_ok=True)
                link = os.path.join(links, package)
                if os.path.islink(link):
                    os.unlink(link)
                os.symlink(folder, link)
            folder = links
        if folder not in folders:
            folders.append(folder)
    return ":".join(folders)


def write_start_yml(config, mode):
    """The copy of the yml training reads its start weights from (the start_weights_yml line), with its key set to
    the mode's line-9 weights; returns a line saying what was written ("" when the config asks for none)."""
    copy = start_weights_yml(config, mode, split_command(config.value("trainer_script") or ""))
    if not copy:
        return ""
    _, source, target, key, weights = copy
    with open(source, encoding="utf-8") as f:
        lines = f.read().splitlines()
    entry = f"{key}: {weights}"
    found = [i for i, line in enumerate(lines) if line.split(":", 1)[0] == key]
    if found:
        lines[found[0]] = entry
    else:
        lines.insert(0, entry)
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    with open(target, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return f"training's start weights: {target} (a copy of {source} with {entry})"


def main(argv):
    usage = f"usage: python3 {argv[0]} plan|prepare|python-path|start-yml CONFIG MODE"
    if len(argv) != 4 or argv[1] not in ("plan", "prepare", "python-path", "start-yml"):
        print(usage, file=sys.stderr)
        return 2
    command, path, mode = argv[1:]
    devices = os.environ.get("TIPC_DEVICES") or "all"
    config = validated(path, mode, devices)
    if command == "plan":
        write_records(plan_variables(config, mode, devices))
    elif command == "prepare":
        scalars, arrays = prepare_plan(config, mode, devices)
        write_records({"PREP_PYTHON": config.value("python"), "PREP_PRELOAD": zlib_preload(os.environ), **scalars,
                       **arrays})
    elif command == "start-yml":
        try:
            done = write_start_yml(config, mode)
        except OSError as exc:
            print(f"cannot write the copy of the start_weights_yml file ({exc})", file=sys.stderr)
            return 1
        if done:
            print(done)
    else:
        try:
            print(python_path(config, mode, os.environ.get("TIPC_DRY_RUN", "") not in ("", "0")))
        except OSError as exc:
            print(f"cannot make the python_path links of {path} ({exc})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
