"""Shared fixtures: bake the template once per session and hand out private copies; the fake repo of the harness
tests (fake_repo.py)."""
import importlib.util
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fake_repo import add_fake_script, build_fake_repo

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONFIG_REL = "test_tipc/configs/{name}/train_pact_infer_python.txt"
TIPC_DIR = TEMPLATE_ROOT / "{{cookiecutter.model_name}}" / "test_tipc"
# cookiecutter puts the template folder on the import path for its Jinja extensions (local_extensions.py) while it
# bakes; tests that render cookiecutter.json themselves need it too.
sys.path.insert(0, str(TEMPLATE_ROOT))


def load_tipc_config():
    """test_tipc/tipc_config.py of the template tree (copied into bakes unrendered): the names of the config's
    schema and rules, which live in the package test_tipc/pact_tipc."""
    spec = importlib.util.spec_from_file_location("tipc_config", TIPC_DIR / "tipc_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _default_interrupt_signals():
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def popen_to_interrupt(args, **kwargs):
    """subprocess.Popen for a process the test will send SIGINT or SIGTERM: both start at their default action in
    it, whatever this pytest inherited. Started as a background command of a script (`pytest ... &`), pytest gets
    SIGINT ignored and would pass that on; bash cannot trap a signal that was ignored when it started, so the
    harness would not see the SIGINT at all and the test would check its caller instead of the harness."""
    return subprocess.Popen(args, preexec_fn=_default_interrupt_signals, **kwargs)


@pytest.fixture(scope="session")
def baked_reference(cookies_session):
    """The reference repo baked with default answers (read-only: copy before changing it)."""
    result = cookies_session.bake()
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


@pytest.fixture
def repo(baked_reference, tmp_path):
    """A private copy of the baked reference repo, in a directory whose path has a space."""
    dest = tmp_path / "my work" / baked_reference.name
    shutil.copytree(baked_reference, dest)
    return dest


@pytest.fixture
def no_paddleslim(tmp_path):
    """A PYTHONPATH entry whose `paddleslim` package fails to import: put it first to act as if it were missing."""
    shim = tmp_path / "no_paddleslim" / "paddleslim"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('No module named paddleslim')\n", encoding="utf-8")
    return shim.parent


@pytest.fixture
def fake_repo(repo):
    """The copied bake plus fake scripts, data and image, and the default fake config (see fake_repo.py)."""
    return build_fake_repo(repo)


@pytest.fixture
def ext_repo(fake_repo):
    """fake_repo plus the fake accuracy check script, fake/accuracy.py, for the extension lines."""
    add_fake_script(fake_repo, "accuracy.py")
    return fake_repo


def pytest_collection_modifyitems(config, items):
    """Without Paddle (a fast run in a plain venv: pytest -m "not slow"), the tests that need it are skipped with
    the reason; nox -s tests installs Paddle, so CI runs them all."""
    if importlib.util.find_spec("paddle") is not None:
        return
    skip = pytest.mark.skip(reason="needs Paddle, which is not installed here (nox -s tests installs it)")
    for item in items:
        if item.get_closest_marker("paddle") or item.get_closest_marker("slow"):
            item.add_marker(skip)
