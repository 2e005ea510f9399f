#!/usr/bin/env python3
"""Install this test_tipc/ tree (the PACT harness, its config and docs) into an existing repo without touching
anything the repo already has.

Usage, from anywhere (the bake is where cookiecutter wrote it, e.g. /tmp/tipc_bake/<model>):
    python3 /tmp/tipc_bake/<model>/test_tipc/install_tipc.py /path/to/your/repo            install
    python3 /tmp/tipc_bake/<model>/test_tipc/install_tipc.py /path/to/your/repo --dry-run  show the plan only

What is installed: every file of the folder this script is in, with its sub-folders (configs/, docs/, py_shims/),
except Python caches.

Where: into <repo>/test_tipc/ when that folder does not exist yet, holds none of this harness's file names
(test_train_inference_python.sh, common_func.sh, prepare.sh, check_config.py, tipc_config.py), or already is this
harness (it has tipc_config.py, which only this harness has: an earlier install or a bake). Otherwise the repo
has a TIPC harness of its own (PaddleClas, PaddleDetection, PaddleSeg and PaddleOCR do: their scripts source their
common_func.sh and read hundreds of configs), and this one goes beside it into <repo>/test_tipc/pact/. The scripts
find each other relative to their own folder (the harness and prepare.sh source common_func.sh next to them,
common_func.sh runs tipc_config.py next to it, prepare.sh runs make_lite_data.py next to it, the harness puts the
py_shims/ next to it on PYTHONPATH), so they work from the sub-folder unchanged. They are still run from the repo
root, and what they write stays relative to it: the data sets (test_images/*.tar, ./lite_data, ./whole_data) and
the logs (./log/<model>/<mode>/). In test_tipc/pact/ the installed Markdown files (README*.md, docs/*.md) get their
`test_tipc/<name>` paths rewritten to `test_tipc/pact/<name>` for the names installed there, so the commands the
docs show are the ones that work; every other file is copied byte for byte.

Nothing is ever overwritten. A file that is already there with the same bytes is "unchanged"; one that is there
with other bytes is a conflict, and any conflict stops the whole install before anything is written (the message
lists each one and what to do). So running it again is harmless: the second run finds everything unchanged.

A checkout holds as many models as it has PACT configs: installing another model's bake (of the same template
version) into a harness that has one already adds the model's config beside the others and shares every harness
file (they are the same bytes); the files that describe the model (README.md, README_en.md and the two documents in
docs/) go beside the first model's as README_<model>.md, README_<model>_en.md and
docs/test_train_pact_inference_python_<model>[_en].md, their links pointed at each other. A changed re-bake of a
model already there is still refused before anything is written: its config is in the way.

Exit status: 0 installed (or nothing to do, or a dry run without conflicts); 1 conflicts, nothing written (or a
file could not be written); 2 bad arguments (the repo folder is missing or not a folder, or this script is not in
a bake's test_tipc/ folder). Standard library only, Python >= 3.9.
"""
import argparse
import os
import re
import shlex
import sys

PROG = "install_tipc.py"
# File names of this harness: a test_tipc/ folder holding any of them already has a harness.
HARNESS_NAMES = ("test_train_inference_python.sh", "common_func.sh", "prepare.sh", "check_config.py",
                 "tipc_config.py")
# Only this harness has it: a test_tipc/ folder with it is this harness (an earlier install or a bake).
OWN_MARKER = "tipc_config.py"
SUBFOLDER = "pact"
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc",)
MODE = "lite_train_lite_infer"

ADDED, UNCHANGED, CONFLICT = "added", "unchanged", "conflict"
# The files of a bake that describe its model (its answers are in them); every other file is the same in every bake
# of a template version. Installing a second model's bake into a harness that has one already puts these beside the
# first model's, under names with the model's name in them (see per_model_name).
MODEL_DOCS = ("README.md", "README_en.md", "docs/test_train_pact_inference_python.md",
              "docs/test_train_pact_inference_python_en.md")


class InstallError(Exception):
    """A bad argument or a source that is not a bake: the message names the path and what to do."""


def source_files(src):
    """Relative paths (with /) of the files to install, sorted; folders named in SKIP_DIRS and *.pyc are left out."""
    found = []
    for folder, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(SKIP_SUFFIXES):
                continue
            rel = os.path.relpath(os.path.join(folder, name), src)
            found.append(rel.replace(os.sep, "/"))
    return found


