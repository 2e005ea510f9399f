"""The chain's int8 step: does the exported PACT model run in int8, agree, and pay off?

It loads the export with Paddle Inference on the CPU in up to three ways and feeds each the same real images:

- ``int8``: oneDNN with int8 kernels (``enable_mkldnn_int8`` with the op list of int8_ops: ``auto`` per CPU kind);
- ``no_int8``: the same program with oneDNN but no int8 kernels, as the suites' predictors build it
  (``enable_mkldnn()`` only): its quantize/dequantize ops then run in FP32;
- ``fp32``: an FP32 export of the model, when one is given.

On a GPU entry it adds TensorRT int8 and TensorRT FP32 on the same export (skipped, with the reason, where Paddle
has no CUDA device or no TensorRT).

It reports the ops that run in int8, by type (read from the program the int8 predictor optimized), the agreement
of every output (compare.py), top-1 accuracy against labels where the data set has them, and the median latency at
batch 1 of each way with their ratios; it writes the same facts as JSON for the harness (int8_report.py). It fails,
naming the reason, when the program is not quantized, when no op runs in int8, or when an output of the int8 run
disagrees with the run without int8 kernels and labels do not show the latter to be the wrong one.
"""
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

from . import compare, feeds, int8_ops, model_files

WARMUP = 3
QUANT_OPS_KEPT = ("quantize_linear", "dequantize_linear", "fake_quantize_dequantize_abs_max",
                  "fake_channel_wise_quantize_dequantize_abs_max", "fake_quantize_dequantize_moving_average_abs_max")
# Labels may show that the run without int8 kernels is the wrong one: on at least MIN_LABELLED labelled images, int8
# scores at least ACCURACY_MARGIN more top-1 than it. Equal scores prove nothing: a barely trained model that
# predicts one class for every image scores the same chance-level accuracy however its two runs disagree.
ACCURACY_MARGIN = 0.10
MIN_LABELLED = 8


class StepError(Exception):
    """The step cannot run (no model, no images, a feed it cannot build): the message says why."""


def log(message):
    print(message, flush=True)


class Run:
    """One way of running a model: a Paddle Inference predictor and its outputs per input."""

    def __init__(self, name, model_dir, build, work_dir):
        from paddle import inference

        self.name = name
        self.model_file, self.params_file = model_files.find_model_files(model_dir)
        self.optim_dir = tempfile.mkdtemp(prefix=f"{name}_", dir=work_dir)
        config = inference.Config(self.model_file, self.params_file)
        config.switch_ir_optim(True)
        config.disable_glog_info()
        config.set_optim_cache_dir(self.optim_dir)
        if hasattr(config, "enable_save_optim_model"):
            config.enable_save_optim_model(True)  # _optimized.pdmodel: which ops the passes left in int8
        build(config)
        self.predictor = inference.create_predictor(config)
        self.outputs = []   # per input: [array per output]
        self.times = []

    def run(self, feed):
        for name in self.predictor.get_input_names():
            handle = self.predictor.get_input_handle(name)
            handle.reshape(list(feed[name].shape))
            handle.copy_from_cpu(np.ascontiguousarray(feed[name]))
        start = time.perf_counter()
        self.predictor.run()
        elapsed = time.perf_counter() - start
        return [self.predictor.get_output_handle(n).copy_to_cpu() for n in self.predictor.get_output_names()], elapsed

    def optimized_int8_ops(self):
        """{op type: ops in int8} of the optimized program, or None where Paddle did not save it."""
        path = os.path.join(self.optim_dir, "_optimized.pdmodel")
        if not os.path.isfile(path):
            return None
        program = model_files.read_program(path)
        return dict(program.int8_ops), {op: program.op_types[op] for op in QUANT_OPS_KEPT if program.op_types[op]}

    def median_ms(self):
        return 1000.0 * statistics.median(self.times) if self.times else None


def cpu_builder(threads, int8_op_set=None):
    def build(config):
        config.disable_gpu()
        config.set_cpu_math_library_num_threads(threads)
        config.enable_mkldnn()
        if int8_op_set is not None:
            config.enable_mkldnn_int8(int8_op_set)
    return build


def trt_builder(precision):
    def build(config):
        from paddle import inference

        config.enable_use_gpu(256, 0)
        config.enable_tensorrt_engine(workspace_size=1 << 30, max_batch_size=1, min_subgraph_size=3,
                                      precision_mode=getattr(inference.PrecisionType, precision),
                                      use_static=False, use_calib_mode=False)
    return build


