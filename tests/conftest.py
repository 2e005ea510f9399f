"""Shared fixtures: bake the template once per session and hand out private copies."""
import shutil
from pathlib import Path

import pytest

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
CONFIG_REL = "test_tipc/configs/{name}/train_pact_infer_python.txt"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs Paddle for real (train/export/infer); deselect with -m 'not slow'")


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
