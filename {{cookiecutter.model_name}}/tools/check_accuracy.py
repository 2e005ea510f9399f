"""Check an exported inference model against the dygraph model it came from, or against saved results.

    # same class for every image as the dygraph (PACT) network? prints the max probability difference
    python tools/check_accuracy.py --pretrained=./output/latest.pdparams \
        --model-dir=./output/mobilenet_v3_small_infer --img-path=./lite_data/val
    # top-1 of the FP32 weights, the PACT weights and the int8 inference model on a labelled folder
    # (<img-path>/<class>/*.jpg); fail when inference loses more than 1 point against FP32
    python tools/check_accuracy.py --model-dir=... --pretrained=<pact weights> --img-path=./whole_data/val \
        --fp32-weights=./pretrain_models/mobilenet_v3_small_fp32.pdparams --max-top1-drop=1.0
    # save the inference results as ground truth, later compare a new export with atol/rtol
    python tools/check_accuracy.py --model-dir=... --img-path=./lite_data/val --save-results=./gt.json
    python tools/check_accuracy.py --model-dir=... --img-path=./lite_data/val --compare-results=./gt.json

The dygraph networks are built as the architecture <model-dir>/inference.yml records (tools/export_model.py writes
it); --model overrides it.

Exit status 0 when everything agrees, 1 when a prediction differs (or top-1 drops more than allowed), 2 for bad
arguments or files.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))

from pact_cls.utils import add_inference_arguments, classifier_options, run_main  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", required=True, help="exported inference model folder")
    parser.add_argument("--img-path", default="./lite_data/val", help="image file or folder")
    parser.add_argument("--model", default=None,
                        help="architecture of --pretrained and --fp32-weights (default: the one the export recorded "
                             "in <model-dir>/inference.yml)")
    parser.add_argument("--pretrained", default=None, help="dygraph weights to compare with (FP32 or PACT)")
    parser.add_argument("--fp32-weights", default=None,
                        help="FP32 dygraph weights whose top-1 is reported next to --pretrained's and the inference "
                             "model's (needs a labelled --img-path folder: <img-path>/<class>/*.jpg)")
    parser.add_argument("--max-top1-drop", type=float, default=None, metavar="POINTS",
                        help="fail when the inference model's top-1 is more than POINTS percentage points below "
                             "the --fp32-weights top-1")
    parser.add_argument("--min-agreement", type=float, default=1.0, metavar="FRACTION",
                        help="fraction of the images on which the inference model must pick the --pretrained "
                             "model's class (default 1.0: every image; int8 kernels may flip a borderline image of a "
                             "large set)")
    parser.add_argument("--tie-margin", type=float, default=0.01, metavar="PROB",
                        help="an image whose class differs counts as agreeing when the --pretrained model's own "
                             "probabilities of the two classes are within PROB (a near-tie; listed, not counted)")
    parser.add_argument("--save-results", default=None, help="write the inference results (JSON)")
    parser.add_argument("--compare-results", default=None, help="compare with results saved earlier (JSON)")
    parser.add_argument("--atol", type=float, default=0.02)
    parser.add_argument("--rtol", type=float, default=0.05)
    add_inference_arguments(parser)
    args = parser.parse_args(argv)
    if not (args.pretrained or args.save_results or args.compare_results or args.fp32_weights):
        parser.error("give --pretrained, --fp32-weights, --save-results or --compare-results")
    if not 0 <= args.min_agreement <= 1:
        parser.error("--min-agreement must be a fraction in [0, 1]")
    if args.max_top1_drop is not None and not args.fp32_weights:
        parser.error("--max-top1-drop compares with the top-1 of --fp32-weights: give them too")
    return args


def dygraph_model_results(weights, arch, classifier, paths):
    """(results, "PACT dygraph" or "FP32 dygraph"): the network of ``weights`` (quantized for PACT weights)."""
    from pact_cls import accuracy, engine, models, quant

    state = models.load_checkpoint(weights)
    model, quanter = engine.network_from_state(arch, models.num_classes_from_state_dict(state), state, weights,
                                               pact=quant.is_quantized_state_dict(state))
    return accuracy.dygraph_results(model, classifier, paths), "PACT dygraph" if quanter else "FP32 dygraph"


def architecture(args):
    """--model, or the architecture <model-dir>/inference.yml records."""
    from pact_cls import UserError
    from pact_cls.inference_model import INFERENCE_YML, read_architecture

    arch = args.model or read_architecture(args.model_dir)
    if arch is None:
        raise UserError(f"{args.model_dir!r} has no {INFERENCE_YML} recording the architecture (tools/export_model.py "
                        "writes it): pass --model")
    return arch


def report_top1(args, labels, rows):
    """Print the top-1 table; True (failed) when the inference model lost more than --max-top1-drop points."""
    from pact_cls import accuracy

    print(f"[accuracy] top-1 on the {len(labels)} labelled images of {args.img_path}:")
    scores = [accuracy.top1(results, labels) for _, _, results in rows]
    width = max(len(what) for what, _, _ in rows)
    for (what, source, _), score in zip(rows, scores):
        print(f"[accuracy]   {what:<{width}}  {100 * score:6.2f}%  ({source})")
    change = 100 * (scores[-1] - scores[0])
    drop = -change
    print(f"[accuracy] {rows[-1][0]} vs FP32: {change:+.2f} points")
    if args.max_top1_drop is not None and drop > args.max_top1_drop:
        print(f"[accuracy] FAILED: top-1 dropped {drop:.2f} points, more than --max-top1-drop={args.max_top1_drop}")
        return True
    return False


def report_agreement(args, kind, reference, results):
    """Print on how many images the inference model picks the ``kind`` model's class; True (failed) when that is
    less than --min-agreement."""
    from pact_cls import accuracy

    total = len(results)
    differ, ties, max_diff = accuracy.agreement(reference, results, args.tie_margin)
    print(f"[accuracy] same class as the {kind} model: {total - len(differ) - len(ties)}/{total}"
          + (f" (+{len(ties)} near-ties: the {kind} model's top two within {args.tie_margin})" if ties else "")
          + f", max probability difference: {max_diff:.6f}")
    for img in differ:
        print(f"[accuracy] class differs: {img}")
    for img in ties:
        print(f"[accuracy] near-tie, class differs: {img} (not counted)")
    agreement = (total - len(differ)) / total
    if agreement < args.min_agreement:
        print(f"[accuracy] FAILED: the inference model agrees with the {kind} model on {100 * agreement:.2f}% "
              f"of the images, less than --min-agreement={args.min_agreement}")
        return True
    return False


def report_comparison(args, results):
    """Print the differences from the results saved in --compare-results; True (failed) when there are any."""
    from pact_cls import accuracy

    problems = accuracy.compare_with_saved(results, args.compare_results, args.atol, args.rtol)
    print(f"[accuracy] compared with {args.compare_results}: {len(problems)} mismatches")
    for problem in problems:
        print(f"[accuracy] mismatch: {problem}")
    return bool(problems)


def main(argv=None):
    args = parse_args(argv)
    from pact_cls import UserError, accuracy
    from pact_cls.predictor import Classifier, list_images

    paths = list_images(args.img_path)
    labels = accuracy.folder_labels(args.img_path, paths) if args.fp32_weights else None
    if args.fp32_weights and labels is None:
        raise UserError(f"--fp32-weights: top-1 needs labelled images, {args.img_path!r} is not a folder of "
                        "class folders (<img-path>/<class>/*.jpg)")
    classifier = Classifier(args.model_dir, **classifier_options(args))
    arch = architecture(args) if args.pretrained or args.fp32_weights else None
    results = accuracy.inference_results(classifier, paths)
    print(f"[accuracy] {len(paths)} images, inference model {classifier.model_file} ({classifier.precision}"
          f"{', oneDNN int8 ops: ' + classifier.int8_ops if classifier.int8_ops else ''})")
    failed = False
    top1_rows = []  # (what, weights or model, top-1 results)
    if args.fp32_weights:
        fp32, _ = dygraph_model_results(args.fp32_weights, arch, classifier, paths)
        top1_rows.append(("FP32 dygraph", args.fp32_weights, fp32))
    if args.pretrained:
        reference, kind = dygraph_model_results(args.pretrained, arch, classifier, paths)
        failed |= report_agreement(args, kind, reference, results)
        top1_rows.append((kind, args.pretrained, reference))
    top1_rows.append((f"{classifier.precision} inference", classifier.model_file, results))
    if args.fp32_weights:
        failed |= report_top1(args, labels, top1_rows)
    if args.save_results:
        accuracy.save_results(results, args.save_results)
        print(f"[accuracy] saved results to {args.save_results}")
    if args.compare_results:
        failed |= report_comparison(args, results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_main(main))