def gpu_problem():
    """Why TensorRT cannot run here ("" when it can)."""
    try:
        import paddle
        from paddle import inference
    except ImportError as err:
        return f"paddle cannot be imported ({err})"
    if not paddle.device.is_compiled_with_cuda() or paddle.device.cuda.device_count() < 1:
        return "no CUDA device (or a CPU build of Paddle)"
    if tuple(inference.get_trt_compile_version()) == (0, 0, 0):
        return "this Paddle was built without TensorRT"
    return ""


def params_kb(params_file):
    return os.path.getsize(params_file) / 1024.0


def check(model_dir, images, data_path=None, fp32_model_dir=None, img_size=None, threads=2, int8_op_choice="auto",
          repeats=20, max_images=32, device="cpu", report_path=None):
    """Run the step; returns the report (a dict) with ``passed`` and ``problems``."""
    model_file, params_file = model_files.find_model_files(model_dir)
    program = model_files.read_program(model_file)
    quantized = model_files.is_quantized(program)
    op_set, op_choice = int8_ops.mkldnn_int8_ops(int8_op_choice)
    report = {"model_dir": model_dir, "model_file": model_file, "quantized": quantized,
              "params_kb": params_kb(params_file), "cpu": int8_ops.cpu_name(), "threads": threads,
              "vnni": int8_ops.cpu_has_vnni(), "int8_op_choice": op_choice, "problems": [], "notes": [],
              "latency_ms": {}, "outputs": [], "int8_ops": {}, "kept_quant_ops_without_int8": {}}
    fp32_elements = program.param_elements
    if fp32_elements:
        report["params_ratio"] = report["params_kb"] * 1024.0 / (fp32_elements * 4)
        report["params_ratio_of"] = "the FP32 size of the same tensors"
    log(f"model: {model_file} ({report['params_kb']:.0f} KB params; quantized program: {'yes' if quantized else 'no'})")
    if not quantized:
        report["problems"].append(f"{model_file} runs no quantize ops: it is an FP32 model, so there is no int8 "
                                  "model to check (did the export drop the PACT quantization?)")
        return finish(report, report_path)

    labelled = feeds.labelled_images(data_path, max_images)
    paths = feeds.list_images(images, max_images) if images else []
    inputs = paths + [image for image, _ in labelled if image not in paths]
    inputs = inputs[:max_images]
    labels = {image: label for image, label in labelled}
    if not inputs:
        raise StepError("no images to feed: give --images (the chain passes the inference images) or --data")
    preprocess = feeds.read_preprocess(model_dir)
    default = (img_size, img_size) if img_size else (224, 224)
    prepared = [feeds.build_feeds(program.feeds, path, preprocess, default) for path in inputs]
    report["images"] = len(inputs)
    report["labelled_images"] = sum(image in labels for image in inputs)
    report["feeds"] = {name: list(array.shape) for name, array in prepared[0].items()}
    report["preprocess"] = preprocess.source
    log(f"inputs: {len(inputs)} image(s) ({report['labelled_images']} with labels), feeds "
        + ", ".join(f"{k} {v}" for k, v in report["feeds"].items()) + f"; preprocessing from {preprocess.source}")

    log(f"oneDNN int8 op types: {op_choice}")
    # The optimized programs the predictors save (to count the ops they run in int8) go to a folder of this step's
    # own, removed at the end: for a large model they are hundreds of MB.
    with tempfile.TemporaryDirectory(prefix="tipc_int8_") as work_dir:
        runs = run_ways(report, model_dir, fp32_model_dir, threads, op_set, op_choice, device, prepared, repeats,
                        work_dir)
        judge(report, runs, [labels.get(image) for image in inputs])
    return finish(report, report_path)


