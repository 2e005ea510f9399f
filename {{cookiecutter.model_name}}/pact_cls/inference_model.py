"""The files of an exported inference model folder: the program and its parameters, and ``inference.yml``.

Imports no Paddle: the template's own checks of a TIPC run (tests/tipc_checks.py) find and inspect models with
these functions too, in processes that have no Paddle installed.
"""
import glob
import os
import re

from . import UserError

MODEL_PREFIX = "inference"
# Written next to the model, as PaddleClas' export writes inference.yml: what the model was exported from and for.
# The input size is not readable from a loaded predictor (its input handle has no shape before the first run).
INFERENCE_YML = MODEL_PREFIX + ".yml"
# Op types that only a quantized program runs: PaddleSlim's quantize_linear/dequantize_linear, and the fake_*
# quantize ops of older exports.
QUANT_OP_MARKS = ("quantize_linear", "fake_quantize", "fake_channel_wise")


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
    """Whether the program runs quantize ops. The op types are read from the program itself: a .pdmodel also lists
    op names it does not run (its op version map names fake_channel_wise_* ops in FP32 programs too)."""
    with open(model_file, "rb") as f:
        content = f.read()
    if str(model_file).endswith(".json"):
        types = set(re.findall(r'"(?:pd_op\.)?([a-z_0-9]+)"', content.decode("utf-8", errors="replace")))
    else:
        types = pdmodel_op_types(content)
    return any(mark in op for op in types for mark in QUANT_OP_MARKS)


def _fields(data):
    """(field number, wire type, value) of a protobuf message: varints as ints, length-delimited fields as bytes."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = data[pos:pos + size], pos + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def _varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def pdmodel_op_types(content):
    """The op types of a .pdmodel program (ProgramDesc: blocks = 1; BlockDesc: ops = 4; OpDesc: type = 3)."""
    types = set()
    for number, wire, block in _fields(content):
        if number == 1 and wire == 2:
            for op_number, op_wire, op in _fields(block):
                if op_number == 4 and op_wire == 2:
                    types.update(value.decode() for n, w, value in _fields(op) if n == 3 and w == 2)
    return types


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
