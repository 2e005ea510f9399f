"""Check an exported inference model against the dygraph model it came from, or against saved results.

    # same class for every image as the dygraph (PACT) network? prints the max probability difference
    python tools/check_accuracy.py --model=mobilenet_v3_small --pretrained=./output/latest.pdparams \
        --model-dir=./output/mobilenet_v3_small_infer --img-path=./lite_data/val
    # save the inference results as ground truth, later compare a new export with atol/rtol
    python tools/check_accuracy.py --model-dir=... --img-path=./lite_data/val --save-results=./gt.json
    python tools/check_accuracy.py --model-dir=... --img-path=./lite_data/val --compare-results=./gt.json

Exit status 0 when everything agrees, 1 when a prediction differs, 2 for bad arguments or files.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))

from pact_cls.utils import run_main, str2bool  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", required=True, help="exported inference model folder")
    parser.add_argument("--img-path", default="./lite_data/val", help="image file or folder")
    parser.add_argument("--model", default="mobilenet_v3_small", help="architecture of --pretrained")
    parser.add_argument("--pretrained", default=None, help="dygraph weights to compare with (FP32 or PACT)")
    parser.add_argument("--save-results", default=None, help="write the inference results (JSON)")
    parser.add_argument("--compare-results", default=None, help="compare with results saved earlier (JSON)")
    parser.add_argument("--atol", type=float, default=0.02)
    parser.add_argument("--rtol", type=float, default=0.05)
    parser.add_argument("--enable-mkldnn", type=str2bool, default=True)
    args = parser.parse_args(argv)
    if not (args.pretrained or args.save_results or args.compare_results):
        parser.error("give --pretrained, --save-results or --compare-results")
    return args


def main(argv=None):
    args = parse_args(argv)
    from pact_cls import accuracy, engine, models, quant
    from pact_cls.predictor import Classifier, list_images

    classifier = Classifier(args.model_dir, enable_mkldnn=args.enable_mkldnn)
    paths = list_images(args.img_path)
    results = accuracy.inference_results(classifier, paths)
    failed = False
    print(f"[accuracy] {len(paths)} images, inference model {classifier.model_file} ({classifier.precision})")
    if args.pretrained:
        state = models.load_checkpoint(args.pretrained)
        net_args = argparse.Namespace(model=args.model, pact_quant=quant.is_quantized_state_dict(state))
        model, quanter = engine.build_network(net_args, models.num_classes_from_state_dict(state), args.pretrained)
        differ, max_diff = accuracy.agreement(accuracy.dygraph_results(model, classifier, paths), results)
        kind = "PACT dygraph" if quanter else "FP32 dygraph"
        print(f"[accuracy] same class as the {kind} model: {len(paths) - len(differ)}/{len(paths)}, "
              f"max probability difference: {max_diff:.6f}")
        for img in differ:
            print(f"[accuracy] class differs: {img}")
        failed |= bool(differ)
    if args.save_results:
        accuracy.save_results(results, args.save_results)
        print(f"[accuracy] saved results to {args.save_results}")
    if args.compare_results:
        problems = accuracy.compare_with_saved(results, args.compare_results, args.atol, args.rtol)
        print(f"[accuracy] compared with {args.compare_results}: {len(problems)} mismatches")
        for problem in problems:
            print(f"[accuracy] mismatch: {problem}")
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_main(main))
