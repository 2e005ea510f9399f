"""Compare inference models on this machine: median latency per batch size, and params file size.

    python tools/benchmark_inference.py --model-dir fp32=./output/fp32_infer --model-dir int8=./output/pact_infer \
        --batch-sizes=1,8 --repeats=30

Runs are interleaved (A, B, A, B, ...) so both models see the same machine load; the last column is the
latency ratio of each model to the first one.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))

from pact_cls.utils import add_inference_arguments, classifier_options, run_main  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", action="append", required=True, metavar="NAME=DIR",
                        help="a model to compare (repeat); the first is the baseline")
    parser.add_argument("--batch-sizes", default="1,8")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    add_inference_arguments(parser)
    args = parser.parse_args(argv)
    models = []
    for item in args.model_dir:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            parser.error(f"--model-dir expects NAME=DIR, got {item!r}")
        models.append((name, path))
    args.models = models
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    return args


def main(argv=None):
    args = parse_args(argv)
    import numpy as np

    import platform

    from pact_cls.predictor import ISA_CAPS_WITHOUT_VNNI, Classifier, cpu_has_vnni, cpuinfo_field, onednn_isa_cap

    classifiers = [(name, Classifier(path, **classifier_options(args))) for name, path in args.models]
    vnni = {True: "yes", False: "no", None: "unknown"}[cpu_has_vnni()]
    cap = onednn_isa_cap()
    if cap:
        none = ", which has none" if cap in ISA_CAPS_WITHOUT_VNNI else ""
        vnni += f" (oneDNN capped to {cap} by the environment{none})"
    cpu = cpuinfo_field("model name") or platform.processor() or platform.machine()
    print(f"CPU: {cpu}, {os.cpu_count()} logical cores, int8 dot-product instructions (VNNI): {vnni}\n")
    print(f"{'model':<8} {'precision':<9} {'params KB':>10} {'size ratio':>10}  model file")
    base_size = os.path.getsize(classifiers[0][1].params_file)
    for name, clf in classifiers:
        size = os.path.getsize(clf.params_file)
        print(f"{name:<8} {clf.precision:<9} {size / 1024:>10.0f} {size / base_size:>10.3f}  {clf.model_file}"
              + (f" (oneDNN int8 ops: {clf.int8_ops})" if clf.int8_ops else ""))
    print(f"\n{'model':<8} {'batch':>5} {'median ms':>10} {'p90 ms':>8} {'ratio':>6}   ({args.repeats} runs each, "
          f"{args.cpu_threads} threads, mkldnn {args.enable_mkldnn})")
    for batch in args.batch_sizes:
        size = classifiers[0][1].img_size
        x = np.random.RandomState(0).rand(batch, 3, size, size).astype("float32")
        times = {name: [] for name, _ in classifiers}
        for _ in range(args.warmup):
            for _, clf in classifiers:
                clf.infer(x)
        for _ in range(args.repeats):
            for name, clf in classifiers:
                start = time.perf_counter()
                clf.infer(x)
                times[name].append((time.perf_counter() - start) * 1000.0)
        base = statistics.median(times[classifiers[0][0]])
        for name, _ in classifiers:
            med = statistics.median(times[name])
            p90 = sorted(times[name])[int(0.9 * (len(times[name]) - 1))]
            print(f"{name:<8} {batch:>5} {med:>10.2f} {p90:>8.2f} {med / base:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
