"""Dygraph weights → static inference model; PACT weights → a quantized (int8) inference model."""
import glob
import os

import paddle

from . import UserError, models, quant
from .utils import log

MODEL_PREFIX = "inference"
# Op names that only a quantized program holds, in .pdmodel (protobuf) and .json (PIR) files alike.
QUANT_OP_MARKS = (b"quantize_linear", b"fake_quantize", b"fake_channel_wise")


def find_model_files(model_dir):
    """(model file, params file) of the inference model in ``model_dir``: ``.json`` (Paddle 3 PIR) or ``.pdmodel``."""
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


def export(arch, weights, save_dir, img_size, num_classes=None, require_pact=False):
    """Export ``weights`` for inference into ``save_dir``; returns the model file written."""
    state = models.load_checkpoint(weights)
    pact = quant.is_quantized_state_dict(state)
    if require_pact and not pact:
        raise UserError(f"--pact_quant: {weights!r} holds FP32 weights, not PACT weights; "
                        "the train step did not quantize (is --pact_quant on its command line?)")
    num_classes = num_classes or models.num_classes_from_state_dict(state)
    model = models.build_model(arch, num_classes)
    quanter = quant.quantize(model) if pact else None
    models.apply_state_dict(model, state, weights)
    model.eval()
    os.makedirs(save_dir, exist_ok=True)
    for stale in glob.glob(os.path.join(glob.escape(save_dir), MODEL_PREFIX + ".*")):
        os.remove(stale)  # never leave an older model beside the new one for inference to pick up
    prefix = os.path.join(save_dir, MODEL_PREFIX)
    input_spec = [paddle.static.InputSpec([None, 3, img_size, img_size], "float32", name="x")]
    if quanter is not None:
        # The QAT network itself, unwrapped: the model outputs logits and inference applies softmax.
        quanter.save_quantized_model(model, prefix, input_spec=input_spec)
    else:
        paddle.jit.save(paddle.jit.to_static(model, input_spec=input_spec), prefix)
    model_file, params_file = find_model_files(save_dir)
    if pact and not is_quantized_model(model_file):
        raise UserError(f"exported {model_file!r} has no quantize/dequantize ops although the weights are PACT")
    kind = "PACT int8-quantized" if pact else "FP32"
    log(f"[export] {kind} {arch} ({num_classes} classes, input 3x{img_size}x{img_size}) → {model_file} "
        f"({os.path.getsize(params_file) / 1024:.0f} KB params)")
    return model_file
