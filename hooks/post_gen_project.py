"""Drop what the chosen layout does not include; the template tree stays the picture of the full repo."""
import json
import shutil
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# With layout "test_tipc_only" only the test_tipc/ tree is generated, to add to an existing repo.
REFERENCE_ONLY = ["train.py", "tools", "deploy", "pact_cls", "images", "requirements.txt", "README.md", ".gitignore"]


def main():
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