def check_source(src):
    missing = [name for name in HARNESS_NAMES if not os.path.isfile(os.path.join(src, name))]
    if missing:
        raise InstallError(f"{src} is not a baked test_tipc/ folder (it has no {', '.join(missing)}). Run the "
                           f"{PROG} of a bake: cookiecutter <template> -o /tmp/tipc_bake layout=test_tipc_only "
                           f"model_name=<model>, then python3 /tmp/tipc_bake/<model>/test_tipc/{PROG} /path/to/repo")


def choose_destination(repo):
    """(destination folder, why): <repo>/test_tipc, or <repo>/test_tipc/pact beside a harness of the repo's own."""
    tipc = os.path.join(repo, "test_tipc")
    if os.path.lexists(tipc) and not os.path.isdir(tipc):
        raise InstallError(f"{tipc} exists but is not a folder. Move it aside (mv {shlex.quote(tipc)} "
                           f"{shlex.quote(tipc + '.old')}) and run this again")
    if not os.path.isdir(tipc):
        return tipc, "the repo has no test_tipc/ yet"
    theirs = [name for name in HARNESS_NAMES if os.path.lexists(os.path.join(tipc, name))]
    if not theirs:
        return tipc, "test_tipc/ holds none of this harness's file names"
    if os.path.isfile(os.path.join(tipc, OWN_MARKER)):
        return tipc, f"test_tipc/ already is this harness (it has {OWN_MARKER})"
    return (os.path.join(tipc, SUBFOLDER),
            f"test_tipc/ has a TIPC harness of its own ({', '.join(theirs)}); this one goes beside it, in "
            f"test_tipc/{SUBFOLDER}/, and the repo's own test_tipc/ files are not touched")


def doc_rewriter(src):
    """A function that rewrites the test_tipc/<name> paths of a Markdown text to test_tipc/pact/<name>, for the
    names this install puts there (the top-level files and folders of src)."""
    names = sorted((n for n in os.listdir(src) if n not in SKIP_DIRS and not n.endswith(SKIP_SUFFIXES)),
                   key=len, reverse=True)
    # test_tipc/ as a whole path component, followed by one of our names as a whole component: not
    # my_test_tipc/..., not test_tipc/configs_old; a name may end a sentence ("run test_tipc/prepare.sh.").
    path = re.compile(r"(?<![\w.-])test_tipc/(?=(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-]|\.\w))")
    # The root line of a directory-tree picture ("test_tipc" alone on its line, then |--configs ...).
    tree_root = re.compile(r"^test_tipc/?$", re.M)

    def rewrite(text):
        text = path.sub(f"test_tipc/{SUBFOLDER}/", text)
        return tree_root.sub(f"test_tipc/{SUBFOLDER}", text)

    return rewrite


def content_for(src_path, rel, rewrite):
    """The bytes to install for one file: the source's, with rewritten paths for Markdown when rewrite is set."""
    with open(src_path, "rb") as handle:
        data = handle.read()
    if rewrite is None or not rel.endswith(".md"):
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    return rewrite(text).encode("utf-8")


def bake_model(src):
    """The model of the bake: the one folder of configs/ (None when there is not exactly one)."""
    folder = os.path.join(src, "configs")
    models = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d))) if os.path.isdir(
        folder) else []
    return models[0] if len(models) == 1 else None


def per_model_name(rel, model):
    """Where a model's copy of a MODEL_DOCS file goes: README.md -> README_<model>.md, README_en.md ->
    README_<model>_en.md, docs/x.md -> docs/x_<model>.md, docs/x_en.md -> docs/x_<model>_en.md."""
    stem = rel[: -len(".md")]
    if stem.endswith("_en"):
        return f"{stem[: -len('_en')]}_{model}_en.md"
    return f"{stem}_{model}.md"


