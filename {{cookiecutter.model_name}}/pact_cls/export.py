"""Dygraph weights → static inference model; PACT weights → a quantized (int8) inference model."""
import glob
import os

import paddle

from . import UserError, engine, models, quant
from .inference_model import MODEL_PREFIX, find_model_files, is_quantized_model, write_inference_yml
from .utils import log


def export(arch, weights, save_dir, img_size, num_classes=None, require_pact=False):
    """Export ``weights`` for inference into ``save_dir``; returns the model file written."""
    state = models.load_checkpoint(weights)
    pact = quant.is_quantized_state_dict(state)
    if require_pact and not pact:
        raise UserError(f"--pact_quant: {weights!r} holds FP32 weights, not PACT weights; "
                        "the train step did not quantize (is --pact_quant on its command line?)")
    num_classes = num_classes or models.num_classes_from_state_dict(state)
    model, quanter = engine.network_from_state(arch, num_classes, state, weights, pact)
    model_file, params_file = save_inference_model(model, quanter, save_dir, img_size)
    if pact and not is_quantized_model(model_file):
        raise UserError(f"exported {model_file!r} has no quantize/dequantize ops although the weights are PACT")
    write_inference_yml(save_dir, arch, num_classes, img_size, pact)
    kind = "PACT int8-quantized" if pact else "FP32"
    log(f"[export] {kind} {arch} ({num_classes} classes, input 3x{img_size}x{img_size}) → {model_file} "
        f"({os.path.getsize(params_file) / 1024:.0f} KB params)")
    return model_file


def save_inference_model(model, quanter, save_dir, img_size):
    """Save ``model`` (quantized through ``quanter`` when not None) as ``<save_dir>/inference.*`` for
    ``img_size`` x ``img_size`` inputs, replacing any earlier export; returns (model file, params file)."""
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
    return find_model_files(save_dir)
