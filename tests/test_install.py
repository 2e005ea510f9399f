"""test_tipc/install_tipc.py: installing a bake's test_tipc/ into a repo without touching what the repo has.

A suite repo (PaddleClas, PaddleOCR, ...) already has a test_tipc/ harness of its own that sources its
common_func.sh and reads its configs; fixtures/suite_with_tipc/ is a small stand-in. The installer must put this
harness beside it (test_tipc/pact/), leave every suite file byte for byte as it was, and the PACT chain must run
from there. A repo without a harness gets it in test_tipc/ directly. Nothing is overwritten, a conflict stops the
whole install before anything is written, a second run changes nothing, and --dry-run writes nothing.
No Paddle needed: the chain runs the fake step scripts of fixtures/fake_scripts/ (fake_repo.py).
"""
import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES
from fake_repo import add_fake_script, calls, run

SUITE_FIXTURE = FIXTURES / "suite_with_tipc"
MODEL = "fake_model"
MODE = "lite_train_lite_infer"
CONFIG = f"configs/{MODEL}/train_pact_infer_python.txt"
SUITE_CONFIGS = {"A": "test_tipc/configs/A/A_train_infer_python.txt",
                 "B": "test_tipc/configs/B/B_train_pact_infer_python.txt"}
# Answers that wire the baked config to the fake step scripts (fixtures/fake_scripts/, copied to fake/).
FAKE_ANSWERS = {
    "layout": "test_tipc_only", "model_name": MODEL, "python": sys.executable, "gpu_list": "-1",
    "__train_command": "fake/train.py --pact_quant", "__eval_command": "fake/train.py --test-only --pact_quant",
    "__export_command": "fake/export.py", "__inference_command": "fake/infer.py", "__img_path": "./imgs/demo.jpg",
}
OUR_NAMES = ("test_train_inference_python.sh", "common_func.sh", "prepare.sh", "check_config.py", "tipc_config.py",
             "make_lite_data.py", "install_tipc.py", "configs", "docs", "py_shims", "README.md", "README_en.md")


@pytest.fixture(scope="session")
def bake(cookies_session):
    """A test_tipc_only bake wired to the fake scripts (read-only): the folder holding test_tipc/."""
    result = cookies_session.bake(extra_context=FAKE_ANSWERS)
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


@pytest.fixture
def suite_repo(tmp_path):
    """A private copy of fixtures/suite_with_tipc/, in a folder whose path has a space."""
    dest = tmp_path / "my suite"
    shutil.copytree(SUITE_FIXTURE, dest)
    return dest


@pytest.fixture
def plain_repo(tmp_path):
    """A repo with scripts but no test_tipc/."""
    dest = tmp_path / "plain repo"
    dest.mkdir()
    (dest / "train.py").write_text("print('train')\n", encoding="utf-8")
    return dest


def install(bake_dir, repo, *args):
    return subprocess.run([sys.executable, str(bake_dir / "test_tipc" / "install_tipc.py"), str(repo), *args],
                          capture_output=True, text=True, timeout=60)