def per_model_text(data, model):
    """A MODEL_DOCS file's bytes with its links to the other MODEL_DOCS files pointed at the model's copies."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    # longest names first, each as a whole file name: docs/..._en.md before docs/....md, README_en.md before README.md
    for rel in sorted(MODEL_DOCS, key=len, reverse=True):
        name = rel.rsplit("/", 1)[-1]
        text = re.sub(r"(?<![\w.-])" + re.escape(name) + r"(?![\w.-])",
                      per_model_name(rel, model).rsplit("/", 1)[-1], text)
    return text.encode("utf-8")


def blocker(dest, rel):
    """Why the file rel cannot be written under dest without touching something there, or None."""
    parts = rel.split("/")
    for depth in range(1, len(parts)):
        folder = os.path.join(dest, *parts[:depth])
        if os.path.lexists(folder) and not os.path.isdir(folder):
            return f"{folder} is a file, not a folder"
    target = os.path.join(dest, *parts)
    if os.path.islink(target) and not os.path.exists(target):
        return f"{target} is a broken symbolic link"
    if os.path.lexists(target) and not os.path.isfile(target):
        return f"{target} is a folder, not a file"
    return None


def plan(src, dest, rewrite):
    """[(rel, status, data, note)] for every source file: added (not there yet), unchanged (same bytes) or
    conflict (in the way; note says why). Into a harness that already describes another model, the bake's
    MODEL_DOCS go beside that model's, as per_model_name says."""
    rows = []
    model = bake_model(src)
    shared = os.path.isfile(os.path.join(dest, OWN_MARKER)) and model is not None
    for rel in source_files(src):
        data = content_for(os.path.join(src, *rel.split("/")), rel, rewrite)
        if shared and rel in MODEL_DOCS and is_other_file(os.path.join(dest, *rel.split("/")), data):
            rel, data = per_model_name(rel, model), per_model_text(data, model)
        problem = blocker(dest, rel)
        target = os.path.join(dest, *rel.split("/"))
        if problem:
            rows.append((rel, CONFLICT, data, problem))
        elif not os.path.lexists(target):
            rows.append((rel, ADDED, data, ""))
        else:
            with open(target, "rb") as handle:
                same = handle.read() == data
            rows.append((rel, UNCHANGED, data, "") if same else
                        (rel, CONFLICT, data, f"{target} exists and differs from the file this bake installs"))
    return rows


def is_other_file(target, data):
    """Whether a file other than DATA is at TARGET."""
    if not os.path.isfile(target):
        return False
    with open(target, "rb") as handle:
        return handle.read() != data


def write_file(src_path, target, data):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # "x": create only, so a file that appeared since the plan was made is never overwritten.
    with open(target, "xb") as handle:
        handle.write(data)
    try:
        mode = os.stat(src_path).st_mode & 0o777
        os.chmod(target, mode | 0o200)  # keep the source's permissions (scripts stay executable), writable
    except OSError:
        pass


def source_of(src, rel):
    """The bake's file that REL (a per-model name included) is installed from."""
    path = os.path.join(src, *rel.split("/"))
    if os.path.isfile(path):
        return path
    model = bake_model(src)
    original = next((doc for doc in MODEL_DOCS if model and per_model_name(doc, model) == rel), rel)
    return os.path.join(src, *original.split("/"))


def display(path, repo):
    """path relative to the repo root, with /, as the commands use it."""
    return os.path.relpath(path, repo).replace(os.sep, "/")


def next_commands(src, dest, repo):
    """The commands to run from the repo root, for each config the bake has (configs/<model>/*.txt)."""
    where = display(dest, repo)
    configs = [rel for rel in source_files(src) if rel.startswith("configs/") and rel.endswith(".txt")]
    lines = [f"cd {shlex.quote(repo)}"]
    for rel in configs or ["configs/<model>/train_pact_infer_python.txt"]:
        config = shlex.quote(f"{where}/{rel}")
        lines += [f"python3 {where}/check_config.py --explain {config}",
                  f"bash {where}/prepare.sh {config} {MODE}",
                  f"TIPC_DEVICES=cpu bash {where}/test_train_inference_python.sh {config} {MODE}"]
    return lines


def report_conflicts(rows, src, dest, repo):
    conflicts = [row for row in rows if row[1] == CONFLICT]
    err = sys.stderr
    print(f"{PROG}: ERROR: {len(conflicts)} file(s) of {display(dest, repo)}/ are in the way; nothing was "
          f"written (this script never overwrites):", file=err)
    for rel, _, _, note in conflicts:
        print(f"  conflict   {display(os.path.join(dest, *rel.split('/')), repo)}: {note}", file=err)
        print(f"             compare: diff {shlex.quote(os.path.join(src, *rel.split('/')))} "
              f"{shlex.quote(os.path.join(dest, *rel.split('/')))}", file=err)
    print("What to do: if these are an earlier install of this harness, move that folder aside "
          f"(mv {shlex.quote(dest)} {shlex.quote(dest + '.old')}), run this again, then copy back what you changed "
          "in it (e.g. your config); if they are files of your own, rename or move each one and run this again. "
          "Add --dry-run to see the plan without writing anything.", file=err)


