"""Training and evaluation (single process or ``paddle.distributed.launch``)."""
import hashlib
import json
import os
import time

import numpy as np
import paddle
import paddle.nn.functional as F

from . import UserError, data, device, models, quant
from .utils import log


def build_network(arch, num_classes, weights=None, pact=False, evaluate=False, fp32_layers="none"):
    """The network to train or evaluate, PACT-quantized when ``pact``, with the ``weights`` of a .pdparams path
    (None: none) loaded strictly. Returns (model, quanter or None)."""
    state = models.load_checkpoint(weights) if weights else None
    return network_from_state(arch, num_classes, state, weights, pact, evaluate, fp32_layers)


def network_from_state(arch, num_classes, state, weights, pact=False, evaluate=False, fp32_layers="none"):
    """build_network for a state dict already loaded from the path ``weights`` (None for no weights).

    FP32 weights are loaded before quantizing (QAT fine-tunes an FP32 model); PACT weights after. To ``evaluate``
    a PACT network the weights must be PACT weights: a freshly quantized FP32 network is not what a PACT training
    produced. Which layers stay FP32 in a PACT network: those PACT weights hold unquantized, or for a new PACT
    network (no weights, or FP32 ones) the ``fp32_layers`` choice of quant.FP32_LAYER_CHOICES.
    """
    model = models.build_model(arch, num_classes)
    weights_are_pact = state is not None and quant.is_quantized_state_dict(state)
    if evaluate and pact and state is not None and not weights_are_pact:
        raise UserError(f"--pact_quant: {weights!r} holds FP32 weights, not PACT weights; the train step "
                        "did not quantize (is --pact_quant on its command line?)")
    if weights_are_pact and not pact:
        raise UserError(f"{weights!r} holds PACT (quantized) weights: add --pact_quant to use them")
    if state is not None and not weights_are_pact:
        models.apply_state_dict(model, state, weights)
    quanter = None
    if pact:
        keep_fp32 = (quant.fp32_layers_of_state_dict(model, state) if weights_are_pact
                     else quant.fp32_layers_for_training(model, fp32_layers))
        quanter = quant.quantize(model, keep_fp32)
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
    device.set_device(args.device)
    val_set = data.image_folder(args.data_path, "val", args.img_size)
    model, quanter = build_network(args.model, len(val_set.classes), args.pretrained, pact=args.pact_quant,
                                   evaluate=True)
    kind = "PACT-quantized" if quanter else "FP32"
    metrics = evaluate(model, data.loader(val_set, args.batch_size, False, args.workers, distributed=False))
    log(f"[eval] {kind} {args.model} on {metrics['samples']} images of {args.data_path}/val: "
        f"top1: {metrics['top1']:.4f}, top5: {metrics['top5']:.4f}, loss: {metrics['loss']:.4f}")
    return 0


def train(args):
    """``train.py``: train (PACT QAT with ``--pact_quant``), save latest.pdparams every epoch, evaluate at the end."""
    if args.fp32_layers != "none" and not args.pact_quant:
        raise UserError(f"--fp32-layers={args.fp32_layers} chooses layers PACT leaves in FP32: add --pact_quant "
                        "(without it every layer is FP32 anyway)")
    if args.pact_quant:
        quant.require_paddleslim()
    device.set_device(args.device)
    world_size, rank = start_processes(args.seed)
    distributed = world_size > 1
    train_set, val_set = training_data(args.data_path, args.img_size, args.crop_scale_min, args.hflip)
    num_classes = len(train_set.classes)
    model, quanter = build_network(args.model, num_classes, args.pretrained, pact=args.pact_quant,
                                   fp32_layers=args.fp32_layers)
    if args.bn_momentum is not None:
        models.set_bn_momentum(model, args.bn_momentum)
    network = paddle.DataParallel(model) if distributed else model
    train_loader = data.loader(train_set, args.batch_size, True, args.workers, distributed)
    schedule = paddle.optimizer.lr.CosineAnnealingDecay(args.lr, T_max=max(args.epochs * len(train_loader), 1))
    optimizer = build_optimizer(args.optimizer, schedule, network.parameters(), args.momentum, args.weight_decay)
    is_writer = rank == 0
    if is_writer:
        write_train_args(args.output_dir, dict(vars(args), num_classes=num_classes, classes=train_set.classes,
                                               world_size=world_size, paddle_version=paddle.__version__))
    kept = quant.layers_kept_fp32(model) if quanter else []
    kind = f"PACT QAT ({len(kept)} Conv2D/Linear layers kept FP32)" if kept else "PACT QAT" if quanter else "FP32"
    log(f"[train] {kind} {args.model}, {num_classes} classes, "
        f"{len(train_set)} train / {len(val_set)} val images, world size {world_size}, rank {rank}, "
        f"device {paddle.device.get_device()}, input {args.img_size}x{args.img_size}, "
        f"{'from ' + args.pretrained if args.pretrained else 'from scratch'}")
    for epoch in range(1, args.epochs + 1):
        train_one_epoch(network, train_loader, optimizer, schedule, epoch, args.epochs, args.print_freq)
        if is_writer:
            save_checkpoint(model, optimizer, args.output_dir)
    if distributed:
        log(f"[train] rank {rank}/{world_size} trainable weights sha256: {weights_digest(model)}")
    if is_writer:
        metrics = evaluate(model, data.loader(val_set, args.batch_size, False, args.workers, distributed=False))
        log(f"[train] done, val top1: {metrics['top1']:.4f}, top5: {metrics['top5']:.4f}; "
            f"saved {os.path.join(args.output_dir, 'latest.pdparams')}")
    return 0


