"""PACT quantization-aware image classification on PaddlePaddle.

The thin scripts of this repo (``train.py``, ``tools/*.py``, ``deploy/inference_python/infer.py``) parse
arguments and call into this package:

- ``device``: device values (``--device``, ``--use-gpu``) and whether Paddle can use a CUDA GPU here
- ``data``: ImageFolder data sets, the one image reader and the one preprocessing pipeline of eval and inference
- ``models``: ``paddle.vision`` models and strict checkpoint loading
- ``quant``: PaddleSlim PACT quantization-aware training
- ``engine``: building the (quantized) network for given weights, training and evaluation loops
- ``inference_model``: the files of an exported model folder (model, params, inference.yml)
- ``export``: dygraph → static inference model (quantized when the weights are)
- ``predictor``: Paddle Inference and the AutoLog-style benchmark report
- ``accuracy``: inference model vs. dygraph model, top-1, saved results
- ``utils``: on/off options, the shared inference options, logging, error handling of the scripts
"""

__version__ = "0.1.0"


class UserError(Exception):
    """A problem the user can fix (bad path, missing package, wrong weights); printed without a traceback."""

    exit_code = 2
