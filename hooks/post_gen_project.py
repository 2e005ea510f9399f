"""Fill the TIPC docs from the baked config and its plan, drop what the chosen layout does not include (the
template tree stays the picture of the full repo), say what the answers derived, and with a checkout install the
test_tipc/ tree into it (test_tipc/install_tipc.py: adds files, overwrites none) and remove this bake."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# With layout "test_tipc_only" only the test_tipc/ tree is generated, to add to an existing repo.
REFERENCE_ONLY = ["train.py", "tools", "deploy", "pact_cls", "images", "requirements.txt", "README.md", ".gitignore"]


DOCS = {"test_tipc/docs/test_train_pact_inference_python.md": "zh",
        "test_tipc/docs/test_train_pact_inference_python_en.md": "en"}


def fill_docs():
    """The docs' commands, inference runs, log files and config values come from the config this bake wrote, read
    and planned by the baked test_tipc's own package (pact_tipc.docs)."""
    sys.path.insert(0, str(Path("test_tipc").resolve()))
    from pact_tipc import docs
    from pact_tipc.config import load

    config, problem = load(f"test_tipc/configs/{ANSWERS['model_name']}/train_pact_infer_python.txt")
    if problem:
        sys.exit(f"ERROR: {problem}")
    for rel, lang in DOCS.items():
        path = Path(rel)
        path.write_text(docs.fill(path.read_text(encoding="utf-8"), config, lang), encoding="utf-8")


# The derived answers the summary shows (all are settable as __name=value on the command line).
SHOWN = ("__config_file", "__train_command", "__eval_command", "__export_command", "__inference_command")


def summary():
    """What the asked answers decided: the style (and how), and the derived answers that fill the commands."""
    style, package = ANSWERS["__style"], ANSWERS["__suite_package"]
    if ANSWERS["repo_style"] != "auto":
        how = "as answered"
    elif package:
        how = f"recognised from {package}/ in the checkout"
    else:
        how = "the checkout holds no suite package" if ANSWERS["__checkout_dir"] else "no checkout given"
    where = "" if ANSWERS["__checkout_dir"] else (  # with a checkout the installer names where the config went
        f"; config test_tipc/configs/{ANSWERS['model_name']}/train_pact_infer_python.txt")
    print(f"Baked {ANSWERS['model_name']}: repo style {style} ({how}){where}")
    if package == "ppocr" and ANSWERS["repo_style"] == "auto":
        print("NOTE: a PaddleOCR checkout (ppocr/): there is no paddleocr style yet, so the answers are the argparse "
              "style's; set its commands as __train_command=... etc., or edit the config")
    for name in SHOWN:
        if ANSWERS[name] != "null":
            print(f"  {name}={ANSWERS[name]}")
    print("  (every other answer follows from these too; set any of them as __name=value, e.g. __lite_epochs=3)")


def install():
    """Install the baked test_tipc/ into the checkout, then remove the bake; False when the installer refused
    (cookiecutter then removes the bake itself)."""
    checkout = ANSWERS.get("__checkout_dir")
    if not checkout:
        return True
    proc = subprocess.run([sys.executable, "test_tipc/install_tipc.py", checkout])
    if proc.returncode:
        print(f"ERROR: test_tipc/ was not installed into {checkout} (the installer's message is above); nothing "
              "is left of this bake", file=sys.stderr)
        return False
    bake = Path.cwd()
    os.chdir(bake.parent)
    shutil.rmtree(bake)
    print(f"(the bake in {bake} was removed: everything is in {checkout})")
    return True


def main():
    fill_docs()
    if ANSWERS["layout"] == "test_tipc_only":
        for rel in REFERENCE_ONLY:
            path = Path(rel)
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    summary()
    return 0 if install() else 1


if __name__ == "__main__":
    sys.exit(main())
