"""Validate the answers before anything is generated: a bad answer leaves nothing on disk."""
import json
import re
import sys

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

MODEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Characters that would make the harness run something else when it evaluates a command line.
SHELL_META = re.compile(r"[;&|<>`$(){}\\\"'\n*?!#~]")


def errors(answers):
    found = []
    name = answers["model_name"]
    if not MODEL_NAME.match(name):
        found.append(f"model_name {name!r} is not a valid directory and Python identifier: "
                     "use letters, digits and underscores, not starting with a digit (e.g. mobilenet_v3_small)")
    python = answers["python"].strip()
    if not python:
        found.append("python is empty: enter the Python command the harness should run, e.g. python3")
    elif SHELL_META.search(python) or ":" in python:
        found.append(f"python {python!r} contains shell metacharacters or ':': enter a command such as "
                     "python3 or /opt/venv/bin/python")
    return found


def main():
    problems = errors(ANSWERS)
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
