"""PACT quantization-aware training with PaddleSlim (dygraph QAT)."""
from . import UserError

# PACT quantization-aware training: activations are clipped by PACT's learned bound and quantized with a moving-average
# abs-max scale, weights with one abs-max scale per output channel, both to 8 bits, in every Conv2D and Linear layer
# (train.py --fp32-layers=se leaves those of squeeze-excitation blocks in FP32: see FP32_LAYER_CHOICES).
# onnx_format=True exports quantize_linear/dequantize_linear ops with int8 weights.
PACT_CONFIG = {
    "weight_preprocess_type": None,
    "activation_preprocess_type": "PACT",
    "weight_quantize_type": "channel_wise_abs_max",
    "activation_quantize_type": "moving_average_abs_max",
    "weight_bits": 8,
    "activation_bits": 8,
    "dtype": "int8",
    "window_size": 10000,
    "moving_rate": 0.9,
    "quantizable_layer_type": ["Conv2D", "Linear"],
    "onnx_format": True,
}

INSTALL_HINT = ('PACT needs PaddleSlim: pip install paddleslim==2.6.0 six decorator requests "setuptools<81" '
                '(or pip install -r requirements.txt)')

# Moving-average observer statistics of the quantizers (not trained by gradients).
OBSERVER_SUFFIXES = ("._scale", "._state", "._accum")

# Parameters that only a QAT-wrapped network has.
_QUANT_KEY_MARKS = ("._fake_quant_", "._act_preprocess.", "._ma_output_scale.")


class MissingPaddleSlim(UserError):
    exit_code = 3


def _qat_class():
    try:
        from paddleslim import QAT
    except Exception as err:  # ImportError, or a broken install failing inside its own imports
        raise MissingPaddleSlim(f"{INSTALL_HINT}\n  (import paddleslim failed: {type(err).__name__}: {err})") from err
    return QAT


def require_paddleslim():
    """Fail fast, before data loading, when --pact_quant cannot work."""
    _qat_class()


def quantize(model, keep_fp32=()):
    """Wrap Conv2D/Linear of ``model`` in place with PACT fake-quant layers, except the sublayers named in
    ``keep_fp32``; returns the quanter.

    Keep the returned quanter: ``save_quantized_model`` must get this very network, not a wrapper of it
    (wrapping it, e.g. in Sequential(model, Softmax()), exports a model whose outputs are all zeros).
    """
    quanter = _qat_class()(config=dict(PACT_CONFIG))
    layers = dict(model.named_sublayers())
    for name in keep_fp32:
        layers[name].skip_quant = True  # PaddleSlim's QAT leaves a layer with this attribute unwrapped
    quanter.quantize(model)
    return quanter


def _quantizable(model):
    import paddle

    return [(name, layer) for name, layer in model.named_sublayers()
            if isinstance(layer, (paddle.nn.Conv2D, paddle.nn.Linear))]


def _squeeze_excitation_convs(model):
    from paddle.vision.models.mobilenetv3 import SqueezeExcitation

    blocks = [name for name, layer in model.named_sublayers() if isinstance(layer, SqueezeExcitation)]
    return [name for name, _ in _quantizable(model) if any(name.startswith(block + ".") for block in blocks)]


# train.py --fp32-layers: which Conv2D/Linear layers a new PACT training leaves in FP32.
# "se": the two 1x1 convolutions of every squeeze-excitation block (MobileNetV3's; the other networks of
# paddle.vision have none). They work on a 1x1 map, so int8 saves little compute there, while quantize and
# dequantize steps between them and the FP32 ops around them (global pooling, hardsigmoid, channel scaling) cost
# time. Measured on MobileNetV3-small with oneDNN on a VNNI CPU: int8 inference 6-10% faster, same top-1, and
# oneDNN's int8 pooling (which cost accuracy next to quantized SE convolutions) is no longer chosen; but these layers
# hold about 30% of its weights, so the int8 params file grows from 0.28x to 0.50x the FP32 one.
FP32_LAYER_CHOICES = {
    "none": lambda model: [],
    "se": _squeeze_excitation_convs,
}


def fp32_layers_for_training(model, choice="none"):
    """The names of the layers a new PACT training of ``model`` leaves in FP32 (a FP32_LAYER_CHOICES key)."""
    return FP32_LAYER_CHOICES[choice](model)


def layers_kept_fp32(model):
    """The Conv2D/Linear layers that quantize() left unwrapped in ``model``."""
    return [name for name, layer in _quantizable(model) if getattr(layer, "skip_quant", False)]


def fp32_layers_of_state_dict(model, state):
    """The Conv2D/Linear layers that PACT weights hold unquantized: ``<name>.weight`` where a quantized layer has
    ``<name>._layer.weight``. Building the network for such weights must leave the same layers in FP32, whatever
    the rule of the training that wrote them (older weights quantize every layer)."""
    return [name for name, _ in _quantizable(model) if f"{name}.weight" in state]


def is_quantized_state_dict(state):
    return any(mark in key for key in state for mark in _QUANT_KEY_MARKS)
