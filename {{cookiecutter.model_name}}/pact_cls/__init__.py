"""PACT quantization-aware image classification on PaddlePaddle.

The thin scripts of this repo (``train.py``, ``tools/export_model.py``,
``deploy/inference_python/infer.py``) parse arguments and call into this package:

- ``data``: ImageFolder data sets and the one preprocessing pipeline used by eval and inference
- ``models``: ``paddle.vision`` models and strict checkpoint loading
- ``quant``: PaddleSlim PACT quantization-aware training
- ``engine``: training and evaluation loops
- ``export``: dygraph → static inference model (quantized when the weights are)
- ``predictor``: Paddle Inference and the AutoLog-style benchmark report
"""

__version__ = "0.1.0"


class UserError(Exception):
    """A problem the user can fix (bad path, missing package, wrong weights); printed without a traceback."""

    exit_code = 2
