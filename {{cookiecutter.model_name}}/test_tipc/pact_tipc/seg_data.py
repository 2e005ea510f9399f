"""The segmentation data set of ``make_lite_data.py --task segmentation``: scikit-learn's 8x8 digits on noisy
backgrounds, with a mask per image, in the layout PaddleSeg's ``paddleseg.datasets.Dataset`` reads.

Needs numpy, Pillow and scikit-learn (like the digits classification set); nothing is downloaded. The tarball:

  <root>/train/<NNN>.png, <root>/val/<NNN>.png                  RGB images, S x S
  <root>/train_labels/<NNN>.png, <root>/val_labels/<NNN>.png    masks: mode "L", 0 = background, 1 = digit
  <root>/train_list.txt, <root>/val_list.txt                    ``train/000.png train_labels/000.png`` lines
  <root>/labels.txt                                             ``0 background`` and ``1 digit``

<NNN> numbers the images of a split from 0, zero-padded to 3 digits (more when a split has over 1000 images), so
name order is list order. An image and its mask share the name.

Each image is one digits sample: the 8x8 grey levels upscaled (bilinear) to a square of side d, placed at offset
(x, y) on a dark textured background (a coarse random colour field, upscaled, plus pixel noise) and blended in with
a bright colour, its grey level as the blend weight. The mask is 1 where that weight is above one half. d, x, y, the
colours and the noise come from a numpy generator seeded with the sample's index in the digits data, so the same
sample gives the same image in every build and in both the lite and the whole set; d runs from about 45% to 80% of
S, so every image also holds background. The background's channels lie around 10..80 (plus noise of standard
deviation 6), the digit's colour at 200..255: a threshold on brightness alone labels about 99% of the pixels right, so
a small convolutional net learns the masks within a few iterations.

Selection: every 5th digits sample (positions 4, 9, 14, ... of the data set, whatever its digit) is in the val
part and the others in the train part; --train-count N takes the first N samples of
the train part and --val-count M the first M of the val part, in data-set order; 0 takes the whole part (1438 train,
359 val).

The helpers shared with the classification set (digits loading, reproducible tar members, the atomic write,
LiteDataError) are make_lite_data.py's; it passes itself as ``lite``. It runs as a script (``__main__``), so importing
it back by name from here would load a second copy, whose LiteDataError the script would not catch.
"""
import io

import numpy as np
from PIL import Image

SEED = 20240601  # with the sample's digits index, seeds that sample's generator
DEFAULT_TRAIN_COUNT = 32
DEFAULT_VAL_COUNT = 8
MIN_IMAGE_SIZE = 16  # below this the smallest digit is under 8 pixels and may lose its strokes
CLASS_NAMES = ("background", "digit")
THRESHOLD = 0.5  # mask = 1 where the digit's blend weight is above this
SPLITS = ("train", "val")
PNG_OPTIONS = {"format": "PNG", "compress_level": 6, "optimize": False}

_RESAMPLING = getattr(Image, "Resampling", Image)  # Pillow >= 9.1 moved the constants


def _png_bytes(array, mode):
    """PNG bytes of a uint8 array with fixed encoder settings and no metadata."""
    img = Image.frombytes(mode, (array.shape[1], array.shape[0]), np.ascontiguousarray(array).tobytes())
    buf = io.BytesIO()
    img.save(buf, **PNG_OPTIONS)
    return buf.getvalue()


def _background(rng, size):
    """size x size x 3 float background: a coarse random dark colour field, bilinearly upscaled, plus pixel noise."""
    coarse = rng.uniform(10.0, 80.0, size=(5, 5, 3)).astype(np.float32)
    channels = [np.asarray(Image.frombytes("F", (5, 5), np.ascontiguousarray(coarse[:, :, c]).tobytes())
                           .resize((size, size), _RESAMPLING.BILINEAR)) for c in range(3)]
    return np.stack(channels, axis=-1).astype(np.float64) + rng.normal(0.0, 6.0, size=(size, size, 3))


