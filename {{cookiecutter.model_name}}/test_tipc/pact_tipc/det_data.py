"""The detection data set of ``make_lite_data.py --task detection``: scikit-learn's 8x8 digits 0-3 scattered on
noisy backgrounds, with COCO box annotations, in the layout PaddleDetection's ``COCODataSet`` reads.

Needs numpy, Pillow and scikit-learn (like the other digits sets); nothing is downloaded. The tarball:

  <root>/train/<NNN>.jpg, <root>/val/<NNN>.jpg      RGB JPEG images, S x S (--image-size, default 320)
  <root>/annotations/instances_train.json           COCO annotations of train/ (file_name "000.jpg", ...)
  <root>/annotations/instances_val.json             the same for val/
  <root>/labels.txt                                 the class names, one a line: 0, 1, 2, 3

A PaddleDetection reader config points at it with ``dataset_dir: <root>``, ``image_dir: train`` (``val``) and
``anno_path: annotations/instances_train.json`` (``instances_val.json``); ``labels.txt`` is a label list for
inference. <NNN> numbers the images of a split from 0, zero-padded to 3 digits (more when a split has over 1000
images), so name order is image id order: <NNN>.jpg has image id NNN + 1.

The COCO files hold ``info``, ``licenses`` (empty), ``images`` [{id, file_name, width, height}], ``annotations``
[{id, image_id, category_id, bbox [x, y, w, h], area, iscrowd 0, segmentation []}] and ``categories``
[{id, name, supercategory "digit"}]. Category ids are 1..4 for the digits 0..3, image and annotation ids count from 1
(pycocotools' COCOeval records a match as the matched annotation's id, so an id of 0 would read as "no match"). A box
is the tight box of the pixels where the digit's blend weight is above one half: x, y are the first column and row it
covers, w, h its width and height in whole pixels (x + w <= S), area = w * h. ``info`` is there because pycocotools
2.0.9 and 2.0.10 fail in ``loadRes`` on a ground-truth file without it.

Each image holds 1 to 3 digits samples -- the number runs through the cycle DIGITS_PER_IMAGE -- drawn as in the
segmentation set: the 8x8 grey levels upscaled (bilinear) to a square of side d, blended with a bright colour (its
grey level as the blend weight) onto a dark textured background. d is 20% to 45% of S; the canvas is cut into 2 x 2
cells, each digit gets a cell of its own and a random place inside it, so digits never overlap and every image also
holds background. Sizes, cells, places, colours and the background come from a numpy generator seeded with the
digits indices of the image's samples, so an image looks the same in every build and in both the lite and the whole
set (the lite set's images are the first images of the whole set).

Selection: the digits samples of the classes 0..3 in data-set order (720 of them); every 5th of those (positions 4,
9, 14, ...) is in the val part, the others in the train part. Image n of a split takes the next DIGITS_PER_IMAGE[n %
4] samples of its part, so the parts give 288 train and 72 val images, each sample used once. --train-count N and
--val-count M take the first N and M of those images; 0 takes all of them. The defaults are 16 train + 8 val images.

The helpers shared with the classification set (digits loading, the digit upscaling, JPEG encoding, reproducible tar
members, the atomic write, LiteDataError) are make_lite_data.py's, passed in as ``lite`` (see seg_data.py for why);
the background is the segmentation set's.
"""
import json

import numpy as np
from PIL import Image

from . import seg_data

SEED = 20240602  # with the image's digits indices, seeds that image's generator
DEFAULT_IMAGE_SIZE = 320
DEFAULT_TRAIN_COUNT = 16
DEFAULT_VAL_COUNT = 8
MIN_IMAGE_SIZE = 64  # the smallest digit (20% of S) is then 13 pixels, enough to keep its strokes
DIGITS = (0, 1, 2, 3)  # the classes; category id = position + 1
DIGITS_PER_IMAGE = (2, 3, 1, 2)  # image n holds DIGITS_PER_IMAGE[n % 4] digits (mean 2)
SIZE_RANGE = (0.20, 0.45)  # a digit's side, as a fraction of S: under half of S, so it fits in its 2 x 2 cell
THRESHOLD = 0.5  # the box covers the pixels whose blend weight is above this
SPLITS = ("train", "val")
ANNOTATIONS = "annotations"
SUPERCATEGORY = "digit"
INFO = {"description": "scikit-learn digits 0-3 on noisy backgrounds, built by make_lite_data.py --task detection",
        "version": "1.0"}


def categories():
    """The COCO categories: id 1.. for the digits of DIGITS, named by the digit."""
    return [{"id": i + 1, "name": str(d), "supercategory": SUPERCATEGORY} for i, d in enumerate(DIGITS)]