def run_ways(report, model_dir, fp32_model_dir, threads, op_set, op_choice, device, prepared, repeats, work_dir):
    """Build the predictors of every way, count the int8 ops, run every input through each, time batch 1."""
    runs = {"int8": Run("int8", model_dir, cpu_builder(threads, op_set), work_dir),
            "no_int8": Run("no_int8", model_dir, cpu_builder(threads), work_dir)}
    if fp32_model_dir:
        try:
            model_files.find_model_files(fp32_model_dir)
        except model_files.NoModel as err:
            report["notes"].append(f"no FP32 comparison: {err} (did the fp32_export step fail?)")
            fp32_model_dir = None
    if fp32_model_dir:
        runs["fp32"] = Run("fp32", fp32_model_dir, cpu_builder(threads), work_dir)
        report["fp32_params_kb"] = params_kb(runs["fp32"].params_file)
        report["params_ratio"] = report["params_kb"] / report["fp32_params_kb"]
        report["params_ratio_of"] = f"the FP32 export {runs['fp32'].model_file}"
    if device == "gpu":
        why = gpu_problem()
        if why:
            report["notes"].append(f"TensorRT int8 / FP32 skipped: {why}")
        else:
            runs["trt_int8"] = Run("trt_int8", model_dir, trt_builder("Int8"), work_dir)
            runs["trt_fp32"] = Run("trt_fp32", model_dir, trt_builder("Float32"), work_dir)

    found = runs["int8"].optimized_int8_ops()
    if found is not None:
        report["int8_ops"], _ = found
        report["kept_quant_ops_without_int8"] = (runs["no_int8"].optimized_int8_ops() or ({}, {}))[1]
    else:
        report["notes"].append("int8 ops not counted: Paddle saved no optimized ProgramDesc (.pdmodel) to read them "
                               "from (a PIR .json program's int8 marks are not read)")
    report["int8_ops_counted"] = found is not None
    total = sum(report["int8_ops"].values())
    report["int8_ops_total"] = total
    log("ops in int8: " + (", ".join(f"{n} {op}" for op, n in sorted(report["int8_ops"].items())) or "none"))
    if found is not None and total == 0:
        report["problems"].append(f"no op runs in int8 with the op types {op_choice}: the int8 predictor ran the "
                                  "quantized program without int8 kernels")

    for feed in prepared:
        for run in runs.values():
            run.outputs.append(run.run(feed)[0])
    for run in runs.values():  # latency at batch 1: warm-up, then the ways interleaved, median per way
        for _ in range(WARMUP):
            run.run(prepared[0])
    for _ in range(repeats):
        for run in runs.values():
            run.times.append(run.run(prepared[0])[1])
    report["latency_ms"] = {name: run.median_ms() for name, run in runs.items()}
    report["repeats"] = repeats
    return runs


def judge(report, runs, labels):
    """Agreement per output of int8 vs no_int8 (and vs fp32, TensorRT int8 vs FP32, reported), accuracy vs labels."""
    int8, plain = runs["int8"], runs["no_int8"]
    labelled = [i for i, label in enumerate(labels) if label is not None]
    for index in range(len(int8.outputs[0])):
        first = [out[index] for out in plain.outputs]
        kind = compare.output_kind(first[0], int8.outputs[0])
        name = plain.predictor.get_output_names()[index]
        agreement = compare.Agreement(name, kind)
        for ref, other in zip(plain.outputs, int8.outputs):
            agreement.add(ref[index], other[index])
        facts, problem = agreement.summary()
        if kind == "class scores" and labelled:
            facts["accuracy"] = {way: compare.accuracy([run.outputs[i][index] for i in labelled],
                                                       [labels[i] for i in labelled])
                                 for way, run in runs.items() if len(run.outputs[0]) > index}
            acc = facts["accuracy"]
            if (problem and len(labelled) >= MIN_LABELLED and acc.get("int8") is not None
                    and acc["int8"] >= acc["no_int8"] + ACCURACY_MARGIN):
                report["notes"].append(
                    f"{problem}, but against the labels int8 scores {acc['int8']:.1%} and the run without int8 "
                    f"kernels {acc['no_int8']:.1%}: the run without int8 kernels (what the suites' CPU predictors "
                    "do) is the one that is wrong")
                problem = ""
        if "fp32" in runs and len(runs["fp32"].outputs[0]) > index:
            versus = compare.Agreement(name, kind)
            for ref, other in zip(runs["fp32"].outputs, int8.outputs):
                versus.add(ref[index], other[index])
            facts["vs_fp32"] = versus.summary()[0]
        if "trt_int8" in runs:
            versus = compare.Agreement(name, kind)
            for ref, other in zip(runs["trt_fp32"].outputs, runs["trt_int8"].outputs):
                versus.add(ref[index], other[index])
            facts["trt_int8_vs_trt_fp32"], trt_problem = versus.summary()
            if trt_problem:
                report["problems"].append("TensorRT: " + trt_problem)
        report["outputs"].append(facts)
        if problem:
            report["problems"].append(problem + " (int8 vs the same program without int8 kernels)")


