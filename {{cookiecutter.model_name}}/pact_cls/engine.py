"""Training and evaluation (single process or ``paddle.distributed.launch``)."""
import hashlib
import json
import os
import time

import numpy as np
import paddle
import paddle.nn.functional as F

from . import UserError, data, models, quant
from .utils import log


def set_device(device):
    if device.startswith("gpu") and not paddle.device.is_compiled_with_cuda():
        raise UserError(f"--device={device} but this Paddle is a CPU build: "
                        "install paddlepaddle-gpu or use --device=cpu")
    paddle.set_device(device)


def build_network(args, num_classes, weights=None, evaluate=False):
    """The network to train or evaluate, quantized when asked, with weights loaded strictly.

    FP32 weights are loaded before quantizing (QAT fine-tunes an FP32 model); PACT weights after.
    To evaluate with --pact_quant the weights must be PACT weights: a freshly quantized FP32 network
    is not what a PACT training produced. Returns (model, quanter or None).
    """
    model = models.build_model(args.model, num_classes)
    state = models.load_checkpoint(weights) if weights else None
    weights_are_pact = state is not None and quant.is_quantized_state_dict(state)
    if evaluate and args.pact_quant and state is not None and not weights_are_pact:
        raise UserError(f"--pact_quant: {weights!r} holds FP32 weights, not PACT weights; the train step "
                        "did not quantize (is --pact_quant on its command line?)")
    if state is not None and not weights_are_pact:
        models.apply_state_dict(model, state, weights)
    quanter = None
    if args.pact_quant or weights_are_pact:
        if weights_are_pact and not args.pact_quant:
            raise UserError(f"{weights!r} holds PACT (quantized) weights: add --pact_quant to use them")
        quanter = quant.quantize(model)
    if weights_are_pact:
        models.apply_state_dict(model, state, weights)
    return model, quanter


def accuracy(logits, labels, k):
    topk = paddle.topk(logits, k=min(k, logits.shape[-1]), axis=-1)[1]
    return float((topk == labels.unsqueeze(-1)).astype("float32").sum(axis=-1).mean())


def weights_digest(model):
    """SHA-256 of the trained weights: equal on every rank when data-parallel training kept them in sync.

    Leaves out the quantizers' moving-average statistics: like BatchNorm running statistics, each rank
    keeps its own from its own batches (rank 0's are the ones saved).
    """
    digest = hashlib.sha256()
    for name, param in model.named_parameters():
        if not param.stop_gradient and not name.endswith(quant.OBSERVER_SUFFIXES):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(param.numpy()).tobytes())
    return digest.hexdigest()[:16]


@paddle.no_grad()
def evaluate(model, loader):
    """Top-1/top-5 accuracy and mean loss over ``loader``."""
    model.eval()
    total = correct1 = correct5 = 0
    loss_sum = 0.0
    for images, labels in loader:
        labels = labels.astype("int64").reshape([-1])
        logits = model(images)
        n = labels.shape[0]
        loss_sum += float(F.cross_entropy(logits, labels)) * n
        correct1 += accuracy(logits, labels, 1) * n
        correct5 += accuracy(logits, labels, 5) * n
        total += n
    return {"top1": correct1 / max(total, 1), "top5": correct5 / max(total, 1),
            "loss": loss_sum / max(total, 1), "samples": total}


def test_only(args):
    """``train.py --test-only``: evaluate the given weights (the quantized network for PACT weights)."""
    if args.pact_quant:
        quant.require_paddleslim()
    set_device(args.device)
    val_set = data.image_folder(args.data_path, "val", args.img_size)
    model, quanter = build_network(args, len(val_set.classes), weights=args.pretrained, evaluate=True)
    kind = "PACT-quantized" if quanter else "FP32"
    metrics = evaluate(model, data.loader(val_set, args.batch_size, False, args.workers, distributed=False))
    log(f"[eval] {kind} {args.model} on {metrics['samples']} images of {args.data_path}/val: "
        f"top1: {metrics['top1']:.4f}, top5: {metrics['top5']:.4f}, loss: {metrics['loss']:.4f}")
    return 0


