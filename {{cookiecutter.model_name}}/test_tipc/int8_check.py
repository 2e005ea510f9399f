#!/usr/bin/env python3
"""The chain's int8 step, and what the harness reads from its report.

    python test_tipc/int8_check.py check --model-dir DIR --images PATH [--data DATA] [--report FILE.json] ...
        run the exported model with and without oneDNN int8 kernels (and an FP32 export, with --fp32-model-dir) on
        the same images; exit 0 when it runs in int8 and agrees, 1 when not (the log says why)
    python3 test_tipc/int8_check.py note --report FILE.json --log STEP.log [--strict] [--int8-switch TEXT] [--step int8]
        for a passed inference step (or the int8 step): PASS, WARN or FAIL on the first line, the reason on the second
    python3 test_tipc/int8_check.py facts LOG_FOLDER
        the summary's int8 lines

``check`` needs Paddle, numpy and Pillow (PyYAML to read the export's preprocessing); ``note`` and ``facts`` the
standard library only. See pact_tipc/int8_step.py for what ``check`` does and when it fails.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("check", help="run the int8 step on an export")
    run.add_argument("--model-dir", required=True, help="the exported (quantized) inference model folder")
    run.add_argument("--images", default=None, help="an image, a folder of images or a list file to feed")
    run.add_argument("--data", default=None, help="a data set folder; its val_list.txt adds labelled images")
    run.add_argument("--fp32-model-dir", default=None, help="an FP32 export of the same model, to compare with")
    run.add_argument("--img-size", type=int, default=None,
                     help="input size where neither the program nor the export's yml fixes it (default 224)")
    run.add_argument("--threads", type=int, default=2, help="CPU math threads of every predictor")
    run.add_argument("--int8-ops", default="auto",
                     help="op types oneDNN runs in int8: auto (per CPU kind), all, or a comma-separated list")
    run.add_argument("--repeats", type=int, default=20, help="timed batch-1 runs per way (median reported)")
    run.add_argument("--max-images", type=int, default=32, help="at most this many images are fed")
    run.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                     help="gpu: also TensorRT int8 and FP32 (skipped with the reason without CUDA/TensorRT)")
    run.add_argument("--report", default=None, help="write the facts as JSON here")
    note = sub.add_parser("note", help="judge a passed inference step of the repo's own predictor")
    note.add_argument("--report", required=True)
    note.add_argument("--log", required=True)
    note.add_argument("--strict", action="store_true", help="FAIL instead of WARN")
    note.add_argument("--int8-switch", default="", help="the argument that would run the predictor in int8")
    note.add_argument("--step", choices=("infer", "int8"), default="infer",
                      help="the kind of step: an inference step (default) or the int8 step itself")
    facts = sub.add_parser("facts", help="the summary's int8 lines")
    facts.add_argument("log_folder")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "check":
        from pact_tipc import int8_step

        return int8_step.main(args)
    from pact_tipc import int8_report

    if args.command == "note":
        status, why = int8_report.row_note(args.report, args.log, args.strict, args.int8_switch, args.step)
        print(status)
        print(why)
        return 0
    print("\n".join(int8_report.facts(args.log_folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
