"""What the harness reads from the int8 step's report (standard library only: the harness runs it with the first
python3 on PATH, which need not have Paddle).

- ``row_note``: after a passed inference step of the repo's own predictor, whether it ran the quantized model with
  int8 kernels. Its log says so when it reports ``precision: int8`` (the AutoLog report of benchmark mode); a report
  of fp32 or fp16, or none at all, on a quantized model means the quantize/dequantize ops ran in FP32 (what
  PaddleClas's, PaddleSeg's and PaddleDetection's CPU predictors do: ``enable_mkldnn()`` without
  ``enable_mkldnn_int8()``). The row then says so, with the cost the int8 step measured: WARN by default, FAIL
  with the config's ``int8_strict:True`` line.
- ``facts``: the summary's int8 lines, one per int8 step of the run.
"""
import glob
import json
import math
import os
import re

PRECISION = re.compile(r"\bprecision\s*:\s*([A-Za-z0-9_]+)")


def load(report_path):
    try:
        with open(report_path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_log(step_log):
    """The step log's text ("" when it cannot be read)."""
    try:
        with open(step_log, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def reported_precisions(text):
    return [m.group(1).lower() for m in PRECISION.finditer(text)]


def cost(report):
    """'N x the int8 latency, M x the FP32 latency' from the int8 step's medians ("" without them)."""
    lat = report.get("latency_ms") or {}
    plain, int8, fp32 = lat.get("no_int8"), lat.get("int8"), lat.get("fp32")
    if not plain or not int8:
        return ""
    out = f"{plain / int8:.1f}x the int8 latency"
    if fp32:
        out += f", {plain / fp32:.1f}x the FP32 latency"
    return out + " (the int8 step's batch-1 medians)"


INFERENCE_MS = re.compile(r"\binference_time\(ms\)\s*:\s*([0-9.]+)")
BATCH_SIZE = re.compile(r"\bbatch_size\s*:\s*([0-9]+)")
DATA_NUM = re.compile(r"\bdata_num\s*:\s*([0-9]+)")
# Fewer timed inputs than this and the report's time is one cold sample, not a figure to judge by (the reference
# predictor timed one image at 13.25 ms against the int8 step's 4.41 ms median with int8 kernels).
MIN_TIMED = 5


def precision_is_a_label(report, text):
    """Why a step whose log TEXT reports precision int8 did not run int8 kernels, from the inference time its
    benchmark report gives, or "" when it did or nothing tells. A predictor may print the precision it was asked for
    without enabling int8 kernels (PaddleSeg's CPU predictor does): at batch size 1 over MIN_TIMED inputs or more, a
    reported time clearly nearer the int8 step's latency without int8 kernels than with them (on a logarithmic scale
    at most half as far from it, where the two are at least 2x apart) says which program ran."""
    lat = report.get("latency_ms") or {}
    plain, int8 = lat.get("no_int8"), lat.get("int8")
    times, batches, counts = INFERENCE_MS.findall(text), BATCH_SIZE.findall(text), DATA_NUM.findall(text)
    if not plain or not int8 or plain < 2 * int8 or not times or batches[-1:] != ["1"]:
        return ""
    if not counts or int(counts[-1]) < MIN_TIMED:
        return ""
    ms = float(times[-1])
    # A clear margin, not the midpoint: the step and the int8 step run at different moments, and a busy machine
    # slowed a real int8 run (our reference predictor) past the midpoint (9.62 ms; 4.18 with, 18.78 ms without).
    if ms <= 0 or abs(math.log(ms / plain)) >= 0.5 * abs(math.log(ms / int8)):
        return ""
    return (f"its inference time ({ms:.2f} ms per image) is that of the program without int8 kernels (the int8 step: "
            f"{plain:.2f} ms without them, {int8:.2f} ms with them)")


def top_boxes(out, lead):
    """LEAD and the agreement of each image's best boxes whatever their score (compare.TOP_BOXES), where the report
    has it; "" where it does not."""
    if not out.get("top_agree_of"):
        return ""
    return (f"{lead}its best boxes per image (scores up to {out.get('top_score', 0):.3f}) matched "
            f"{out['top_agree']:.1%} of {out['top_agree_of']}")


def row_note(report_path, step_log, strict=False, int8_switch="", step="infer"):
    """(status, note): status PASS, WARN or FAIL for an inference step (STEP infer) that exited 0 and gave its
    results, or for the int8 step itself (STEP int8), whose passing run is WARN when it could not count the ops
    that ran in int8 (a PIR .json program without a saved optimized ProgramDesc)."""
    report = load(report_path)
    if not report or not report.get("quantized"):
        return "PASS", ""
    if step == "int8":
        notes = []
        if not report.get("int8_ops_counted", True):
            notes.append("int8 ops not counted (no optimized .pdmodel to read them from): agreement and latency were "
                         "measured, but nothing shows that any op ran in int8")
        for out in report.get("outputs") or []:
            if out.get("kind") == "boxes" and not out.get("agree_of"):
                notes.append(f"no box of {out['output']} scored {out.get('box_score', 0.3)} in the run without int8 "
                             "kernels, so box agreement was not judged (a barely trained detector)"
                             + top_boxes(out, "; reported only: "))
        return ("WARN", "; ".join(notes)) if notes else ("PASS", "")
    text = read_log(step_log)
    said = reported_precisions(text)
    if "int8" in said:
        label_only = precision_is_a_label(report, text)
        if not label_only:
            return "PASS", ""
        note = (f"the int8 model ran without int8 kernels: it reports precision: int8, but {label_only}; the precision "
                "it reports is a label; its CPU predictor needs config.enable_mkldnn_int8() after enable_mkldnn()")
        return ("FAIL" if strict else "WARN"), note
    how = (f"it reports precision: {said[-1]}" if said else
           "its log does not say it ran int8 (no 'precision: int8', e.g. from a benchmark report)")
    note = f"the int8 model ran without int8 kernels: {how}"
    spent = cost(report)
    if spent and said:
        note += f"; that costs {spent}"
    elif spent:
        note += f"; without them it costs {spent}"
    note += "; " + (f"run it with {int8_switch}" if int8_switch else
                    "its CPU predictor needs config.enable_mkldnn_int8() after enable_mkldnn()")
    return ("FAIL" if strict else "WARN"), note


def fact(label, report):
    """One summary line of an int8 step's report."""
    if report is None:
        return f"{label}: no report"
    if not report.get("quantized", True) or "int8_ops_total" not in report:
        return f"{label}: " + ("; ".join(report.get("problems") or ["not run"]))
    parts = []
    if report.get("params_ratio") is not None:
        parts.append(f"params {report['params_ratio']:.2f}x FP32")
    ops = report.get("int8_ops") or {}
    if report.get("int8_ops_counted", True):
        parts.append(f"{report.get('int8_ops_total', 0)} ops in int8"
                     + (f" ({', '.join(f'{n} {op}' for op, n in sorted(ops.items()))})" if ops else ""))
    else:
        parts.append("int8 ops not counted")
    for out in report.get("outputs") or []:
        if out.get("agree") is not None and out.get("agree_of", 0) >= 5:
            parts.append(f"{out['kind']} agreement {out['agree']:.1%} of {out['agree_of']}")
        elif out.get("max_prob_diff") is not None:
            ties = out.get("near_ties", 0)
            parts.append(f"{out['kind']}: {ties} of {ties + out.get('agree_of', 0)} near-ties, probabilities within "
                         f"{out['max_prob_diff']:.4f}")
        elif out.get("kind") == "boxes":
            parts.append(f"{out['output']}: no box scores {out.get('box_score', 0.3)} "
                         f"(agreement not judged{top_boxes(out, '; ')})")
        elif out.get("cosine") is not None:
            parts.append(f"{out['output']} cosine {out['cosine']:.4f}")
    lat = report.get("latency_ms") or {}
    if lat.get("int8") and lat.get("no_int8"):
        latency = (f"int8 {lat['int8']:.2f} ms = {lat['int8'] / lat['no_int8']:.2f}x without int8 kernels "
                   f"({lat['no_int8']:.2f} ms)")
        if lat.get("fp32"):
            latency += f", {lat['int8'] / lat['fp32']:.2f}x FP32 ({lat['fp32']:.2f} ms)"
        parts.append(latency)
    verdict = "PASS" if report.get("passed") else "FAIL"
    return f"{verdict} {label}: " + ", ".join(parts)


def facts(log_path):
    """The summary's int8 lines: one per ``*_int8.json`` in LOG_PATH, and the CPU they were measured on."""
    lines, measured = [], None
    for path in sorted(glob.glob(os.path.join(glob.escape(log_path), "*_int8.json"))):
        report = load(path)
        if measured is None and (report or {}).get("cpu"):
            measured = report
        lines.append(fact(os.path.basename(path)[: -len("_int8.json")], report))
    if measured:
        lines.append(f"(measured on {measured['cpu']}, {measured.get('threads')} threads; int8 op types "
                     f"{measured.get('int8_op_choice')})")
    return lines