def install(repo, dry_run=False):
    """Install into repo; returns the exit status (see the module docstring)."""
    src = os.path.dirname(os.path.abspath(__file__))
    if not os.path.lexists(repo):
        raise InstallError(f"{repo} does not exist. Pass the root folder of your repo checkout (the folder you run "
                           "the TIPC commands from)")
    if not os.path.isdir(repo):
        raise InstallError(f"{repo} is not a folder. Pass the root folder of your repo checkout")
    repo = os.path.abspath(repo)
    check_source(src)
    dest, why = choose_destination(repo)
    if os.path.isdir(dest) and os.path.samefile(dest, src):
        raise InstallError(f"{dest} is the folder this script runs from, so there is nothing to install. Pass the "
                           "repo to install into, and run the install_tipc.py of the bake, not of an installed copy")
    if os.path.realpath(dest).startswith(os.path.realpath(src) + os.sep):
        raise InstallError(f"{dest} is inside the folder this script installs from ({src}). Pass the repo to "
                           "install into, and run the install_tipc.py of the bake")
    rewrite = doc_rewriter(src) if dest != os.path.join(repo, "test_tipc") else None
    rows = plan(src, dest, rewrite)
    prefix = "[dry-run] " if dry_run else ""
    print(f"{prefix}{PROG}: installing {src}")
    print(f"{prefix}  into {dest} ({why})")
    if rewrite is not None:
        print(f"{prefix}  the installed Markdown files show test_tipc/{SUBFOLDER}/ paths in their commands")
    if any(status == CONFLICT for _, status, _, _ in rows):
        for rel, status, _, _ in rows:
            if status != CONFLICT:
                print(f"{prefix}  {'would add' if status == ADDED else status:<10} "
                      f"{display(os.path.join(dest, *rel.split('/')), repo)}")
        report_conflicts(rows, src, dest, repo)
        return 1
    done = []
    for rel, status, data, _ in rows:
        target = os.path.join(dest, *rel.split("/"))
        label = status
        if status == ADDED:
            label = "would add" if dry_run else ADDED
            if not dry_run:
                try:
                    write_file(source_of(src, rel), target, data)
                except OSError as exc:
                    print(f"{PROG}: ERROR: cannot write {target}: {exc.strerror or exc}. Fix that (permissions, "
                          "free space, or a file that appeared there meanwhile) and run this again: the files "
                          f"written so far ({len(done)}) will show as unchanged", file=sys.stderr)
                    return 1
                done.append(rel)
        print(f"{prefix}  {label:<10} {display(target, repo)}")
    added = sum(status == ADDED for _, status, _, _ in rows)
    unchanged = sum(status == UNCHANGED for _, status, _, _ in rows)
    verb = "would be added" if dry_run else "added"
    print(f"{prefix}summary: {added} file(s) {verb}, {unchanged} unchanged, 0 conflicts, in "
          f"{display(dest, repo)}/")
    if dry_run:
        print("[dry-run] nothing was written; run again without --dry-run to install")
    print(f"Next, from the repo root ({'after installing, ' if dry_run else ''}in the environment that has Paddle):")
    for line in next_commands(src, dest, repo):
        print(f"  {line}")
    print("Data sets (test_images/, ./lite_data) and logs (./log/<model>/<mode>/) are written under the repo root.")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=f"python3 {PROG}",
        description="Install the test_tipc/ folder this script is in into a repo: into REPO/test_tipc/, or into "
                    "REPO/test_tipc/pact/ when the repo has a TIPC harness of its own. Never overwrites a file.")
    parser.add_argument("repo", metavar="REPO", help="root folder of the repo checkout to install into")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    args = parser.parse_args(argv)
    try:
        return install(args.repo, dry_run=args.dry_run)
    except InstallError as exc:
        print(f"{PROG}: ERROR: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
