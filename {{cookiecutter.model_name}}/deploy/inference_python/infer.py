"""Classify images with an exported Paddle Inference model (FP32 or PACT int8).

    python deploy/inference_python/infer.py --model-dir=./output/mobilenet_v3_small_infer --img-path=./images/demo.jpg
    python deploy/inference_python/infer.py --model-dir=... --img-path=./lite_data/val --batch-size=8 --benchmark=True

Prints one line per image: ``image_name: <path>, class_id: <int>, prob: <float>``.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))

from pact_cls.device import use_gpu  # noqa: E402
from pact_cls.utils import add_inference_arguments, classifier_options, run_main, str2bool  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", required=True, help="folder with inference.json|.pdmodel + .pdiparams")
    parser.add_argument("--img-path", default="./images/demo.jpg", help="an image file or a folder of images")
    parser.add_argument("--use-gpu", type=use_gpu, default=False, help="True or gpu (a CUDA GPU), False or cpu")
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--benchmark", type=str2bool, default=False, help="print the AutoLog-style report")
    parser.add_argument("--precision", choices=("auto", "fp32", "fp16", "int8"), default="auto",
                        help="auto: int8 for a quantized model, fp32 otherwise (fp16: TensorRT only)")
    parser.add_argument("--use-tensorrt", type=str2bool, default=False, help="TensorRT on GPU (int8 for PACT)")
    add_inference_arguments(parser)
    parser.add_argument("--img-size", type=int, default=None,
                        help="input size (default: the one the export recorded in <model-dir>/inference.yml)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs before timing (with --benchmark)")
    parser.add_argument("--model-name", default="classification", help="name shown in the benchmark report")
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    from pact_cls.predictor import Classifier, Timer, benchmark_report, list_images

    paths = list_images(args.img_path)
    classifier = Classifier(args.model_dir, use_gpu=args.use_gpu, precision=args.precision,
                            use_tensorrt=args.use_tensorrt, batch_size=args.batch_size, img_size=args.img_size,
                            **classifier_options(args))
    batches = [paths[i:i + args.batch_size] for i in range(0, len(paths), args.batch_size)]
    if args.benchmark:
        first = classifier.preprocess(batches[0])
        for _ in range(args.warmup):
            classifier.infer(first)
    timer = Timer()
    for batch_paths in batches:
        start = time.perf_counter()
        batch = classifier.preprocess(batch_paths)
        timer.add("preprocess", time.perf_counter() - start)
        start = time.perf_counter()
        logits = classifier.infer(batch)
        timer.add("inference", time.perf_counter() - start)
        start = time.perf_counter()
        ids, probs = classifier.postprocess(logits)
        timer.add("postprocess", time.perf_counter() - start)
        for path, class_id, prob in zip(batch_paths, ids, probs):
            print(f"image_name: {path}, class_id: {int(class_id)}, prob: {float(prob):.6f}", flush=True)
    if args.benchmark:
        print(benchmark_report(classifier, args.model_name, args.batch_size, len(paths), timer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
