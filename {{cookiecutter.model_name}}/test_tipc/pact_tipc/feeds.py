"""The inputs of the int8 step: the preprocessing an export asks for, the images (and labels) it reads, and the
feeds built from the program's own inputs. numpy and Pillow; PyYAML when the export folder has a yml.

Preprocessing is read from the files the suites' exports write next to the model, first found wins:
``inference.yml`` (PaddleClas and the reference repo: PreProcess.transform_ops ResizeImage/CropImage/NormalizeImage,
Global.image_shape), ``deploy.yaml`` (PaddleSeg: Deploy.transforms Resize/Normalize), ``infer_cfg.yml``
(PaddleDetection: Preprocess Resize/NormalizeImage). Without one: the feed's own H x W, else ``--img-size``, else
224, and ImageNet normalisation.
"""
import os
from typing import NamedTuple, Optional, Tuple

import numpy as np

from .images import IMAGE_EXTENSIONS, input_images, read_label_list
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PREPROCESS_FILES = ("inference.yml", "deploy.yaml", "infer_cfg.yml")
# The auxiliary feeds detectors take besides the image, which the step fills to match the resized image.
IM_SHAPE, SCALE_FACTOR = "im_shape", "scale_factor"


class FeedError(Exception):
    """A feed the step cannot build, or inputs it cannot read: the message says which and why."""


class Preprocess(NamedTuple):
    size: Optional[Tuple[int, int]] = None   # (H, W) the image is resized to (None: from the feed, or the default)
    resize_short: Optional[int] = None       # resize the short side to this, then centre-crop to size
    mean: Tuple[float, ...] = IMAGENET_MEAN
    std: Tuple[float, ...] = IMAGENET_STD
    scale: float = 1.0 / 255.0
    source: str = "defaults (no inference.yml, deploy.yaml or infer_cfg.yml beside the model)"


def _pair(value):
    """(H, W) from an int or a [W, H] / [H, W] list; PaddleSeg writes [W, H], PaddleDetection [H, W]: both are
    square in practice, and a non-square one is read as the suite writes it by the caller."""
    if isinstance(value, int):
        return value, value
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return int(value[0]), int(value[1])
    return None


def read_preprocess(model_dir):
    """The Preprocess the export folder describes (see the module's docstring)."""
    for name in PREPROCESS_FILES:
        path = os.path.join(model_dir, name)
        if os.path.isfile(path):
            try:
                import yaml

                with open(path, encoding="utf-8") as f:
                    spec = yaml.safe_load(f) or {}
            except ImportError:
                return Preprocess(source=f"defaults ({path} not read: PyYAML is not installed)")
            except Exception as err:  # a yml the suite wrote in a way we do not read: say so, go on with defaults
                return Preprocess(source=f"defaults ({path} not read: {type(err).__name__}: {err})")
            return _preprocess_from(name, spec, path)
    return Preprocess()


def _preprocess_from(name, spec, path):
    found = {"source": path}
    if name == "inference.yml":
        shape = (spec.get("Global") or {}).get("image_shape")
        if isinstance(shape, (list, tuple)) and len(shape) == 3:
            found["size"] = (int(shape[1]), int(shape[2]))
        for op in (spec.get("PreProcess") or {}).get("transform_ops") or []:
            for kind, args in (op or {}).items():
                args = args or {}
                if kind == "ResizeImage" and "resize_short" in args:
                    found["resize_short"] = int(args["resize_short"])
                elif kind == "ResizeImage" and "size" in args:
                    found["size"] = _pair(args["size"])
                elif kind == "CropImage" and "size" in args:
                    found["size"] = _pair(args["size"])
                elif kind == "NormalizeImage":
                    _normalize(found, args)
    elif name == "deploy.yaml":
        for op in (spec.get("Deploy") or {}).get("transforms") or []:
            kind = (op or {}).get("type")
            if kind == "Resize" and "target_size" in op:
                w, h = _pair(op["target_size"])
                found["size"] = (h, w)
            elif kind == "Normalize":
                found["mean"] = tuple(op.get("mean", (0.5, 0.5, 0.5)))
                found["std"] = tuple(op.get("std", (0.5, 0.5, 0.5)))
        found.setdefault("mean", (0.5, 0.5, 0.5))  # PaddleSeg's Normalize defaults
        found.setdefault("std", (0.5, 0.5, 0.5))
    else:  # infer_cfg.yml
        for op in spec.get("Preprocess") or []:
            kind = (op or {}).get("type")
            if kind == "Resize" and "target_size" in op:
                found["size"] = _pair(op["target_size"])
            elif kind == "NormalizeImage":
                _normalize(found, op)
                if op.get("is_scale") is False:
                    found["scale"] = 1.0
    return Preprocess(**found)


