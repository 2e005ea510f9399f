#!/usr/bin/env python3
"""The harness's checks after a step exited 0, and its CUDA probe (see pact_tipc/step_checks.py).

    python3 test_tipc/check_step.py weights FILE WHERE          training wrote FILE (or FILE.pdparams)
    python3 test_tipc/check_step.py model FOLDER                the export left an inference model in FOLDER
    python3 test_tipc/check_step.py predictions LOG IMG_PATH [PATTERN WHERE]
                                                                inference printed a result for each image
    python3 test_tipc/check_step.py outputs FOLDER IMG_PATH     inference wrote a result file for each image
    <config python> test_tipc/check_step.py cuda                this python's Paddle can run a GPU entry
    python3 test_tipc/check_step.py hint LOG STATUS             a known cause of a failed step (printed, exit 0)
    python3 test_tipc/check_step.py metrics LOG_FOLDER          the last metrics line of each evaluation log

Prints the problem and exits 1, or prints nothing and exits 0. Standard library only, but for ``cuda``, which
imports Paddle.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pact_tipc import step_checks  # noqa: E402

USAGE = __doc__.split("\n\n")[1]


def main(argv):
    # name: (function, fewest and most arguments, whether its output is a report rather than a problem)
    commands = {"weights": (step_checks.weights, 2, 2, False), "model": (step_checks.model, 1, 1, False),
                "predictions": (step_checks.predictions, 2, 4, False), "outputs": (step_checks.outputs, 2, 2, False),
                "cuda": (step_checks.cuda_problem, 0, 0, False), "hint": (step_checks.failure_hint, 2, 2, True),
                "metrics": (lambda folder: "\n".join(step_checks.eval_metrics(folder)), 1, 1, True)}
    if not argv or argv[0] not in commands or not commands[argv[0]][1] <= len(argv) - 1 <= commands[argv[0]][2]:
        print(USAGE, file=sys.stderr)
        return 2
    function, _, _, report = commands[argv[0]]
    output = function(*argv[1:])
    if output:
        print(output)
    return 0 if report or not output else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
