"""Models from ``paddle.vision.models`` and checkpoint loading that never skips a key."""
import os

import paddle

from . import UserError

ARCHITECTURES = ("mobilenet_v3_small", "mobilenet_v3_large", "mobilenet_v2", "resnet18", "resnet50")


def build_model(arch, num_classes):
    if arch not in ARCHITECTURES:
        raise UserError(f"unknown --model {arch!r}; choose one of: {', '.join(ARCHITECTURES)}")
    return getattr(paddle.vision.models, arch)(num_classes=num_classes)


def set_bn_momentum(model, momentum):
    """Set the running-statistics momentum of every BatchNorm layer (Paddle's: running = m * running + (1 - m) *
    batch). MobileNetV3 uses 0.99, made for ImageNet's thousands of steps per epoch: on a small data set the
    running statistics, which eval and inference use, still hold their initial values after a short training."""
    for layer in model.sublayers():
        if isinstance(layer, paddle.nn.layer.norm._BatchNormBase):
            layer._momentum = momentum


def load_checkpoint(path):
    """Load a ``.pdparams`` state dict; a missing or damaged file is a UserError naming it."""
    if not path:
        raise UserError("no weights given: pass --pretrained=<path to .pdparams>")
    if not os.path.isfile(path) and os.path.isfile(path + ".pdparams"):
        path += ".pdparams"
    if not os.path.isfile(path):
        raise UserError(f"weights file {path!r} not found (did training finish? it saves latest.pdparams)")
    try:
        state = paddle.load(path)
    except Exception as err:  # paddle raises many types for a truncated or foreign file
        raise UserError(f"cannot read weights file {path!r} ({type(err).__name__}: {err}); "
                        "it is damaged or not a Paddle state dict: train again") from err
    if not isinstance(state, dict) or not state:
        raise UserError(f"weights file {path!r} holds no state dict")
    return state


def num_classes_from_state_dict(state):
    """Classes = output width of the last 2-D weight (paddle Linear weights are [in, out])."""
    for key in reversed(list(state)):
        value = state[key]
        if key.endswith("weight") and len(getattr(value, "shape", ())) == 2:
            return int(value.shape[1])
    raise UserError("cannot tell the number of classes from the weights (no Linear layer): pass --num-classes")


def apply_state_dict(model, state, path):
    """set_state_dict, but every key and shape must match: a partial load is an error, not a warning."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong_shape = [
        f"{k} {list(state[k].shape)} vs {list(expected[k].shape)}"
        for k in expected if k in state and list(state[k].shape) != list(expected[k].shape)
    ]
    if missing or unexpected or wrong_shape:
        lines = [f"weights {path!r} do not match the network:"]
        for label, items in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong_shape)):
            if items:
                lines.append(f"  {len(items)} {label}: {', '.join(items[:4])}{' ...' if len(items) > 4 else ''}")
        raise UserError("\n".join(lines))
    model.set_state_dict(state)
