"""Checks of a finished TIPC run, shared by the nox sessions and the tests.

Each function returns a list of problems (empty = fine), so callers can report all of them at once.
"""
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

RESULT_LINE = re.compile(r"^Run (successfully|failed) with command - (.*)!\s*$")
INFER_LINE = re.compile(r"^image_name: (.+), class_id: (-?\d+), prob: ([-+0-9.eE]+)$")
INFER_LOG = re.compile(r"^infer_(cpu|gpu|default)(_[A-Za-z]+_[A-Za-z0-9_.-]+?)*_batchsize_[A-Za-z0-9_.-]+\.log$")
# How a results-log command is recognised as a step of the reference chain.
STEP_SCRIPTS = {
    "train": "train.py --pact_quant",
    "eval": "train.py --test-only",
    "export": "tools/export_model.py",
    "infer": "deploy/inference_python/infer.py",
    "accuracy": "tools/check_accuracy.py",
    "int8": "test_tipc/int8_check.py check",
}
# Words the harness writes into a command as they are (TIPC_PLAIN_WORD of common_func.sh).
PLAIN_WORD = re.compile(r"[A-Za-z0-9_./:,+@%=-]+")


def shell_word(value):
    """``value`` as the harness writes it into a results-log or dry-run command (common_func.sh): unchanged when
    it is a plain word, otherwise quoted by bash's ``printf %q``, e.g. the interpreter ``/tmp/new comer/bin/python``
    as ``/tmp/new\\ comer/bin/python``."""
    if PLAIN_WORD.fullmatch(value):
        return value
    return subprocess.run(["bash", "-c", 'printf %q "$1"', "_", value], capture_output=True, text=True,
                          check=True).stdout


def _harness_module(name):
    """test_tipc/pact_tipc/<name>.py of the template (standard library only), imported by its path under a name of
    its own, without writing __pycache__ into the template."""
    package_dir = Path(__file__).resolve().parents[1] / "{{cookiecutter.model_name}}" / "test_tipc" / "pact_tipc"
    dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        if "template_pact_tipc" not in sys.modules:
            spec = importlib.util.spec_from_file_location("template_pact_tipc", package_dir / "__init__.py",
                                                          submodule_search_locations=[str(package_dir)])
            package = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = package
            spec.loader.exec_module(package)
        return importlib.import_module("template_pact_tipc." + name)
    finally:
        sys.dont_write_bytecode = dont_write_bytecode


# Finds and inspects inference models as the harness and the reference repo do: one rule for all of them.
inference_model = _harness_module("model_files")


def read_results(log_dir):
    """[(passed, command)] from ``<log_dir>/results_python.log``."""
    path = Path(log_dir) / "results_python.log"
    if not path.is_file():
        return None
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = RESULT_LINE.match(line.strip())
        if match:
            rows.append((match.group(1) == "successfully", match.group(2)))
    return rows


def top1_table(text):
    """The top-1 lines tools/check_accuracy.py prints with --fp32-weights (empty when there are none)."""
    lines = [line.strip() for line in text.splitlines() if line.startswith("[accuracy]")]
    start = next((i for i, line in enumerate(lines) if line.startswith("[accuracy] top-1 on")), None)
    if start is None:
        return []
    return [line[len("[accuracy] "):] for line in lines[start:] if "%" in line or "points" in line or "top-1" in line]


def step_of(command):
    for step, script in STEP_SCRIPTS.items():
        if script in command:
            return step
    return None


def infer_lines(text):
    """[(image, class_id, prob)] of the inference output."""
    rows = []
    for line in text.splitlines():
        match = INFER_LINE.match(line.strip())
        if match:
            rows.append((match.group(1), int(match.group(2)), float(match.group(3))))
    return rows


def model_file(model_dir):
    """The inference model in ``model_dir`` (test_tipc/pact_tipc/model_files.find_model_files), or None."""
    try:
        return Path(inference_model.find_model_files(str(model_dir))[0])
    except inference_model.NoModel:
        return None


def check_quantized_model(model_dir, fp32_params_bytes=None, max_ratio=0.5):
    problems = []
    found = model_file(model_dir)
    if found is None:
        return [f"{model_dir}: no inference model (*.json / *.pdmodel)"]
    if not inference_model.is_quantized_model(found):
        problems.append(f"{found}: no quantize/dequantize ops: the export is not a quantized model")
    params = found.with_suffix(".pdiparams")
    if fp32_params_bytes and params.stat().st_size > max_ratio * fp32_params_bytes:
        problems.append(f"{params}: {params.stat().st_size} bytes, more than {max_ratio} x FP32 "
                        f"({fp32_params_bytes} bytes): weights are not int8")
    return problems


def check_int8_report(path):
    """The harness's int8 step on an export: it passed, and ops really ran in int8."""
    if not Path(path).is_file():
        return [f"{path}: the int8 step wrote no report"]
    report = json.loads(Path(path).read_text(encoding="utf-8"))
    problems = [f"{path}: int8 step problem: {p}" for p in report.get("problems", [])]
    if not report.get("int8_ops_total"):
        problems.append(f"{path}: no op ran in int8 ({report.get('int8_ops')})")
    if not report.get("latency_ms", {}).get("int8"):
        problems.append(f"{path}: no int8 latency measured")
    return problems


def check_chain(repo, model_name, mode, tags, accuracy=True):
    """Every step of every entry tag (e.g. "cpu", "cpu_x2") passed, nothing failed, outputs are real.

    ``accuracy=False`` for a config cut to the guide's 32 lines, which has no accuracy-check line (34).
    """
    repo = Path(repo)
    log_dir = repo / "log" / model_name / mode
    rows = read_results(log_dir)
    if rows is None:
        return [f"{log_dir / 'results_python.log'} was not written"]
    problems = [f"step failed: {command}" for ok, command in rows if not ok]
    for tag in tags:
        save_dir = f"pact_train_{tag}"
        # "pact_train_cpu" must not match "pact_train_cpu_x2"
        names_entry = re.compile(re.escape(save_dir) + r"(?=[/\s'\"]|$)")
        for step in STEP_SCRIPTS:
            if step == "accuracy" and not accuracy:
                continue
            passed = [c for ok, c in rows if ok and step_of(c) == step and names_entry.search(c)]
            if not passed:
                problems.append(f"entry {tag}: no 'Run successfully' line for the {step} step")
        problems += check_quantized_model(log_dir / save_dir)
        problems += check_int8_report(log_dir / f"{save_dir}_int8.json")
        # one log per inference combination: pact_train_cpu_infer_cpu[_mkldnn_True_threads_2_precision_auto]_batchsize_1
        infer_logs = sorted(log for log in log_dir.glob(f"pact_train_{tag}_infer_*.log")
                            if INFER_LOG.match(log.name[len(f"pact_train_{tag}_"):]))
        if not infer_logs:
            problems.append(f"entry {tag}: no inference log in {log_dir}")
        for log in infer_logs:
            lines = infer_lines(log.read_text(encoding="utf-8", errors="replace"))
            if not lines:
                problems.append(f"{log}: no 'image_name: ..., class_id: ..., prob: ...' line")
            problems += [f"{log}: prob {p} of {img} outside [0, 1]" for img, _, p in lines if not 0.0 <= p <= 1.0]
    return problems