def start_processes(seed):
    """Join the processes of a ``paddle.distributed.launch`` (if any) and seed this one; returns (world size, rank)."""
    world_size = paddle.distributed.get_world_size()
    if world_size > 1:
        paddle.distributed.init_parallel_env()
    paddle.seed(seed)
    np.random.seed(seed)
    return world_size, paddle.distributed.get_rank()


def training_data(data_path, img_size, crop_scale_min, hflip):
    """The train split (augmented) and the val split of ``data_path``, which must have the same class folders."""
    train_set = data.image_folder(data_path, "train", img_size, crop_scale_min, hflip)
    val_set = data.image_folder(data_path, "val", img_size)
    if train_set.classes != val_set.classes:
        raise UserError(f"train and val class folders differ under {data_path!r}: "
                        f"{train_set.classes} vs {val_set.classes}")
    return train_set, val_set


def build_optimizer(name, schedule, parameters, momentum, weight_decay):
    """AdamW for ``name`` "adamw", else SGD with ``momentum``."""
    if name == "adamw":
        return paddle.optimizer.AdamW(schedule, parameters=parameters, weight_decay=weight_decay)
    return paddle.optimizer.Momentum(schedule, momentum=momentum, parameters=parameters, weight_decay=weight_decay)


def write_train_args(output_dir, resolved):
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, "train_args.json"), "w", encoding="utf-8") as f:
        json.dump(resolved, f, indent=2)


def train_one_epoch(network, loader, optimizer, schedule, epoch, epochs, print_freq):
    """One pass over ``loader``, stepping ``schedule`` every batch; logs the first, the last and every
    ``print_freq``-th iteration (``epoch`` of ``epochs`` names the pass in the log)."""
    network.train()
    iters = len(loader)
    reader_start = time.perf_counter()
    for step, (images, labels) in enumerate(loader, 1):
        reader_cost = time.perf_counter() - reader_start
        labels = labels.astype("int64").reshape([-1])
        loss = F.cross_entropy(network(images), labels)
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()
        lr = optimizer.get_lr()
        schedule.step()
        batch_cost = time.perf_counter() - reader_start
        if step == 1 or step == iters or step % print_freq == 0:
            log(f"[train] epoch {epoch}/{epochs}, iter {step}/{iters}, loss: {float(loss):.5f}, "
                f"lr: {lr:.6f}, reader_cost: {reader_cost:.4f} s, batch_cost: {batch_cost:.4f} s, "
                f"ips: {labels.shape[0] / batch_cost:.2f} samples/s")
        reader_start = time.perf_counter()


def save_checkpoint(model, optimizer, output_dir):
    """latest.pdparams and latest.pdopt in ``output_dir``. ``model`` is the network inside DataParallel: its keys
    match a fresh (quantized) network, with or without DataParallel."""
    paddle.save(model.state_dict(), os.path.join(output_dir, "latest.pdparams"))
    paddle.save(optimizer.state_dict(), os.path.join(output_dir, "latest.pdopt"))
