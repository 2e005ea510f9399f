"""The harness's package test_tipc/pact_tipc, which this repo shares: one rule for the repo and its TIPC checks.

It is imported from its file path under a private name (pact_cls._pact_tipc): test_tipc/ is a folder of scripts,
not a package on the import path.
"""
import importlib
import importlib.util
import os
import sys

from . import UserError

PACKAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test_tipc", "pact_tipc")
_NAME = "pact_cls._pact_tipc"


def module(name):
    """test_tipc/pact_tipc/<name>.py as a module."""
    if _NAME not in sys.modules:
        init = os.path.join(PACKAGE_DIR, "__init__.py")
        if not os.path.isfile(init):
            raise UserError(f"{PACKAGE_DIR} not found: restore test_tipc/pact_tipc/ from the template")
        spec = importlib.util.spec_from_file_location(_NAME, init, submodule_search_locations=[PACKAGE_DIR])
        package = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{_NAME}.{name}")
