#!/usr/bin/env python3
"""Check a train_pact_infer_python.txt config against the guide's 32-line layout.

Usage (from the repo root, as the shell scripts run it):
    python3 test_tipc/check_config.py CONFIG [MODE]        problems only: silent and exit 0 when valid
    python3 test_tipc/check_config.py --explain CONFIG     every line: its meaning in the guide, what goes
                                                           there, this config's text, and its problems

Each problem is one line, ``CONFIG:LINE: <what the line is> (line N): expected ..., found '...'``, on stderr;
the exit status is 2 when there is any. When a line was deleted or added in the middle, a message names the
first displaced line, what belongs there and what is there instead. Script paths and the line-3 python are
looked up from the current directory. The rules live in the package pact_tipc next to this file (tipc_config.py is
its command line), which the harness and prepare.sh run too. Standard library only.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tipc_config import MODES, Checker, explain  # noqa: E402


def main(argv):
    parser = argparse.ArgumentParser(
        prog=f"python3 {argv[0]}",
        description="Check a TIPC train_pact_infer_python.txt config (the guide's 32-line layout). "
                    "Problems go to stderr, one per line as CONFIG:LINE: message; exit status 2 when there is any.")
    parser.add_argument("--explain", action="store_true",
                        help="print every line's meaning in the guide, what goes there and this config's text")
    parser.add_argument("config", metavar="CONFIG", help="path of the config, relative to the repo root")
    parser.add_argument("mode", metavar="MODE", nargs="?", help=f"one of {', '.join(MODES)}")
    args = parser.parse_args(argv[1:])
    checker = Checker(args.config, args.mode)
    errors = checker.run()
    if args.explain:
        print(explain(checker))
        return 2 if errors else 0
    for message in errors:
        print(message, file=sys.stderr)
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