def _normalize(found, args):
    if "mean" in args:
        found["mean"] = tuple(float(v) for v in args["mean"])
    if "std" in args:
        found["std"] = tuple(float(v) for v in args["std"])
    if "scale" in args:
        found["scale"] = _number(args["scale"])


def _number(value):
    """A number as the suites' ymls write it: 0.00392, or a quotient such as "1./255."."""
    if isinstance(value, str) and "/" in value:
        numerator, denominator = value.split("/", 1)
        return float(numerator) / float(denominator)
    return float(value)


def list_images(path, limit):
    """Up to LIMIT image files from a file, a folder or a list file (images.input_images)."""
    if not path or not os.path.exists(path):
        raise FeedError(f"images {path!r} not found")
    found = input_images(path)
    if not found:
        raise FeedError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {path!r}")
    return found[:limit]


def labelled_images(data_path, limit):
    """[(image, class id)] of a classification data set the chain prepared (``<data>/val_list.txt``), or []."""
    if not data_path:
        return []
    lists = [os.path.join(data_path, name) for name in ("val_list.txt", "test_list.txt")]
    for path in lists:
        if os.path.isfile(path):
            rows = [(image, label) for image, label in read_label_list(path)
                    if label is not None and os.path.isfile(image)]
            return rows[:limit]
    return []


def load_image(path):
    from PIL import Image

    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    except Exception as err:
        raise FeedError(f"cannot read image {path!r}: {type(err).__name__}: {err}") from err


def image_size_of(feed, default):
    """(H, W) of an NCHW or NHWC image feed, DEFAULT where the program leaves it to run time (-1)."""
    dims = list(feed.shape)
    if len(dims) != 4:
        return default
    h, w = (dims[2], dims[3]) if dims[1] in (1, 3) else (dims[1], dims[2])
    return (h, w) if h > 0 and w > 0 else default


def is_image_feed(feed):
    dims = list(feed.shape)
    return len(dims) == 4 and "float" in feed.dtype and (dims[1] in (1, 3) or dims[3] in (1, 3))


def prepare(image, preprocess, size):
    """IMAGE (H x W x 3 uint8) resized to SIZE (H, W) as PREPROCESS says, normalised, as float32 CHW."""
    from PIL import Image

    pil = Image.fromarray(image)
    h, w = size
    if preprocess.resize_short:
        short = preprocess.resize_short
        ratio = short / min(pil.width, pil.height)
        pil = pil.resize((max(1, round(pil.width * ratio)), max(1, round(pil.height * ratio))), Image.BILINEAR)
        left, top = max(0, (pil.width - w) // 2), max(0, (pil.height - h) // 2)
        pil = pil.crop((left, top, left + w, top + h))
    if pil.size != (w, h):
        pil = pil.resize((w, h), Image.BILINEAR)
    array = np.asarray(pil, dtype="float32") * preprocess.scale
    array = (array - np.asarray(preprocess.mean, "float32")) / np.asarray(preprocess.std, "float32")
    return array.transpose(2, 0, 1)


def build_feeds(feeds, path, preprocess, default_size):
    """{feed name: array} for one image at PATH (batch 1) from the program's FEEDS."""
    image_feeds = [f for f in feeds if is_image_feed(f)]
    if len(image_feeds) != 1:
        raise FeedError("the program's feeds are " + ", ".join(f"{f.name} {list(f.shape)} {f.dtype}" for f in feeds)
                        + f": the int8 step feeds one image tensor (4-D float, 1 or 3 channels), found "
                        f"{len(image_feeds)}")
    image_feed = image_feeds[0]
    size = image_size_of(image_feed, None) or preprocess.size or default_size
    raw = load_image(path)
    chw = prepare(raw, preprocess, size)
    channels = image_feed.shape[1] if image_feed.shape[1] in (1, 3) else image_feed.shape[3]
    if channels == 1:
        chw = chw.mean(axis=0, keepdims=True)
    nhwc = image_feed.shape[1] not in (1, 3)
    out = {image_feed.name: (chw.transpose(1, 2, 0) if nhwc else chw)[None].astype(_np_dtype(image_feed.dtype))}
    h, w = size
    for feed in feeds:
        if feed is image_feed:
            continue
        if feed.name == IM_SHAPE:
            out[feed.name] = np.asarray([[h, w]], dtype=_np_dtype(feed.dtype))
        elif feed.name == SCALE_FACTOR:
            out[feed.name] = np.asarray([[h / raw.shape[0], w / raw.shape[1]]], dtype=_np_dtype(feed.dtype))
        else:
            raise FeedError(f"feed {feed.name!r} {list(feed.shape)} {feed.dtype}: the int8 step fills an image, "
                            f"{IM_SHAPE} and {SCALE_FACTOR}, nothing else")
    return out


def _np_dtype(name):
    return {"bfloat16": "float32"}.get(name, name)
