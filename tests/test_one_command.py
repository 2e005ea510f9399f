"""Onboarding in one command: an interactive bake asks six questions (layout, checkout, repo style, model name,
device list, python), recognises the suite from the checkout, derives every other answer, installs test_tipc/ into
the checkout and leaves no bake behind; a refused bake names each refused answer once and prints how to bake again
(the replay file cookiecutter saved, and one name=value line). No Paddle: the checks stop at the bake."""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CONFIG_REL, FIXTURES, TEMPLATE_ROOT

TOY_DET = FIXTURES / "toy_repos" / "paddledetection"
COOKIECUTTER = [sys.executable, "-m", "cookiecutter"]


def files_of(root):
    """{relative path: bytes} of every file under ROOT."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def env(tmp_path):
    """cookiecutter's user config in the test's folder: its replay files go there, not to the home folder."""
    config = tmp_path / "cookiecutterrc"
    config.write_text(f"replay_dir: {json.dumps(str(tmp_path / 'replay'))}\n"
                      f"cookiecutters_dir: {json.dumps(str(tmp_path / 'cc'))}\n", encoding="utf-8")
    return {**os.environ, "COOKIECUTTER_CONFIG": str(config)}


@pytest.fixture
def det_checkout(tmp_path):
    """A PaddleDetection-shaped checkout (the toy detector, with the ppdet/ package folder the suite is known by)."""
    repo = tmp_path / "my det checkout"
    shutil.copytree(TOY_DET, repo, ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "ppdet").mkdir()
    (repo / "ppdet" / "__init__.py").write_text("", encoding="utf-8")
    return repo


def test_an_interactive_bake_asks_six_questions_and_installs_into_the_checkout(tmp_path, env, det_checkout):
    before = files_of(det_checkout)
    # layout 2 (test_tipc only), the checkout, Enter for repo_style (auto), the model, the devices, the python
    answers = f"2\n{det_checkout}\n\ntoydet\n-1\n{sys.executable}\n"
    proc = subprocess.run([*COOKIECUTTER, str(TEMPLATE_ROOT), "-o", str(tmp_path / "scratch")], input=answers,
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    questions = re.findall(r"\[(\d+)/(\d+)\] [A-Z]", proc.stdout)  # not the choices, "Choose from [1/2] (1)"
    assert [int(n) for n, _ in questions] == [1, 2, 3, 4, 5, 6] and {total for _, total in questions} == {"6"}, out
    assert "repo style paddledetection (recognised from ppdet/ in the checkout)" in out
    # the derived answers are PaddleDetection's, found from the model name in the checkout
    config = (det_checkout / CONFIG_REL.format(name="toydet")).read_text(encoding="utf-8")
    assert "pact_train:tools/train.py -c configs/picodet/toydet.yml --slim_config " in config
    assert "list_options:-o" in config.splitlines() and "task:detection" in config.splitlines()
    # the installer's commands to run next; nothing left of the bake; the checkout only gained test_tipc/
    assert f"bash test_tipc/test_train_inference_python.sh {CONFIG_REL.format(name='toydet')}" in out
    assert list((tmp_path / "scratch").iterdir()) == []
    after = files_of(det_checkout)
    assert {k: v for k, v in after.items() if k in before} == before
    assert all(k.startswith("test_tipc/") for k in set(after) - set(before))


def test_the_checkout_is_checked_before_anything_is_written(tmp_path, env, det_checkout):
    """With a checkout the bake checks the config against it: here the model's config file is not there."""
    before = files_of(det_checkout)
    proc = subprocess.run([*COOKIECUTTER, str(TEMPLATE_ROOT), "--no-input", "-o", str(tmp_path / "scratch"),
                           "layout=test_tipc_only", f"checkout={det_checkout}", "model_name=nodet", "gpu_list=-1",
                           f"python={sys.executable}"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode != 0
    assert "expected the config file '-c configs/picodet/nodet.yml' to exist relative to" in proc.stderr
    assert files_of(det_checkout) == before and list((tmp_path / "scratch").iterdir()) == []


def test_a_refused_bake_names_each_answer_once_and_says_how_to_bake_again(tmp_path, env):
    given = {"layout": "test_tipc_only", "repo_style": "argparse", "model_name": "tiny_digits",
             "gpu_list": "-1|gpu0", "python": "python3; id", "__epochs_key": "--num_epochs:3",
             "__lite_epochs": "3"}
    proc = subprocess.run([*COOKIECUTTER, str(TEMPLATE_ROOT), "--no-input", "-o", str(tmp_path / "out"),
                           *(f"{k}={v}" for k, v in given.items())], capture_output=True, text=True, env=env,
                          cwd=tmp_path)
    assert proc.returncode != 0 and not (tmp_path / "out" / "tiny_digits").exists()
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR: ") and "Stopping" not in line]
    assert [e.split()[1] for e in errors] == ["python", "gpu_list", "__epochs_key"], proc.stderr
    # the replay file cookiecutter saved holds the answers given
    lines = proc.stderr.splitlines()
    saved = next(line for line in lines if line.startswith("cookiecutter saved every answer in "))
    replay = Path(saved.split(" in ", 1)[1].split(": fix ", 1)[0])
    assert saved.endswith(": fix python, gpu_list, __epochs_key there, then run:")
    answers = json.loads(replay.read_text(encoding="utf-8"))["cookiecutter"]
    assert {k: answers[k] for k in given} == given
    # fixed in the file, the printed replay command bakes
    fixed = {"gpu_list": "-1", "python": sys.executable, "__epochs_key": "--num_epochs"}
    replay.write_text(json.dumps({"cookiecutter": {**answers, **fixed}}), encoding="utf-8")
    command = shlex.split(lines[lines.index(saved) + 1])
    assert command[0] == "cookiecutter" and "--replay-file" in command
    assert subprocess.run([*COOKIECUTTER, *command[1:]], capture_output=True, text=True, env=env,
                          cwd=tmp_path).returncode == 0
    replayed = files_of(tmp_path / "out" / "tiny_digits")
    assert "--num_epochs:lite_train_lite_infer=3|" in replayed[CONFIG_REL.format(name="tiny_digits")].decode()
    # the name=value line holds every answer that differs from its default: corrected, it makes the same bake
    line = shlex.split(lines[lines.index(saved) + 3])
    assert line[:4] == ["cookiecutter", str(TEMPLATE_ROOT), "--no-input", "-o"]
    assert dict(word.split("=", 1) for word in line[5:]) == given
    again = [f"{k}={fixed.get(k, v)}" for k, v in (w.split("=", 1) for w in line[5:])]
    proc = subprocess.run([*COOKIECUTTER, *line[1:3], "-o", str(tmp_path / "again"), *again], capture_output=True,
                          text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert files_of(tmp_path / "again" / "tiny_digits") == replayed


def test_a_derived_default_is_reported_with_the_answer_it_follows_from(tmp_path, env):
    proc = subprocess.run([*COOKIECUTTER, str(TEMPLATE_ROOT), "--no-input", "-o", str(tmp_path / "out"),
                           "model_name=my-net!"], capture_output=True, text=True, env=env, cwd=tmp_path)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR: ") and "Stopping" not in line]
    assert len(errors) == 1 and errors[0].startswith("ERROR: model_name ")
    assert "(the default of __whole_accuracy_command follows from it and was refused with it)" in errors[0]
    assert "fix model_name and the derived __whole_accuracy_command" in proc.stderr