def render(lite, glyphs, indices, size):
    """(RGB image uint8 S x S x 3, [(digit position, bbox [x, y, w, h])]) of one image.

    ``glyphs`` are the 8x8 grey-level arrays of the image's digits samples and ``indices`` their digits indices, which
    seed the generator: the same samples always give the same image.
    """
    rng = np.random.default_rng([SEED, *(int(i) for i in indices)])
    cell = size // 2
    cells = rng.permutation(4)[:len(glyphs)]
    low, high = (max(8, round(f * size)) for f in SIZE_RANGE)
    background = seg_data._background(rng, size)
    weight = np.zeros((size, size))
    colour = np.zeros((size, size, 3))
    boxes = []
    for pixels, where in zip(glyphs, cells):
        side = int(rng.integers(low, min(high, cell) + 1))
        x = int(where % 2) * cell + int(rng.integers(0, cell - side + 1))
        y = int(where // 2) * cell + int(rng.integers(0, cell - side + 1))
        # The digit upscaled as the classification set does it (bilinear, grey 0..255), as a blend weight 0..1.
        glyph = np.asarray(lite._digit_image(pixels, side).convert("L"), dtype=np.float64) / 255.0
        weight[y:y + side, x:x + side] = glyph
        colour[y:y + side, x:x + side] = rng.uniform(200.0, 255.0, size=3)
        rows, cols = np.nonzero(glyph > THRESHOLD)
        if not len(rows):  # a digits sample always has a full-intensity pixel, so bilinear keeps one above half
            raise AssertionError(f"digits sample #{indices[len(boxes)]} has no pixel above half at side {side}")
        x0, y0 = x + int(cols.min()), y + int(rows.min())
        boxes.append([x0, y0, x + int(cols.max()) + 1 - x0, y + int(rows.max()) + 1 - y0])
    alpha = weight[:, :, None]
    image = np.clip(np.rint(background * (1.0 - alpha) + colour * alpha), 0, 255).astype(np.uint8)
    return image, boxes


def _images_of(pool):
    """[[digits index, ...] per image]: the pool's samples dealt out DIGITS_PER_IMAGE at a time, in order."""
    out, start = [], 0
    while start < len(pool):
        take = DIGITS_PER_IMAGE[len(out) % len(DIGITS_PER_IMAGE)]
        out.append(pool[start:start + take])
        start += take
    return out


def plan(lite, train_count, val_count):
    """({split: [[digits index, ...] per image]}, images 1797x8x8, target 1797): the images of each split."""
    images, target = lite.load_digits_arrays("--task detection")
    every = lite.VAL_EVERY
    pool = [i for i, t in enumerate(target) if int(t) in DIGITS]
    parts = {"train": [x for n, x in enumerate(pool) if n % every != every - 1], "val": pool[every - 1::every]}
    picked = {}
    for split, count, flag in (("train", train_count, "--train-count"), ("val", val_count, "--val-count")):
        available = _images_of(parts[split])
        if count and len(available) < count:
            raise lite.LiteDataError(
                f"the detection set has {len(available)} {split} images (digits {DIGITS[0]}-{DIGITS[-1]}, "
                f"each sample used once) but {flag} asks for {count}; lower {flag} (0 = all {len(available)})")
        picked[split] = available[:count] if count else available
    return picked, images, target


def file_names(count):
    """The <NNN>.jpg names of a split of ``count`` images: zero-padded so that name order is image id order."""
    width = max(3, len(str(count - 1)))
    return [f"{n:0{width}d}.jpg" for n in range(count)]


def json_bytes(obj):
    """Reproducible JSON: sorted keys, fixed separators, ASCII, one trailing newline."""
    return (json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n").encode("ascii")


def build_split(lite, split_images, images, target, size):
    """([(file name, JPEG bytes)], COCO dict) of one split."""
    category = {d: i + 1 for i, d in enumerate(DIGITS)}
    files, coco_images, annotations = [], [], []
    for image_id, (name, indices) in enumerate(zip(file_names(len(split_images)), split_images), start=1):
        array, boxes = render(lite, [images[i] for i in indices], indices, size)
        files.append((name, lite._jpeg_bytes(_rgb(array))))
        coco_images.append({"id": image_id, "file_name": name, "width": size, "height": size})
        for index, box in zip(indices, boxes):
            annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                "category_id": category[int(target[index])], "bbox": box, "area": box[2] * box[3],
                                "iscrowd": 0, "segmentation": []})
    coco = {"info": INFO, "licenses": [], "images": coco_images, "annotations": annotations,
            "categories": categories()}
    return files, coco


def _rgb(array):
    return Image.frombytes("RGB", (array.shape[1], array.shape[0]), np.ascontiguousarray(array).tobytes())


def write_tarball(lite, output, root_name, picked, images, target, size):
    """Write images, COCO files and labels.txt as a reproducible uncompressed tarball (the classification set's
    tar rules)."""
    dirs = [root_name, f"{root_name}/{ANNOTATIONS}"] + [f"{root_name}/{split}" for split in SPLITS]
    files = []
    for split in SPLITS:
        split_files, coco = build_split(lite, picked[split], images, target, size)
        files += [(f"{root_name}/{split}/{name}", data) for name, data in split_files]
        files.append((f"{root_name}/{ANNOTATIONS}/instances_{split}.json", json_bytes(coco)))
    files.append((f"{root_name}/labels.txt", "".join(f"{d}\n" for d in DIGITS).encode("ascii")))
    lite.write_tree(output, dirs, files)


def check_size(lite, size):
    if size < MIN_IMAGE_SIZE:
        raise lite.LiteDataError(f"--task detection needs --image-size {MIN_IMAGE_SIZE} or more (got {size})")


def write_demo_image(lite, path):
    """The detection inference demo image: the first val image (val/000.jpg of every build) rendered at
    DEMO_SIZE x DEMO_SIZE, RGB; PNG when PATH ends in .png, else JPEG with the classification demo's settings.
    Returns the digits indices of its samples."""
    picked, images, _ = plan(lite, 0, 1)
    indices = picked["val"][0]
    array, _ = render(lite, [images[i] for i in indices], indices, lite.DEMO_SIZE)
    if path.lower().endswith(".png"):
        data = seg_data._png_bytes(array, "RGB")
    else:
        data = lite._jpeg_bytes(_rgb(array))
    lite._atomic_write(path, lambda f: f.write(data))
    return indices
