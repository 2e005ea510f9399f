"""Jinja filters the answers' defaults use to read the contributor's checkout (cookiecutter loads them through the
``_extensions`` entry of cookiecutter.json, with the template folder on the import path).

- ``suite_style``: the suite a checkout is, from the package folder it holds (PaddleClas ``ppcls/``, PaddleSeg
  ``paddleseg/``, PaddleDetection ``ppdet/``, PaddleOCR ``ppocr/``); ``reference`` without a checkout;
- ``pact_config``: the model's config file in the checkout, found from the model name the way each suite names it.
"""
import glob
import os

from jinja2.ext import Extension

# The package folder each suite's checkout holds, and the style of its answers. PaddleOCR has no style of its own
# yet: its checkout is recognised (the bake says so) and gets the plain argparse answers.
SUITES = (("ppcls", "paddleclas"), ("paddleseg", "paddleseg"), ("ppdet", "paddledetection"), ("ppocr", "argparse"))
NO_CHECKOUT = ("", "none", "null")


def checkout_path(checkout):
    """The checkout folder an answer names, absolute ('' for none): a relative path is from the folder cookiecutter
    runs in."""
    text = (checkout or "").strip()
    return "" if text.lower() in NO_CHECKOUT else os.path.abspath(os.path.expanduser(text))


def suite_package(checkout):
    """The suite package folder CHECKOUT holds (ppcls, paddleseg, ppdet, ppocr), or ''."""
    root = checkout_path(checkout)
    return next((package for package, _ in SUITES if root and os.path.isdir(os.path.join(root, package))), "")


def suite_style(checkout):
    """The repo style of CHECKOUT: its suite's, 'argparse' for another folder, 'reference' without a checkout."""
    package = suite_package(checkout)
    if package:
        return dict(SUITES)[package]
    return "argparse" if checkout_path(checkout) else "reference"


# Where each suite keeps a model's PACT (or base) config, tried in order; {m} is the model name.
CONFIG_PATTERNS = {
    "paddleclas": ("ppcls/configs/slim/{m}_quantization.yaml", "ppcls/configs/**/{m}_quantization.yaml"),
    "paddleseg": ("test_tipc/configs/{m}/{m}.yml", "test_tipc/configs/{m}/*.yml", "configs/**/{m}.yml"),
    "paddledetection": ("configs/picodet/{m}.yml", "configs/**/{m}.yml"),
}
DEFAULT_CONFIG = {"paddleclas": "ppcls/configs/slim/{m}_quantization.yaml",
                  "paddleseg": "test_tipc/configs/{m}/{m}.yml", "paddledetection": "configs/picodet/{m}.yml"}


def pact_config(checkout, style, model_name):
    """The config file of MODEL_NAME in CHECKOUT (relative to it) for STYLE; without a checkout, or when nothing is
    found, the place the style usually keeps it (the bake's checker then names what is missing); 'null' for the
    styles that take no config file."""
    if style not in DEFAULT_CONFIG:
        return "null"
    root = checkout_path(checkout)
    if root:
        for pattern in CONFIG_PATTERNS[style]:
            found = sorted(glob.glob(os.path.join(root, pattern.format(m=model_name)), recursive=True))
            if found:
                return os.path.relpath(found[0], root)
    return DEFAULT_CONFIG[style].format(m=model_name)


class SuiteExtension(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["checkout_path"] = checkout_path
        environment.filters["suite_package"] = suite_package
        environment.filters["suite_style"] = suite_style
        environment.filters["pact_config"] = pact_config