def train(args):
    if args.pact_quant:
        quant.require_paddleslim()
    set_device(args.device)
    world_size = paddle.distributed.get_world_size()
    rank = paddle.distributed.get_rank()
    distributed = world_size > 1
    if distributed:
        paddle.distributed.init_parallel_env()
    paddle.seed(args.seed)
    np.random.seed(args.seed)

    train_set = data.image_folder(args.data_path, "train", args.img_size, args.crop_scale_min, args.hflip)
    val_set = data.image_folder(args.data_path, "val", args.img_size)
    if train_set.classes != val_set.classes:
        raise UserError(f"train and val class folders differ under {args.data_path!r}: "
                        f"{train_set.classes} vs {val_set.classes}")
    num_classes = len(train_set.classes)
    model, quanter = build_network(args, num_classes, weights=args.pretrained)
    if args.bn_momentum is not None:
        models.set_bn_momentum(model, args.bn_momentum)
    network = model
    if distributed:
        network = paddle.DataParallel(model)

    train_loader = data.loader(train_set, args.batch_size, True, args.workers, distributed)
    val_loader = data.loader(val_set, args.batch_size, False, args.workers, distributed=False)
    iters = len(train_loader)
    schedule = paddle.optimizer.lr.CosineAnnealingDecay(args.lr, T_max=max(args.epochs * iters, 1))
    if args.optimizer == "adamw":
        optimizer = paddle.optimizer.AdamW(schedule, parameters=network.parameters(), weight_decay=args.weight_decay)
    else:
        optimizer = paddle.optimizer.Momentum(schedule, momentum=args.momentum, parameters=network.parameters(),
                                              weight_decay=args.weight_decay)

    is_writer = rank == 0
    if is_writer:
        os.makedirs(args.output_dir, exist_ok=True)
        resolved = dict(vars(args), num_classes=num_classes, classes=train_set.classes, world_size=world_size,
                        paddle_version=paddle.__version__)
        with open(os.path.join(args.output_dir, "train_args.json"), "w", encoding="utf-8") as f:
            json.dump(resolved, f, indent=2)
    log(f"[train] {'PACT QAT' if quanter else 'FP32'} {args.model}, {num_classes} classes, "
        f"{len(train_set)} train / {len(val_set)} val images, world size {world_size}, rank {rank}, "
        f"device {paddle.device.get_device()}, input {args.img_size}x{args.img_size}, "
        f"{'from ' + args.pretrained if args.pretrained else 'from scratch'}")

    for epoch in range(1, args.epochs + 1):
        network.train()
        reader_start = time.perf_counter()
        for step, (images, labels) in enumerate(train_loader, 1):
            reader_cost = time.perf_counter() - reader_start
            labels = labels.astype("int64").reshape([-1])
            logits = network(images)
            loss = F.cross_entropy(logits, labels)
            loss.backward()
            optimizer.step()
            optimizer.clear_grad()
            lr = optimizer.get_lr()
            schedule.step()
            batch_cost = time.perf_counter() - reader_start
            if step == 1 or step == iters or step % args.print_freq == 0:
                log(f"[train] epoch {epoch}/{args.epochs}, iter {step}/{iters}, loss: {float(loss):.5f}, "
                    f"lr: {lr:.6f}, reader_cost: {reader_cost:.4f} s, batch_cost: {batch_cost:.4f} s, "
                    f"ips: {labels.shape[0] / batch_cost:.2f} samples/s")
            reader_start = time.perf_counter()
        if is_writer:
            # The inner model's state dict: its keys match a fresh (quantized) network, with or without DataParallel.
            paddle.save(model.state_dict(), os.path.join(args.output_dir, "latest.pdparams"))
            paddle.save(optimizer.state_dict(), os.path.join(args.output_dir, "latest.pdopt"))
    if distributed:
        log(f"[train] rank {rank}/{world_size} trainable weights sha256: {weights_digest(model)}")
    if is_writer:
        metrics = evaluate(model, val_loader)
        log(f"[train] done, val top1: {metrics['top1']:.4f}, top5: {metrics['top5']:.4f}; "
            f"saved {os.path.join(args.output_dir, 'latest.pdparams')}")
    return 0
