"""Fill the TIPC docs from the baked config and its plan, and drop what the chosen layout does not include (the
template tree stays the picture of the full repo)."""
import json
import shutil
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


def main():
    fill_docs()
    if ANSWERS["layout"] != "test_tipc_only":
        return
    for rel in REFERENCE_ONLY:
        path = Path(rel)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


if __name__ == "__main__":
    main()
