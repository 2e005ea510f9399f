"""Small helpers shared by the scripts."""
import argparse
import sys
import time

from . import UserError


def str2bool(value):
    """Parse the True/False strings the TIPC config passes (``--use-gpu=False``)."""
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "t", "yes", "y", "1", "on", "gpu"):
        return True
    if lowered in ("false", "f", "no", "n", "0", "off", "cpu"):
        return False
    raise argparse.ArgumentTypeError(f"expected True or False, got {value!r}")


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