def finish(report, report_path):
    report["passed"] = not report["problems"]
    for line in text(report):
        log(line)
    if report_path:
        with open(report_path, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, default=str)
    return report


def _ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "n/a"


def text(report):
    """The report as lines."""
    lines = ["", "---------------------- int8 step ----------------------",
             f"CPU: {report['cpu']} (VNNI: {report['vnni']}), {report['threads']} threads"]
    if "params_ratio" in report:
        lines.append(f"params: {report['params_kb']:.0f} KB, {report['params_ratio']:.3f}x "
                     f"{report['params_ratio_of']}")
    if report.get("int8_ops") or "int8_ops_total" in report:
        lines.append("ops in int8: " + (", ".join(f"{n} {op}" for op, n in sorted(report["int8_ops"].items()))
                                        or "none") + f" (op types asked for: {report.get('int8_op_choice')})")
    if report.get("kept_quant_ops_without_int8"):
        lines.append("without int8 kernels the program keeps "
                     + ", ".join(f"{n} {op}" for op, n in report["kept_quant_ops_without_int8"].items())
                     + " ops, run in FP32")
    for out in report["outputs"]:
        parts = [f"output {out['output']} ({out['kind']})"]
        if out.get("cosine") is not None:
            parts.append(f"cosine {out['cosine']:.4f}")
        parts.append(f"max abs diff {out['max_abs_diff']:.4g}")
        if out.get("agree") is not None:
            parts.append(f"agreement {out['agree']:.1%} of {out['agree_of']}"
                         + (f" (+{out['near_ties']} near-ties)" if out.get("near_ties") else ""))
        elif out.get("near_ties"):
            parts.append(f"all {out['near_ties']} inputs near-ties")
        if out.get("max_prob_diff") is not None:
            parts.append(f"max probability diff {out['max_prob_diff']:.4f}")
        if out.get("centered_cosine") is not None:
            parts.append(f"cosine of the centred scores {out['centered_cosine']:.4f}")
        if out.get("spread_ratio") is not None:
            parts.append(f"their spread {out['spread_ratio']:.2f}x the reference's")
        for way, acc in (out.get("accuracy") or {}).items():
            if acc is not None:
                parts.append(f"top-1 vs labels {way} {acc:.1%}")
        lines.append("; ".join(parts))
    lat = report.get("latency_ms") or {}
    if lat:
        lines.append("median latency, batch 1 (" + str(report.get("repeats")) + " runs): "
                     + ", ".join(f"{k} {v:.2f} ms" for k, v in lat.items()))
        ratios = [f"int8 / without int8 kernels {_ratio(lat.get('int8'), lat.get('no_int8'))}"]
        if lat.get("fp32"):
            ratios += [f"int8 / FP32 {_ratio(lat.get('int8'), lat.get('fp32'))}",
                       f"without int8 kernels / FP32 {_ratio(lat.get('no_int8'), lat.get('fp32'))}"]
        if lat.get("trt_int8"):
            ratios.append(f"TensorRT int8 / FP32 {_ratio(lat.get('trt_int8'), lat.get('trt_fp32'))}")
        lines.append("ratios: " + ", ".join(ratios))
    lines += [f"NOTE {note}" for note in report["notes"]]
    lines += [f"PROBLEM {problem}" for problem in report["problems"]]
    lines.append("int8 step: " + ("PASSED" if not report["problems"] else "FAILED"))
    return lines


def main(args):
    try:
        report = check(args.model_dir, args.images, data_path=args.data, fp32_model_dir=args.fp32_model_dir,
                       img_size=args.img_size, threads=args.threads, int8_op_choice=args.int8_ops,
                       repeats=args.repeats, max_images=args.max_images, device=args.device,
                       report_path=args.report)
    except (StepError, feeds.FeedError, model_files.NoModel) as err:
        print(f"int8 step: {err}", file=sys.stderr, flush=True)
        if args.report:
            with open(args.report, "w", encoding="utf-8") as f:
                json.dump({"passed": False, "problems": [str(err)], "model_dir": args.model_dir}, f)
        return 1
    return 0 if report["passed"] else 1