def render(lite, pixels, index, size):
    """(RGB image, mask) uint8 arrays, size x size (x 3), of the digits sample ``index`` with grey levels ``pixels``.

    The generator is seeded with the sample's index only, so the sample looks the same whichever samples are picked.
    """
    rng = np.random.default_rng([SEED, int(index)])
    side = int(rng.integers(max(8, round(0.45 * size)), round(0.8 * size) + 1))
    x, y = (int(v) for v in rng.integers(0, size - side + 1, size=2))
    colour = rng.uniform(200.0, 255.0, size=3)
    background = _background(rng, size)
    # The digit upscaled as the classification set does it (bilinear, grey 0..255), as a blend weight 0..1.
    glyph = np.asarray(lite._digit_image(pixels, side).convert("L"), dtype=np.float64) / 255.0
    weight = np.zeros((size, size))
    weight[y:y + side, x:x + side] = glyph
    alpha = weight[:, :, None]
    image = np.clip(np.rint(background * (1.0 - alpha) + colour * alpha), 0, 255).astype(np.uint8)
    mask = (weight > THRESHOLD).astype(np.uint8)
    return image, mask


def _pick(pool, count, split, flag, error):
    if count and len(pool) < count:
        raise error(f"the digits data set has {len(pool)} samples in its {split} part but {flag} asks for {count}; "
                    f"lower {flag} (0 = all {len(pool)})")
    return pool[:count] if count else pool


def plan(lite, train_count, val_count):
    """({split: [digits index, ...]}, images 1797x8x8): the samples of each split, in data-set order."""
    images, _ = lite.load_digits_arrays("--task segmentation")
    every = lite.VAL_EVERY
    indices = list(range(len(images)))
    val_pool = indices[every - 1::every]
    train_pool = [i for i in indices if i % every != every - 1]
    picked = {"train": _pick(train_pool, train_count, "train", "--train-count", lite.LiteDataError),
              "val": _pick(val_pool, val_count, "val", "--val-count", lite.LiteDataError)}
    return picked, images


def file_names(count):
    """The <NNN>.png names of a split of ``count`` images: zero-padded so that name order is list order."""
    width = max(3, len(str(count - 1)))
    return [f"{n:0{width}d}.png" for n in range(count)]


def list_files(picked):
    """{file name: bytes} of the lists: <split>_list.txt per split and labels.txt."""
    out = {}
    for split in SPLITS:
        names = file_names(len(picked[split]))
        out[f"{split}_list.txt"] = "".join(f"{split}/{n} {split}_labels/{n}\n" for n in names).encode("utf-8")
    out["labels.txt"] = "".join(f"{i} {name}\n" for i, name in enumerate(CLASS_NAMES)).encode("utf-8")
    return out


def write_tarball(lite, output, root_name, picked, images, size):
    """Write images, masks and lists as a reproducible uncompressed tarball (the classification set's tar rules)."""
    dirs = [root_name] + [f"{root_name}/{split}{suffix}" for split in SPLITS for suffix in ("", "_labels")]
    files = []
    for split in SPLITS:
        for name, index in zip(file_names(len(picked[split])), picked[split]):
            image, mask = render(lite, images[index], index, size)
            files.append((f"{root_name}/{split}/{name}", _png_bytes(image, "RGB")))
            files.append((f"{root_name}/{split}_labels/{name}", _png_bytes(mask, "L")))
    files += [(f"{root_name}/{name}", data) for name, data in list_files(picked).items()]
    lite.write_tree(output, dirs, files)


def check_size(lite, size):
    if size < MIN_IMAGE_SIZE:
        raise lite.LiteDataError(f"--task segmentation needs --image-size {MIN_IMAGE_SIZE} or more (got {size})")


def write_demo_image(lite, path):
    """The segmentation inference demo image: the first val sample (val/000.png of every build) rendered at
    DEMO_SIZE x DEMO_SIZE, RGB; PNG when PATH ends in .png, else JPEG with the classification demo's settings.
    Returns the sample's digits index."""
    images, _ = lite.load_digits_arrays("--demo-image")
    index = lite.VAL_EVERY - 1
    image, _ = render(lite, images[index], index, lite.DEMO_SIZE)
    data = _png_bytes(image, "RGB")
    if not path.lower().endswith(".png"):
        data = lite._jpeg_bytes(Image.open(io.BytesIO(data)))
    lite._atomic_write(path, lambda f: f.write(data))
    return index
