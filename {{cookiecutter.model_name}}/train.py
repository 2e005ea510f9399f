"""Train (optionally with PACT quantization-aware training) or evaluate an image classifier.

    python train.py --device=cpu --epochs=2 --data-path=./lite_data --pact_quant
    python train.py --test-only --pact_quant --pretrained=./output/latest.pdparams --data-path=./lite_data
    python -m paddle.distributed.launch --nproc_per_node=2 train.py --device=cpu --pact_quant   # data parallel
"""
import argparse
import sys

from pact_cls import quant
from pact_cls.device import default_device, device_kind
from pact_cls.utils import run_main, str2bool


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_argument_group("Dataset parameters")
    group.add_argument("--data-path", default="./lite_data", help="ImageFolder root with train/ and val/")
    group.add_argument("--img-size", type=int, default=224, help="network input size")
    group.add_argument("--crop-scale-min", type=float, default=0.08,
                       help="smallest area fraction RandomResizedCrop keeps (training; 0.08 as for ImageNet)")
    group.add_argument("--hflip", type=str2bool, default=True, help="random horizontal flips (training)")
    group.add_argument("-j", "--workers", type=int, default=0, help="data loading worker processes")

    group = parser.add_argument_group("Model parameters")
    group.add_argument("--model", default="mobilenet_v3_small", help="paddle.vision.models architecture")
    group.add_argument("--pretrained", default=None,
                       help="weights to start from (FP32 weights are loaded before quantizing) or to evaluate")
    group.add_argument("--bn-momentum", type=float, default=None,
                       help="BatchNorm running-statistics momentum (default: the architecture's, 0.99 for "
                            "MobileNetV3); 0.9 suits small data sets, whose short trainings leave 0.99 statistics "
                            "stale")
    group.add_argument("--pact_quant", "--pact-quant", action="store_true",
                       help="PACT quantization-aware training with PaddleSlim")
    group.add_argument("--fp32-layers", choices=sorted(quant.FP32_LAYER_CHOICES), default="none",
                       help="layers a new PACT training leaves in FP32: none (every Conv2D and Linear is quantized) "
                            "or se (the convolutions of squeeze-excitation blocks: faster oneDNN int8 inference for "
                            "MobileNetV3, larger int8 model); PACT weights given by --pretrained keep their own")

    group = parser.add_argument_group("Training parameters")
    group.add_argument("--device", type=device_kind, default=None, help="cpu or gpu (default: gpu when available)")
    group.add_argument("--epochs", type=int, default=5)
    group.add_argument("-b", "--batch-size", type=int, default=4)
    group.add_argument("--optimizer", choices=("momentum", "adamw"), default="momentum",
                       help="SGD with momentum, or AdamW (trains MobileNetV3 from scratch on small data more reliably)")
    group.add_argument("--lr", type=float, default=0.02, help="initial learning rate (cosine decay)")
    group.add_argument("--momentum", type=float, default=0.9, help="momentum of --optimizer=momentum")
    group.add_argument("--weight-decay", type=float, default=4e-5)
    group.add_argument("--seed", type=int, default=0)
    group.add_argument("--print-freq", type=int, default=10, help="log every N iterations (first and last always)")
    group.add_argument("--output-dir", default="./output/", help="where latest.pdparams and train_args.json go")
    group.add_argument("--test-only", type=str2bool, nargs="?", const=True, default=False,
                       help="only evaluate --pretrained on the val split")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.img_size < 32:
        parser.error("--epochs and --batch-size must be >= 1 and --img-size >= 32")
    if not 0 < args.crop_scale_min <= 1:
        parser.error("--crop-scale-min must be in (0, 1]")
    if args.bn_momentum is not None and not 0 <= args.bn_momentum < 1:
        parser.error("--bn-momentum must be in [0, 1)")
    return args


def main(argv=None):
    args = parse_args(argv)
    from pact_cls import engine

    args.device = args.device or default_device()
    return engine.test_only(args) if args.test_only else engine.train(args)


if __name__ == "__main__":
    sys.exit(run_main(main))
