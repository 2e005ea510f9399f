#!/usr/bin/env python3
"""The harness's checks after a step exited 0, and its CUDA probe (see pact_tipc/step_checks.py).

    python3 test_tipc/check_step.py weights FILE WHERE          training wrote FILE (or FILE.pdparams)
    python3 test_tipc/check_step.py model FOLDER                the export left an inference model in FOLDER
    python3 test_tipc/check_step.py predictions LOG IMG_PATH [PATTERN WHERE]
                                                                inference printed a result for each image
    python3 test_tipc/check_step.py outputs FOLDER IMG_PATH     inference wrote a result file for each image
    <config python> test_tipc/check_step.py cuda                this python's Paddle can run a GPU entry

Prints the problem and exits 1, or prints nothing and exits 0. Standard library only, but for ``cuda``, which
imports Paddle.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pact_tipc import step_checks  # noqa: E402

USAGE = __doc__.split("\n\n")[1]


def main(argv):
    checks = {"weights": (step_checks.weights, 2, 2), "model": (step_checks.model, 1, 1),
              "predictions": (step_checks.predictions, 2, 4), "outputs": (step_checks.outputs, 2, 2),
              "cuda": (step_checks.cuda_problem, 0, 0)}
    if not argv or argv[0] not in checks or not checks[argv[0]][1] <= len(argv) - 1 <= checks[argv[0]][2]:
        print(USAGE, file=sys.stderr)
        return 2
    problem = checks[argv[0]][0](*argv[1:])
    if problem:
        print(problem)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
