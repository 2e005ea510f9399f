"""Dygraph weights → static inference model; PACT weights → a quantized (int8) inference model."""
import glob
import os

import paddle

from . import UserError, models, quant
from .utils import log

MODEL_PREFIX = "inference"
# Written next to the model, as PaddleClas' export writes inference.yml: what inference must feed the model. The input
# size is not readable from a loaded predictor (its input handle has no shape before the first run).
PREPROCESS_FILE = MODEL_PREFIX + ".yml"
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


def write_preprocess(save_dir, arch, num_classes, img_size, quantized):
    """``<save_dir>/inference.yml``: the model's input and preprocessing, in PaddleClas' inference.yml layout."""
    import yaml

    from .data import IMAGENET_MEAN, IMAGENET_STD, resize_short

    spec = {"Global": {"model": arch, "num_classes": num_classes, "quantized": quantized,
                       "image_shape": [3, img_size, img_size]},
            "PreProcess": {"transform_ops": [{"ResizeImage": {"resize_short": resize_short(img_size)}},
                                             {"CropImage": {"size": img_size}},
                                             {"NormalizeImage": {"scale": "1.0/255.0", "mean": IMAGENET_MEAN,
                                                                 "std": IMAGENET_STD, "order": "hwc"}},
                                             {"ToCHWImage": None}]}}
    with open(os.path.join(save_dir, PREPROCESS_FILE), "w", encoding="utf-8") as f:
        f.write("# written by tools/export_model.py: the input this model was exported for; "
                "deploy/inference_python/infer.py reads image_shape\n")
        yaml.safe_dump(spec, f, sort_keys=False, default_flow_style=None)


def read_img_size(model_dir):
    """The input size recorded in ``<model_dir>/inference.yml``, or None when there is no such file."""
    path = os.path.join(model_dir, PREPROCESS_FILE)
    if not os.path.isfile(path):
        return None
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            size = int(yaml.safe_load(f)["Global"]["image_shape"][-1])
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError, ValueError) as err:
        raise UserError(f"cannot read the input size from {path!r} ({type(err).__name__}: {err}); export the model "
                        "again, or delete the file and pass --img-size") from err
    return size


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
    write_preprocess(save_dir, arch, num_classes, img_size, pact)
    kind = "PACT int8-quantized" if pact else "FP32"
    log(f"[export] {kind} {arch} ({num_classes} classes, input 3x{img_size}x{img_size}) → {model_file} "
        f"({os.path.getsize(params_file) / 1024:.0f} KB params)")
    return model_file
