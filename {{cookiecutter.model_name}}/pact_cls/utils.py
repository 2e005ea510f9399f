"""Small helpers shared by the scripts."""
import argparse
import sys
import time

from . import UserError


def str2bool(value):
    """argparse type of the on/off options (``--benchmark=True``, ``--hflip=False``); device values are parsed by
    pact_cls.device."""
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "t", "yes", "y", "1", "on"):
        return True
    if lowered in ("false", "f", "no", "n", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected True or False, got {value!r}")


def add_inference_arguments(parser):
    """Declare the Paddle Inference CPU options of the scripts that run a pact_cls.predictor.Classifier
    (--enable-mkldnn, --cpu-threads, --int8-ops); classifier_options hands them to it."""
    parser.add_argument("--enable-mkldnn", type=str2bool, default=True, help="oneDNN on CPU (int8 kernels)")
    parser.add_argument("--cpu-threads", type=int, default=2, help="CPU math library threads")
    parser.add_argument("--int8-ops", default="auto",
                        help="oneDNN op types run in int8 (comma-separated), 'all' (every op oneDNN can quantize, "
                             "pool2d included: may cost accuracy), or 'auto': the convolutions and fc on a CPU "
                             "with VNNI, the convolutions only without it")


def classifier_options(args):
    """The Classifier keyword arguments of the options add_inference_arguments declared."""
    return {"enable_mkldnn": args.enable_mkldnn, "cpu_threads": args.cpu_threads, "int8_ops": args.int8_ops}


def log(message):
    """Print one timestamped line and flush, so TIPC step logs show progress as it happens."""
    stamp = time.strftime("%Y/%m/%d %H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def run_main(main, argv=None):
    """Run a script's main(); a UserError becomes a one-line message and its exit code, not a traceback."""
    try:
        return main(argv)
    except UserError as err:
        print(f"ERROR: {err}", file=sys.stderr, flush=True)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        return 130

