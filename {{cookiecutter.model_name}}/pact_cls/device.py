"""Device values (``--device``, ``--use-gpu``) and whether Paddle can run on a CUDA GPU here.

A device value asks for a GPU exactly when, lower-cased, it is ``true`` or ``gpu``: the TIPC harness under
test_tipc/ applies the same rule to decide which inference runs need a GPU entry, so a value never means a GPU to
one and the CPU to the other.
"""
import argparse

from . import UserError

GPU_VALUES = ("true", "gpu")
CPU_VALUES = ("false", "cpu")


def device_kind(value):
    """argparse type of ``--device``: "gpu" for True or gpu, "cpu" for False or cpu (any case)."""
    lowered = str(value).strip().lower()
    if lowered in GPU_VALUES:
        return "gpu"
    if lowered in CPU_VALUES:
        return "cpu"
    raise argparse.ArgumentTypeError(f"expected True or gpu (GPU), or False or cpu (CPU), in any case; got {value!r}")


def use_gpu(value):
    """argparse type of ``--use-gpu``: True for True or gpu, False for False or cpu (any case)."""
    return device_kind(value) == "gpu"


def cuda_problem(devices=1):
    """Why Paddle cannot run on ``devices`` CUDA GPUs here, as a sentence for the user; None when it can."""
    import paddle

    if not paddle.device.is_compiled_with_cuda():
        return "this Paddle is a CPU build: install paddlepaddle-gpu"
    visible = paddle.device.cuda.device_count()
    if visible < devices:
        return (f"Paddle sees {visible} CUDA device(s), {devices} needed: "
                "check CUDA_VISIBLE_DEVICES and the driver")
    return None


def default_device():
    """gpu when Paddle can use a CUDA GPU here, else cpu."""
    return "cpu" if cuda_problem() else "gpu"


def set_device(device):
    """paddle.set_device(``device``, "gpu" or "cpu"); a GPU Paddle cannot use is a UserError saying why."""
    import paddle

    problem = cuda_problem() if device == "gpu" else None
    if problem:
        raise UserError(f"--device={device} but {problem} or use --device=cpu")
    paddle.set_device(device)
