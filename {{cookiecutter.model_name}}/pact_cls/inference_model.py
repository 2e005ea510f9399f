"""The files of an exported inference model folder: the program and its parameters, and ``inference.yml``.

Imports no Paddle: the template's own checks of a TIPC run (tests/tipc_checks.py) find and inspect models with
these functions too, in processes that have no Paddle installed.
"""
import glob
import os

from . import UserError

MODEL_PREFIX = "inference"
# Written next to the model, as PaddleClas' export writes inference.yml: what the model was exported from and for.
# The input size is not readable from a loaded predictor (its input handle has no shape before the first run).
INFERENCE_YML = MODEL_PREFIX + ".yml"
# Op names that only a quantized program holds, in .pdmodel (protobuf) and .json (PIR) files alike.
QUANT_OP_MARKS = (b"quantize_linear", b"fake_quantize", b"fake_channel_wise")


def find_model_files(model_dir):
    """(model file, params file) of the inference model in ``model_dir``.

    A model is ``<prefix>.json`` (Paddle 3 PIR) or ``<prefix>.pdmodel`` with ``<prefix>.pdiparams`` beside it: a
    .json alone is no model (train_args.json may share the folder). .json comes before .pdmodel, and for each
    ``inference.<ext>`` before other prefixes.
    """
    if not os.path.isdir(model_dir):
        raise UserError(f"inference model folder {model_dir!r} not found: export one with tools/export_model.py")
    for ext in (".json", ".pdmodel"):
        candidates = sorted(glob.glob(os.path.join(glob.escape(model_dir), "*" + ext)))
        preferred = [c for c in candidates if os.path.basename(c) == MODEL_PREFIX + ext]
        for model_file in preferred + candidates:
            params = model_file[: -len(ext)] + ".pdiparams"
            if os.path.isfile(params):
                return model_file, params
    raise UserError(f"{model_dir!r} holds no inference model (*.json or *.pdmodel with its .pdiparams): "
                    "export one with tools/export_model.py")


def is_quantized_model(model_file):
    with open(model_file, "rb") as f:
        content = f.read()
    return any(mark in content for mark in QUANT_OP_MARKS)


def write_inference_yml(save_dir, arch, num_classes, img_size, quantized):
    """``<save_dir>/inference.yml``: the architecture and input size the model was exported with, in the Global
    section of PaddleClas' inference.yml. Preprocessing is not written: inference derives it from the input size
    (pact_cls.data.eval_transform), as evaluation does."""
    import yaml

    spec = {"Global": {"model": arch, "num_classes": num_classes, "quantized": quantized,
                       "image_shape": [3, img_size, img_size]}}
    with open(os.path.join(save_dir, INFERENCE_YML), "w", encoding="utf-8") as f:
        f.write("# written by tools/export_model.py: deploy/inference_python/infer.py reads image_shape, "
                "tools/check_accuracy.py model\n")
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
