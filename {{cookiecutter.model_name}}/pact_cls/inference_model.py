"""The files of an exported inference model folder: the program and its parameters, and ``inference.yml``.

Imports no Paddle. Finding the model and reading its program is the harness's (test_tipc/pact_tipc/model_files.py),
which the repo shares.
"""
import os

from . import UserError
from .tipc import module

_model_files = module("model_files")
MODEL_PREFIX = _model_files.MODEL_PREFIX
# Written next to the model, as PaddleClas' export writes inference.yml: what the model was exported from and for.
# The input size is not readable from a loaded predictor (its input handle has no shape before the first run).
INFERENCE_YML = MODEL_PREFIX + ".yml"
is_quantized_model = _model_files.is_quantized_model
pdmodel_op_types = _model_files.pdmodel_op_types


def find_model_files(model_dir):
    """(model file, params file) of the inference model in ``model_dir`` (test_tipc/pact_tipc/model_files.py)."""
    try:
        return _model_files.find_model_files(model_dir)
    except _model_files.NoModel as err:
        raise UserError(f"{err}: export one with tools/export_model.py") from err


def write_inference_yml(save_dir, arch, num_classes, img_size, quantized):
    """``<save_dir>/inference.yml``: the architecture and input size the model was exported with (Global) and its
    preprocessing (PreProcess), in the layout of PaddleClas' inference.yml, so that readers of PaddleClas exports
    (the chain's int8 step) read it the same way. The preprocessing is pact_cls.data.eval_transform's."""
    import yaml

    from .data import IMAGENET_MEAN, IMAGENET_STD, resize_short

    spec = {"Global": {"model": arch, "num_classes": num_classes, "quantized": quantized,
                       "image_shape": [3, img_size, img_size]},
            "PreProcess": {"transform_ops": [
                {"ResizeImage": {"resize_short": resize_short(img_size)}},
                {"CropImage": {"size": img_size}},
                {"NormalizeImage": {"scale": 1.0 / 255.0, "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
                                    "order": ""}},
                {"ToCHWImage": None}]}}
    with open(os.path.join(save_dir, INFERENCE_YML), "w", encoding="utf-8") as f:
        f.write("# written by tools/export_model.py: deploy/inference_python/infer.py reads image_shape, "
                "tools/check_accuracy.py model, the TIPC int8 step PreProcess\n")
        yaml.safe_dump(spec, f, sort_keys=False, default_flow_style=None)


def read_img_size(model_dir):
    """The input size recorded in ``<model_dir>/inference.yml``, or None when there is no such file."""
    return _read_global(model_dir, "input size", "--img-size", lambda spec: int(spec["image_shape"][-1]))


def read_architecture(model_dir):
    """The architecture recorded in ``<model_dir>/inference.yml``, or None when there is no such file."""
    return _read_global(model_dir, "architecture", "--model", lambda spec: str(spec["model"]))


def _read_global(model_dir, what, option, pick):
    """``pick(Global section)`` of ``<model_dir>/inference.yml``; None without the file, a UserError naming
    ``what`` and the ``option`` that replaces it when the file does not hold it."""
    path = os.path.join(model_dir, INFERENCE_YML)
    if not os.path.isfile(path):
        return None
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            return pick(yaml.safe_load(f)["Global"])
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError, ValueError) as err:
        raise UserError(f"cannot read the {what} from {path!r} ({type(err).__name__}: {err}); export the model "
                        f"again, or pass {option}") from err
