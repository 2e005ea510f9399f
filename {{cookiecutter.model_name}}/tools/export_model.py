"""Export trained weights as a Paddle Inference model (quantized when the weights come from PACT training).

    python tools/export_model.py --model=mobilenet_v3_small --pretrained=./output/latest.pdparams \
        --save-inference-dir=./output/mobilenet_v3_small_infer
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))

from pact_cls.device import device_kind  # noqa: E402
from pact_cls.utils import run_main  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="mobilenet_v3_small", help="paddle.vision.models architecture")
    parser.add_argument("--pretrained", required=True, help="trained weights (.pdparams), FP32 or PACT")
    parser.add_argument("--save-inference-dir", default="./output/inference_model", help="output folder")
    parser.add_argument("--img-size", type=int, default=224, help="network input size")
    parser.add_argument("--num-classes", type=int, default=None, help="default: read from the weights")
    parser.add_argument("--pact_quant", "--pact-quant", action="store_true",
                        help="require PACT weights: fail instead of exporting an FP32 model")
    parser.add_argument("--device", type=device_kind, default="cpu", help="device used while exporting")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from pact_cls import export
    from pact_cls.device import set_device

    set_device(args.device)
    export.export(args.model, args.pretrained, args.save_inference_dir, args.img_size,
                  num_classes=args.num_classes, require_pact=args.pact_quant)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