def snapshot(root):
    """Every file (relative path -> sha256) and folder (-> None) under root."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        found[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    return found


def bake_files(bake_dir):
    """The files install_tipc.py installs: everything under the bake's test_tipc/ except Python caches."""
    src = bake_dir / "test_tipc"
    return sorted(p.relative_to(src).as_posix() for p in src.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def assert_untouched(before, after):
    changed = [rel for rel, digest in before.items() if after.get(rel, "missing") != digest]
    assert not changed, f"pre-existing files changed or removed: {changed}"


def suite_harness_runs_its_configs(repo):
    for model, config in SUITE_CONFIGS.items():
        proc = run(repo, "test_tipc/prepare.sh", config, MODE)
        assert proc.returncode == 0 and f"suite prepare for {model}" in proc.stdout, proc.stdout + proc.stderr
        proc = run(repo, "test_tipc/test_train_inference_python.sh", config, MODE)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"suite harness ran {model} ({MODE})" in proc.stdout


# ---------------------------------------------------------------- beside a suite's own harness

def test_the_suite_fixture_runs_before_any_install(suite_repo):
    # The checks below lean on the suite harness working; make sure it does on its own.
    suite_harness_runs_its_configs(suite_repo)


def test_install_beside_a_suite_harness_leaves_the_suite_intact(bake, suite_repo):
    before = snapshot(suite_repo)
    proc = install(bake, suite_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = snapshot(suite_repo)
    assert_untouched(before, after)
    # Exactly our files were added, all under test_tipc/pact/.
    added = sorted(rel for rel, digest in after.items() if rel not in before and digest is not None)
    assert added == [f"test_tipc/pact/{rel}" for rel in bake_files(bake)]
    assert len(re.findall(r"^  added +test_tipc/pact/", proc.stdout, re.M)) == len(added)
    # Scripts and the config are byte-for-byte the bake's; only the Markdown files differ (their paths).
    src = bake / "test_tipc"
    for rel in bake_files(bake):
        if not rel.endswith(".md"):
            assert (suite_repo / "test_tipc/pact" / rel).read_bytes() == (src / rel).read_bytes(), rel
    suite_harness_runs_its_configs(suite_repo)
    # The printed commands are the ones that work from the repo root.
    config = f"test_tipc/pact/{CONFIG}"
    for command in (f"python3 test_tipc/pact/check_config.py --explain {config}",
                    f"bash test_tipc/pact/prepare.sh {config} {MODE}",
                    f"TIPC_DEVICES=cpu bash test_tipc/pact/test_train_inference_python.sh {config} {MODE}"):
        assert command in proc.stdout, proc.stdout


def test_installed_docs_show_the_test_tipc_pact_paths(bake, suite_repo):
    proc = install(bake, suite_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pact = suite_repo / "test_tipc" / "pact"
    docs = {rel: (pact / rel).read_text(encoding="utf-8") for rel in bake_files(bake) if rel.endswith(".md")}
    assert set(docs) == {"README.md", "README_en.md", "docs/test_train_pact_inference_python.md",
                         "docs/test_train_pact_inference_python_en.md"}
    stale = re.compile(r"(?<![\w.-])test_tipc/(?:" + "|".join(map(re.escape, OUR_NAMES)) + r")(?![\w-])")
    for rel, text in docs.items():
        assert "test_tipc/pact/prepare.sh" in text, rel
        assert f"test_tipc/pact/{CONFIG}" in text, rel
        assert not stale.findall(text), (rel, stale.findall(text)[:5])
    # Paths to files this install does not own are left alone.
    assert "./test_tipc/results/gt.json" in docs["docs/test_train_pact_inference_python_en.md"]
    # The suite's own doc of the same name is the suite's, unchanged.
    suite_doc = (suite_repo / "test_tipc/docs/test_train_pact_inference_python.md").read_bytes()
    assert suite_doc == (SUITE_FIXTURE / "test_tipc/docs/test_train_pact_inference_python.md").read_bytes()


def test_the_pact_chain_passes_from_test_tipc_pact(bake, suite_repo):
    pytest.importorskip("PIL")  # prepare.sh builds the lite data set with the installed make_lite_data.py
    pytest.importorskip("sklearn")
    proc = install(bake, suite_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("record_call.py", "train.py", "export.py", "infer.py"):
        add_fake_script(suite_repo, name)
    (suite_repo / "imgs").mkdir()
    (suite_repo / "imgs" / "demo.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    before = snapshot(suite_repo)
    config = f"test_tipc/pact/{CONFIG}"

    proc = subprocess.run([sys.executable, "test_tipc/pact/check_config.py", "--explain", config], cwd=suite_repo,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    proc = run(suite_repo, "test_tipc/pact/prepare.sh", config, MODE, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "with test_tipc/pact/make_lite_data.py" in proc.stdout  # the one next to prepare.sh
    # Data stays relative to the repo root.
    assert (suite_repo / "test_images" / "lite_data.tar").is_file()
    assert list((suite_repo / "lite_data" / "train").glob("*/*.jpg"))
    assert not (suite_repo / "test_tipc" / "pact" / "lite_data").exists()

    proc = run(suite_repo, "test_tipc/pact/test_train_inference_python.sh", config, MODE,
               env={"TIPC_DEVICES": "cpu"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"TIPC {MODE}: PASSED" in proc.stdout
    results = (suite_repo / "log" / MODEL / MODE / "results_python.log").read_text(encoding="utf-8")
    assert "Run failed" not in results and results.count("Run successfully") >= 4
    assert [c["script"] for c in calls(suite_repo)][:4] == ["train.py", "train.py", "export.py", "infer.py"]
    assert_untouched(before, snapshot(suite_repo))
    suite_harness_runs_its_configs(suite_repo)


# ---------------------------------------------------------------- a repo without a harness

@pytest.mark.parametrize("existing", [None, "test_tipc/configs/other/other.txt"],
                         ids=["no_test_tipc", "test_tipc_without_a_harness"])
def test_a_repo_without_a_harness_gets_it_in_test_tipc(bake, plain_repo, existing):
    if existing:
        (plain_repo / existing).parent.mkdir(parents=True)
        (plain_repo / existing).write_text("model_name:other\n", encoding="utf-8")
    before = snapshot(plain_repo)
    proc = install(bake, plain_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = snapshot(plain_repo)
    assert_untouched(before, after)
    src = bake / "test_tipc"
    for rel in bake_files(bake):
        assert (plain_repo / "test_tipc" / rel).read_bytes() == (src / rel).read_bytes(), rel  # docs as baked
    assert not (plain_repo / "test_tipc" / "pact").exists()
    assert f"bash test_tipc/prepare.sh test_tipc/{CONFIG} {MODE}" in proc.stdout


# ---------------------------------------------------------------- repeat, conflicts, dry run, bad arguments

@pytest.mark.parametrize("kind", ["suite", "plain"])
def test_a_second_run_finds_everything_unchanged(bake, suite_repo, plain_repo, kind):
    repo = suite_repo if kind == "suite" else plain_repo
    first = install(bake, repo)
    assert first.returncode == 0, first.stdout + first.stderr
    before = snapshot(repo)
    proc = install(bake, repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert snapshot(repo) == before
    assert len(re.findall(r"^  unchanged +test_tipc/", proc.stdout, re.M)) == len(bake_files(bake))
    assert not re.search(r"^  added ", proc.stdout, re.M)
    assert f"0 file(s) added, {len(bake_files(bake))} unchanged, 0 conflicts" in proc.stdout


@pytest.mark.parametrize("in_the_way", ["different_file", "file_for_a_folder"])
@pytest.mark.parametrize("dry_run", [False, True], ids=["install", "dry_run"])
def test_a_conflict_stops_the_install_before_anything_is_written(bake, suite_repo, in_the_way, dry_run):
    pact = suite_repo / "test_tipc" / "pact"
    pact.mkdir()
    if in_the_way == "different_file":
        (pact / "prepare.sh").write_text("#!/bin/bash\necho 'my own prepare'\n", encoding="utf-8")
        named = "test_tipc/pact/prepare.sh"
    else:
        (pact / "docs").write_text("not a folder\n", encoding="utf-8")
        named = "test_tipc/pact/docs"
    before = snapshot(suite_repo)
    proc = install(bake, suite_repo, *(["--dry-run"] if dry_run else []))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert snapshot(suite_repo) == before
    assert "nothing was written" in proc.stderr
    assert re.search(rf"^  conflict +{re.escape(named)}", proc.stderr, re.M), proc.stderr
    assert "What to do:" in proc.stderr and "mv " in proc.stderr


@pytest.mark.parametrize("kind", ["suite", "plain"])
def test_dry_run_writes_nothing(bake, suite_repo, plain_repo, kind):
    repo = suite_repo if kind == "suite" else plain_repo
    before = snapshot(repo)
    proc = install(bake, repo, "--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert snapshot(repo) == before
    where = "test_tipc/pact/" if kind == "suite" else "test_tipc/"
    assert len(re.findall(rf"^\[dry-run\]   would add +{where}", proc.stdout, re.M)) == len(bake_files(bake))
    assert "nothing was written" in proc.stdout


def test_bad_targets_exit_2_and_name_the_path(bake, tmp_path):
    missing = tmp_path / "no such repo"
    proc = install(bake, missing)
    assert proc.returncode == 2 and f"{missing} does not exist" in proc.stderr, proc.stderr
    a_file = tmp_path / "a file"
    a_file.write_text("x", encoding="utf-8")
    proc = install(bake, a_file)
    assert proc.returncode == 2 and f"{a_file} is not a folder" in proc.stderr, proc.stderr
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "test_tipc").write_text("x", encoding="utf-8")
    proc = install(bake, repo)
    assert proc.returncode == 2 and f"{repo / 'test_tipc'} exists but is not a folder" in proc.stderr, proc.stderr
    assert (repo / "test_tipc").read_text(encoding="utf-8") == "x"


# ---------------------------------------------------------------- many models in one checkout

@pytest.fixture(scope="session")
def second_bake(cookies_session):
    """A bake of another model, with the answers of the first otherwise (read-only)."""
    result = cookies_session.bake(extra_context={**FAKE_ANSWERS, "model_name": "other_model"})
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


def test_a_second_model_goes_beside_the_first_and_shares_the_harness(bake, second_bake, suite_repo):
    before = snapshot(suite_repo)
    assert install(bake, suite_repo).returncode == 0
    first = snapshot(suite_repo)
    proc = install(second_bake, suite_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = snapshot(suite_repo)
    assert_untouched(first, after)  # the first model's files, the harness and the suite's own files as they were
    added = sorted(set(after) - set(first))
    pact = "test_tipc/pact"
    assert [rel for rel in added if after[rel]] == sorted([
        f"{pact}/configs/other_model/train_pact_infer_python.txt", f"{pact}/README_other_model.md",
        f"{pact}/README_other_model_en.md", f"{pact}/docs/test_train_pact_inference_python_other_model.md",
        f"{pact}/docs/test_train_pact_inference_python_other_model_en.md"])
    readme = (suite_repo / pact / "README_other_model.md").read_text(encoding="utf-8")
    assert "(docs/test_train_pact_inference_python_other_model.md" in readme and "[English](README_other_model_en.md)" \
        in readme and "configs/other_model/train_pact_infer_python.txt" in readme
    assert "test_tipc/pact/configs/other_model/train_pact_infer_python.txt" in proc.stdout  # its next commands
    assert set(before) <= set(after)
    # again: nothing changes, for either model
    for baked in (bake, second_bake):
        again = install(baked, suite_repo)
        assert again.returncode == 0 and "0 file(s) added" in again.stdout, again.stdout + again.stderr
    assert snapshot(suite_repo) == after


def test_a_changed_rebake_of_an_installed_model_is_refused(bake, suite_repo, cookies):
    assert install(bake, suite_repo).returncode == 0
    changed = cookies.bake(extra_context={**FAKE_ANSWERS, "__epochs_key": "--num-epochs"})
    assert changed.exit_code == 0, changed.exception
    before = snapshot(suite_repo)
    proc = install(Path(changed.project_path), suite_repo)
    assert proc.returncode == 1 and f"conflict   test_tipc/pact/{CONFIG}" in proc.stderr, proc.stderr
    assert snapshot(suite_repo) == before
