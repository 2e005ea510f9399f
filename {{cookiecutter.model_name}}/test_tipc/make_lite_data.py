"""Build the TIPC ``lite_data`` tarball: a tiny ImageFolder data set for the lite_train_lite_infer chain.

The tarball holds ``lite_data/train/<class>/<name>.jpg`` and ``lite_data/val/<class>/<name>.jpg``
(directories included as members), which is what ``train.py --data-path=./lite_data`` reads after
``tar -xf test_images/lite_data.tar``. ``test_tipc/prepare.sh`` runs this script when the tarball
is missing; run it by hand to rebuild it or to make one from your own images.

Label lists, for suite data sets that read an image root plus a list file (PaddleClas's ImageNetDataset:
``image_root`` + ``cls_label_path``; ``class_id_map_file``):
  lite_data/train_list.txt, lite_data/val_list.txt
      One line per image of that split, ``train/<class>/<name>.jpg <label>`` (path relative to
      ``lite_data``, one space, '\\n' line ends, UTF-8), in the tarball's order: classes in sorted order,
      then file names in sorted order -- the order paddle.vision's DatasetFolder/ImageFolder gives the
      samples. <label> is the class's index in the sorted list of class folders, the number those
      readers (and pact_cls/data.py) give it; train and val hold the same classes, so the numbers agree.
  lite_data/labels.txt
      ``<label> <class folder name>`` per class, in label order (the class_id_map_file format).
  A path with white space in it (a class folder or image name with a space) is written as it is, but a
  reader that splits lines on white space cannot parse it; the script warns when that happens.
  A lite_data.tar built by an older version of this script has no lists: delete it and rerun (or rerun
  prepare.sh, which rebuilds a missing tarball).

Sources
  --source digits (default, offline)
      The real 8x8 handwritten-digit images that scikit-learn ships (``sklearn.datasets.load_digits``),
      grey levels 0..16 scaled to 0..255, upscaled to --image-size with bilinear resampling, saved as
      RGB. Class folders are ``0``..``9``.
  --source PATH
      An ImageNet-style folder, either ``PATH/train/<class>/*`` + ``PATH/val/<class>/*`` or flat
      ``PATH/<class>/*`` (a PATH with a train/ or val/ sub-folder is read as the split layout and
      then needs both). Images are converted to RGB (EXIF orientation applied) and resized with
      bicubic resampling so that the SHORT side is --image-size, keeping the aspect ratio (no crop:
      the training and eval transforms crop). File names keep their stem and get ``.jpg``.

Selection (as the PaddlePaddle TIPC guide's prepare.py does: first images of the first classes)
  The first --num-classes class folders in sorted order, and per class the first images in sorted
  file-name order (digits: dataset order). With the split layout, train images come from
  ``PATH/train/<class>`` and val images from ``PATH/val/<class>``. With the flat layout and with
  digits, each class's first --train-per-class images go to train and the next --val-per-class to
  val. A value of 0 means "all": all classes; and, when a per-class count is 0, each flat/digits class
  is split deterministically -- every 5th image (positions 4, 9, 14, ...) goes to val, the rest to
  train -- before the other count (if not 0) takes the first images of its part. Hidden files and
  folders (names starting with ".") are skipped; every other file picked must be a readable image.

The defaults (4 classes, 4 train + 4 val images per class, 64x64) give 16 train + 16 val images, a
tarball of a few tens of KB; the guide asks for 8-16 images per split and under 20 MB.

Same inputs -> byte-identical tarball (with the same Pillow/libjpeg build): plain uncompressed tar,
members (label lists included) in sorted order, mtime 0, uid/gid 0, no user/group names, modes
0644/0755, JPEG quality 90 with 4:4:4 chroma and no EXIF/ICC metadata. The tarball is written to a
temporary file beside the output and renamed into place, so an interrupted run never leaves a
half-written tarball.

Segmentation (--task segmentation; the default --task classification is everything above)
  A digits segmentation set in the layout PaddleSeg's ``paddleseg.datasets.Dataset`` reads (dataset_root
  ``lite_data``, train_path ``lite_data/train_list.txt``, val_path ``lite_data/val_list.txt``, num_classes 2):
    lite_data/train/<NNN>.png, lite_data/val/<NNN>.png    RGB images, --image-size S x S (default 64, at least 16)
    lite_data/train_labels/<NNN>.png, .../val_labels/...  masks, mode "L": 0 = background, 1 = digit
    lite_data/train_list.txt, lite_data/val_list.txt      ``train/000.png train_labels/000.png`` per image
    lite_data/labels.txt                                  ``0 background`` and ``1 digit``
  Each image is one digits sample, upscaled (bilinear) to a square at a per-sample size and offset, blended in
  bright on a dark noisy background; its mask is 1 where the digit's grey level is above half. Every 5th digits
  sample (positions 4, 9, 14, ...) is in the val part, the others in the train part; --train-count N and
  --val-count M take the first N and M of those parts, 0 = the whole part. The defaults, 32 train + 8 val, give a
  tarball of a few hundred KB; --train-count 0 --val-count 0 gives the whole set, 1438 train + 359 val.
  --source, --num-classes, --train-per-class and --val-per-class are classification options (an error here),
  --train-count and --val-count segmentation ones. With --demo-image, a 224x224 image like the val images.
  The code is in pact_tipc/seg_data.py; the reproducibility rules below hold for it too (PNG instead of JPEG).

Detection (--task detection)
  A digits detection set in COCO format, the layout PaddleDetection's ``COCODataSet`` reads (dataset_dir
  ``lite_data``, image_dir ``train`` / ``val``, anno_path ``annotations/instances_train.json`` / ``..._val.json``):
    lite_data/train/<NNN>.jpg, lite_data/val/<NNN>.jpg    RGB JPEG images, --image-size S x S (default 320, at least 64)
    lite_data/annotations/instances_train.json            COCO images, annotations (bbox [x, y, w, h] in pixels,
    lite_data/annotations/instances_val.json              area w*h, iscrowd 0) and categories: ids 1-4 = digits 0-3
    lite_data/labels.txt                                  the class names 0, 1, 2, 3, one a line (a label list)
  Each image holds 1 to 3 digits samples of the classes 0-3, bright, upscaled (bilinear) to 20%-45% of S, in
  separate quarters of a dark noisy background; a box is the tight box of the digit's pixels above half intensity.
  Every 5th sample of the digits 0-3 (720 samples) is in the val part, the others in the train part; the images of a
  split take the samples of its part in order, 2, 3, 1, 2, ... per image, each sample once: 288 train and 72 val
  images in all. --train-count N and --val-count M take the first N and M images, 0 = all of them; the defaults,
  16 train + 8 val, give a tarball of about 0.9 MB, --train-count 0 --val-count 0 one of about 13 MB. The options
  that are errors with --task segmentation are errors here too. With --demo-image, a 224x224 image like val/000.jpg.
  The code is in pact_tipc/det_data.py; the reproducibility rules below hold for it too (the JSON with sorted keys
  and fixed separators).

Examples
  python test_tipc/make_lite_data.py                                   # digits -> test_images/lite_data.tar
  python test_tipc/make_lite_data.py --source /data/ILSVRC2012 --num-classes 8 --train-per-class 2 --val-per-class 2
  python test_tipc/make_lite_data.py --num-classes 0 --train-per-class 0 --val-per-class 0 \\
      --output test_images/digits_full.tar                             # the whole digits set (~1800 images)
  python test_tipc/make_lite_data.py --demo-image images/demo.jpg      # regenerate the inference demo image
  python test_tipc/make_lite_data.py --task segmentation               # digits masks -> test_images/lite_data.tar
  python test_tipc/make_lite_data.py --task segmentation --train-count 0 --val-count 0 \\
      --root-name whole_data --output test_images/whole_data.tar       # the whole segmentation set
  python test_tipc/make_lite_data.py --task detection                  # digits and COCO boxes, 16 + 8 images

Exit status: 0 on success, 2 for bad arguments or inputs (the message says what to change),
1 when the output cannot be written.
"""
import argparse
import io
import os
import sys
import tarfile
import tempfile

try:
    from PIL import Image, ImageOps
except ImportError:  # pragma: no cover - exercised only without Pillow
    sys.exit("make_lite_data.py: error: Pillow is not installed; run `pip install pillow`")

PROG = "make_lite_data.py"
DIGITS = "digits"
CLASSIFICATION, SEGMENTATION, DETECTION = "classification", "segmentation", "detection"
CLASSIFICATION_ONLY = ("source", "num_classes", "train_per_class", "val_per_class")
SEGMENTATION_ONLY = ("train_count", "val_count")  # the options of the count-based sets, segmentation and detection
DEFAULT_IMAGE_SIZE = 64  # of the classification and segmentation sets; the detection set's is 320
DEFAULT_OUTPUT = os.path.join("test_images", "lite_data.tar")
VAL_EVERY = 5  # with a count of 0 ("all"), every 5th image of a class goes to val
JPEG_OPTIONS = {"format": "JPEG", "quality": 90, "subsampling": 0, "optimize": False, "progressive": False}
FIXED_MTIME = 0
DEMO_SIZE = 224
DEMO_DIGIT = 0  # the demo image is the first val-part image of this digit

_RESAMPLING = getattr(Image, "Resampling", Image)  # Pillow >= 9.1 moved the constants
DIGITS_RESAMPLE = _RESAMPLING.BILINEAR
FOLDER_RESAMPLE = _RESAMPLING.BICUBIC


class LiteDataError(Exception):
    """Bad arguments or inputs: the message says what to change."""


# --------------------------------------------------------------------------- images

def _jpeg_bytes(img):
    """JPEG bytes of an RGB image with fixed encoder settings and no metadata at all."""
    # A fresh image drops whatever img.info carried over (exif, icc_profile, dpi, comments).
    clean = Image.frombytes("RGB", img.size, img.convert("RGB").tobytes())
    buf = io.BytesIO()
    clean.save(buf, **JPEG_OPTIONS)
    return buf.getvalue()


def _digit_image(pixels, size):
    """An RGB size x size image of one 8x8 digits array (grey levels 0..16)."""
    import numpy as np

    grey = np.clip(np.rint(np.asarray(pixels, dtype=np.float64) * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    img = Image.frombytes("L", (grey.shape[1], grey.shape[0]), grey.tobytes())
    return img.resize((size, size), DIGITS_RESAMPLE).convert("RGB")


def _short_side_size(width, height, short):
    """(w, h) with the short side equal to ``short`` and the aspect ratio kept (long side rounded)."""
    if width <= height:
        return short, max(1, round(height * short / width))
    return max(1, round(width * short / height)), short


def _folder_image(path, size):
    """A user image, upright, RGB, short side resized to ``size``; errors name the file."""
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            img = img.convert("RGB")
            return img.resize(_short_side_size(img.width, img.height, size), FOLDER_RESAMPLE)
    except Exception as exc:  # Pillow raises several types for bad files; all mean the same here
        raise LiteDataError(
            f"cannot read image {path!r} ({type(exc).__name__}: {exc}); "
            "remove it from the source folder or replace it with a valid image") from None


# --------------------------------------------------------------------------- selection

def _split_pool(items, n_train, n_val, where):
    """Split one class's ordered items into (train, val): first n_train, next n_val; 0 = "all"."""
    if n_train and n_val:
        need = n_train + n_val
        if len(items) < need:
            raise LiteDataError(
                f"{where} has {len(items)} images but {need} are needed "
                f"({n_train} train + {n_val} val); lower --train-per-class/--val-per-class "
                "or add images to that folder")
        return items[:n_train], items[n_train:need]
    val_pool = items[VAL_EVERY - 1::VAL_EVERY]
    train_pool = [x for i, x in enumerate(items) if i % VAL_EVERY != VAL_EVERY - 1]
    parts = []
    for split, pool, n, flag in (("train", train_pool, n_train, "--train-per-class"),
                                 ("val", val_pool, n_val, "--val-per-class")):
        if n and len(pool) < n:
            raise LiteDataError(
                f"{where} has {len(pool)} images in its {split} part (every {VAL_EVERY}th image goes to val "
                f"when a count is 0) but {flag} asks for {n}; lower {flag} or add images to that folder")
        picked = pool[:n] if n else pool
        if not picked:
            raise LiteDataError(
                f"{where} has {len(items)} images, too few to give the {split} split any "
                f"(every {VAL_EVERY}th image goes to val when a count is 0); add images to that folder")
        parts.append(picked)
    return parts[0], parts[1]


def _take_classes(classes, k, where, noun="class folder(s)"):
    if k and len(classes) < k:
        raise LiteDataError(
            f"{where} has {len(classes)} {noun} but --num-classes asks for {k}; "
            "lower --num-classes (0 = all)" + (" or add class folders" if noun == "class folder(s)" else ""))
    return classes[:k] if k else classes


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        raise LiteDataError(f"cannot list {path!r}: {exc.strerror or exc}") from None


def _subdirs(path):
    return [n for n in _listdir(path) if not n.startswith(".") and os.path.isdir(os.path.join(path, n))]


def _files(path):
    return [n for n in _listdir(path) if not n.startswith(".") and os.path.isfile(os.path.join(path, n))]


def _take_files(folder, n, split):
    names = _files(folder)
    if not names:
        raise LiteDataError(f"class folder {folder!r} holds no files; add images or remove the folder")
    if n and len(names) < n:
        flag = "--train-per-class" if split == "train" else "--val-per-class"
        raise LiteDataError(
            f"class folder {folder!r} has {len(names)} images but {flag} asks for {n}; "
            f"lower {flag} or add images to that folder")
    return names[:n] if n else names


def _jpg_name(name, used):
    """``stem.jpg``, made unique within one class folder of the tarball."""
    stem = os.path.splitext(name)[0] or name
    candidates = [stem + ".jpg", name.replace(".", "_") + ".jpg"]
    candidates += [f"{stem}_{i}.jpg" for i in range(1, len(used) + 2)]
    for candidate in candidates:
        if candidate not in used:
            used.add(candidate)
            return candidate
    raise AssertionError("unreachable")  # len(used) + 1 numbered candidates cannot all be taken


def load_digits_arrays(needed_by):
    """(images 1797x8x8 float, target 1797 int): scikit-learn's digits, exactly as load_digits() gives them.

    Importing sklearn.datasets takes seconds (it pulls in scipy), more than building the tarball, so
    the CSV file that load_digits() parses is read directly when it is where scikit-learn keeps it;
    otherwise load_digits() itself is used.
    """
    import importlib.util

    import numpy as np

    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise LiteDataError(
            f"{needed_by} needs scikit-learn (it ships the digits images, no download): "
            "run `pip install scikit-learn`" + (", or pass --source PATH to an ImageNet-style folder"
                                               if needed_by == "--source digits" else ""))
    for location in spec.submodule_search_locations or []:
        csv_path = os.path.join(location, "datasets", "data", "digits.csv.gz")
        if os.path.isfile(csv_path):
            data = np.loadtxt(csv_path, delimiter=",")
            return data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(int)
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images, digits.target


def plan_digits(args):
    """(classes, {split: [(class, file name, producer)]}) for the scikit-learn digits images."""
    images, target = load_digits_arrays("--source digits")
    classes = _take_classes([str(c) for c in range(10)], args.num_classes, "the digits data set", "classes (0-9)")
    plan = {"train": [], "val": []}
    for cls in classes:
        indices = [i for i, t in enumerate(target) if int(t) == int(cls)]
        train, val = _split_pool(indices, args.train_per_class, args.val_per_class, f"digits class {cls!r}")
        for split, picked in (("train", train), ("val", val)):
            for i in picked:
                pixels = images[i]
                plan[split].append((cls, f"{i:04d}.jpg",
                                    lambda p=pixels: _jpeg_bytes(_digit_image(p, args.image_size))))
    return classes, plan


def plan_folder(args):
    """(classes, {split: [(class, file name, producer)]}) for an ImageNet-style folder."""
    root = args.source
    if not os.path.isdir(root):
        raise LiteDataError(
            f"source folder {root!r} not found; pass --source PATH to an ImageNet-style folder "
            "(PATH/train/<class>/*, PATH/val/<class>/* or PATH/<class>/*) or --source digits")
    train_dir, val_dir = os.path.join(root, "train"), os.path.join(root, "val")
    split_layout = os.path.isdir(train_dir) or os.path.isdir(val_dir)
    if split_layout and not (os.path.isdir(train_dir) and os.path.isdir(val_dir)):
        have, missing = (train_dir, val_dir) if os.path.isdir(train_dir) else (val_dir, train_dir)
        raise LiteDataError(
            f"found {have!r} but not {missing!r}; give both train/ and val/ class folders, "
            "or use the flat layout PATH/<class>/*")
    plan = {"train": [], "val": []}
    if split_layout:
        classes = _take_classes(_subdirs(train_dir), args.num_classes, f"folder {train_dir!r}")
        if not classes:
            raise LiteDataError(f"no class folders in {train_dir!r}; expected {train_dir}/<class>/*")
        for cls in classes:
            if not os.path.isdir(os.path.join(val_dir, cls)):
                raise LiteDataError(
                    f"class {cls!r} is in {train_dir!r} but has no folder {os.path.join(val_dir, cls)!r}; "
                    "add it or remove the class")
            for split, base, n in (("train", train_dir, args.train_per_class), ("val", val_dir, args.val_per_class)):
                folder = os.path.join(base, cls)
                for name in _take_files(folder, n, split):
                    plan[split].append((cls, name, folder))
    else:
        classes = _take_classes(_subdirs(root), args.num_classes, f"source folder {root!r}")
        if not classes:
            raise LiteDataError(
                f"no class folders in {root!r}; expected PATH/train/<class>/*, PATH/val/<class>/* or PATH/<class>/*")
        for cls in classes:
            folder = os.path.join(root, cls)
            names = _files(folder)
            train, val = _split_pool(names, args.train_per_class, args.val_per_class, f"class folder {folder!r}")
            plan["train"] += [(cls, name, folder) for name in train]
            plan["val"] += [(cls, name, folder) for name in val]
    # Turn (class, source name, folder) into (class, tarball name, producer).
    for split, items in plan.items():
        used = {}
        resolved = []
        for cls, name, folder in items:
            path = os.path.join(folder, name)
            resolved.append((cls, _jpg_name(name, used.setdefault(cls, set())),
                             lambda p=path: _jpeg_bytes(_folder_image(p, args.image_size))))
        plan[split] = resolved
    return classes, plan


# --------------------------------------------------------------------------- writing

def _tarinfo(name, size=0, is_dir=False):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.mode = 0o755 if is_dir else 0o644
    info.size = 0 if is_dir else size
    info.mtime = FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _atomic_write(output, write):
    """Call write(fileobj) on a temp file beside ``output``, then rename it into place."""
    parent = os.path.dirname(os.path.abspath(output))
    os.makedirs(parent, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=parent, prefix="." + os.path.basename(output) + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual new-file mode
        os.replace(tmp, output)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _path_key(path):
    """Sort key: folder by folder, so a class's files follow each other as DatasetFolder lists them."""
    return path.split("/")


def label_files(classes, plan):
    """{file name: bytes} of the label lists: <split>_list.txt per split and labels.txt.

    A class's label is its index in the sorted class names, as DatasetFolder numbers its class folders.
    """
    names = sorted(classes)
    label = {cls: i for i, cls in enumerate(names)}
    out = {}
    for split, items in plan.items():
        rows = sorted(((f"{split}/{cls}/{name}", label[cls]) for cls, name, _ in items),
                      key=lambda row: _path_key(row[0]))
        out[f"{split}_list.txt"] = "".join(f"{path} {i}\n" for path, i in rows).encode("utf-8")
    out["labels.txt"] = "".join(f"{i} {cls}\n" for i, cls in enumerate(names)).encode("utf-8")
    return out


def paths_with_white_space(classes, plan):
    """The names in the label lists that a reader splitting lines on white space would misread."""
    names = [f"{split}/{cls}/{name}" for split, items in plan.items() for cls, name, _ in items] + list(classes)
    return [n for n in names if any(ch.isspace() for ch in n)]


def write_tarball(output, root_name, plan, classes):
    """Write the planned images and their label lists as a reproducible uncompressed tarball."""
    dirs = {root_name}
    files = []
    for split, items in plan.items():
        dirs.add(f"{root_name}/{split}")
        for cls, name, produce in items:
            dirs.add(f"{root_name}/{split}/{cls}")
            files.append((f"{root_name}/{split}/{cls}/{name}", produce))
    for name, data in label_files(classes, plan).items():
        files.append((f"{root_name}/{name}", data))
    write_tree(output, dirs, files)


def write_tree(output, dirs, files):
    """OUTPUT as a reproducible uncompressed tarball of the folders DIRS and the FILES (name, bytes, or a callable
    that makes them when the file is written, so large sets are not held in memory), in tree order: each folder
    right before its contents. Every task's builder writes its tarball with it."""
    entries = [(d, None) for d in dirs] + list(files)
    entries.sort(key=lambda e: _path_key(e[0]))

    def write(f):
        with tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8") as tar:
            for name, produce in entries:
                if produce is None:
                    tar.addfile(_tarinfo(name, is_dir=True))
                else:
                    data = produce() if callable(produce) else produce
                    tar.addfile(_tarinfo(name, size=len(data)), io.BytesIO(data))

    _atomic_write(output, write)


def write_demo_image(path):
    """The inference demo image: the first val-part digit DEMO_DIGIT, DEMO_SIZE x DEMO_SIZE RGB JPEG."""
    images, target = load_digits_arrays("--demo-image")
    indices = [i for i, t in enumerate(target) if int(t) == DEMO_DIGIT]
    index = indices[VAL_EVERY - 1]  # position 4 is in the val part under both split rules
    data = _jpeg_bytes(_digit_image(images[index], DEMO_SIZE))
    _atomic_write(path, lambda f: f.write(data))
    return index


# --------------------------------------------------------------------------- CLI

def _count(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; use 0 for 'all'")
    return value


def _size(text):
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError("the image size must be at least 1 pixel")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Build the TIPC lite_data tarball (ImageFolder train/val) from the scikit-learn "
                    "digits images or from an ImageNet-style folder, or a digits segmentation set for PaddleSeg "
                    "(--task segmentation) or detection set for PaddleDetection (--task detection). Same inputs "
                    "give a byte-identical tarball.",
        epilog="0 for --num-classes/--train-per-class/--val-per-class/--train-count/--val-count means 'all'. "
               "See the module docstring for the selection rules.")
    parser.add_argument("--task", choices=(CLASSIFICATION, SEGMENTATION, DETECTION), default=CLASSIFICATION,
                        help="classification (default): ImageFolder class folders; segmentation: images, masks "
                             "and PaddleSeg lists; detection: images and COCO box annotations for PaddleDetection "
                             "(see the module docstring)")
    src = parser.add_argument_group("source")
    src.add_argument("--source", default=DIGITS,
                     help="'digits' (default, offline: scikit-learn's handwritten digits) or PATH to a folder "
                          "PATH/train/<class>/* + PATH/val/<class>/*, or flat PATH/<class>/* "
                          "(for a folder named digits, pass ./digits)")
    src.add_argument("--num-classes", type=_count, default=4, metavar="K",
                     help="first K class folders in sorted order (default 4; 0 = all)")
    src.add_argument("--train-per-class", type=_count, default=4, metavar="N",
                     help="first N images per class for train (default 4; 0 = all)")
    src.add_argument("--val-per-class", type=_count, default=4, metavar="M",
                     help="first M images per class for val (default 4; 0 = all)")
    src.add_argument("--image-size", type=_size, metavar="S",
                     help="digits: S x S; folder images: short side S, aspect kept "
                          f"(default {DEFAULT_IMAGE_SIZE}; 320 with --task detection)")
    seg = parser.add_argument_group("segmentation and detection (--task segmentation, --task detection)")
    seg.add_argument("--train-count", type=_count, metavar="N",
                     help="first N samples (segmentation: default 32; 0 = all 1438) or images (detection: default 16; "
                          "0 = all 288) of the train part")
    seg.add_argument("--val-count", type=_count, metavar="M",
                     help="first M samples (segmentation: default 8; 0 = all 359) or images (detection: default 8; "
                          "0 = all 72) of the val part")
    out = parser.add_argument_group("output")
    out.add_argument("--output", default=DEFAULT_OUTPUT,
                     help=f"tarball to write, parent folders created (default {DEFAULT_OUTPUT})")
    out.add_argument("--root-name", default="lite_data",
                     help="top folder inside the tarball (default lite_data)")
    out.add_argument("--demo-image", metavar="PATH",
                     help=f"instead of the tarball, write the {DEMO_SIZE}x{DEMO_SIZE} inference demo image "
                          f"(a val-part digit {DEMO_DIGIT}) to PATH and exit")
    return parser


def _classes_text(classes):
    shown = ", ".join(classes[:10])
    return shown + (f", ... ({len(classes)} in all)" if len(classes) > 10 else "")


def _checked_root_name(root_name):
    if not root_name or root_name in (".", "..") or "/" in root_name or "\\" in root_name:
        raise LiteDataError(f"--root-name {root_name!r} must be a single folder name such as lite_data")
    return root_name


def _seg_data():
    """pact_tipc.seg_data, the segmentation builder, from the folder of this script."""
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)  # when run by path from elsewhere (runpy), the folder is not on sys.path
    from pact_tipc import seg_data

    return seg_data


def _det_data():
    """pact_tipc.det_data, the detection builder, from the folder of this script."""
    _seg_data()  # puts this folder on sys.path
    from pact_tipc import det_data

    return det_data


def _check_task_options(parser, args):
    """Options of the other task given a value of their own: an error, as they would be ignored."""
    wrong = SEGMENTATION_ONLY if args.task == CLASSIFICATION else CLASSIFICATION_ONLY
    given = [name for name in wrong if getattr(args, name) != parser.get_default(name)]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        hint = (f"use --train-count/--val-count (0 = all) for the {args.task} set"
                if args.task != CLASSIFICATION else "they need --task segmentation or --task detection")
        raise LiteDataError(f"{flags} not used with --task {args.task}; {hint}")


def _main_segmentation(args):
    """Build the segmentation tarball or demo image; the exit status."""
    seg_data = _seg_data()
    lite = sys.modules[__name__]
    if args.demo_image:
        index = seg_data.write_demo_image(lite, args.demo_image)
        size_kb = os.path.getsize(args.demo_image) / 1024
        print(f"wrote {args.demo_image}: segmentation demo (digits image #{index}), "
              f"{DEMO_SIZE}x{DEMO_SIZE} RGB, {size_kb:.1f} KB")
        return 0
    root_name = _checked_root_name(args.root_name)
    seg_data.check_size(lite, args.image_size)
    train_count = seg_data.DEFAULT_TRAIN_COUNT if args.train_count is None else args.train_count
    val_count = seg_data.DEFAULT_VAL_COUNT if args.val_count is None else args.val_count
    picked, images = seg_data.plan(lite, train_count, val_count)
    seg_data.write_tarball(lite, args.output, root_name, picked, images, args.image_size)
    size = os.path.getsize(args.output)
    print(f"wrote {args.output}: segmentation (background, digit), train {len(picked['train'])} images, "
          f"val {len(picked['val'])} images (each with a mask), {size / 1024:.1f} KB")
    return 0


def _main_detection(args):
    """Build the detection tarball or demo image; the exit status."""
    det_data = _det_data()
    lite = sys.modules[__name__]
    if args.demo_image:
        indices = det_data.write_demo_image(lite, args.demo_image)
        size_kb = os.path.getsize(args.demo_image) / 1024
        print(f"wrote {args.demo_image}: detection demo (digits images {', '.join(f'#{i}' for i in indices)}), "
              f"{DEMO_SIZE}x{DEMO_SIZE} RGB, {size_kb:.1f} KB")
        return 0
    root_name = _checked_root_name(args.root_name)
    size = det_data.DEFAULT_IMAGE_SIZE if args.image_size is None else args.image_size
    det_data.check_size(lite, size)
    train_count = det_data.DEFAULT_TRAIN_COUNT if args.train_count is None else args.train_count
    val_count = det_data.DEFAULT_VAL_COUNT if args.val_count is None else args.val_count
    picked, images, target = det_data.plan(lite, train_count, val_count)
    det_data.write_tarball(lite, args.output, root_name, picked, images, target, size)
    n_boxes = {split: sum(map(len, picked[split])) for split in picked}
    out_size = os.path.getsize(args.output)
    print(f"wrote {args.output}: detection (digits 0-3), train {len(picked['train'])} images "
          f"({n_boxes['train']} boxes), val {len(picked['val'])} images ({n_boxes['val']} boxes), "
          f"{out_size / 1024:.1f} KB")
    if out_size > 20 * 1024 * 1024:
        print(f"{PROG}: warning: {args.output} is over 20 MB, the guide's limit for lite_data; "
              "lower --train-count/--val-count or --image-size", file=sys.stderr)
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_task_options(parser, args)
        if args.task == DETECTION:
            return _main_detection(args)
        if args.image_size is None:
            args.image_size = DEFAULT_IMAGE_SIZE
        if args.task == SEGMENTATION:
            return _main_segmentation(args)
        if args.demo_image:
            if args.source != DIGITS:
                raise LiteDataError("--demo-image always uses the digits data; drop --source")
            index = write_demo_image(args.demo_image)
            size_kb = os.path.getsize(args.demo_image) / 1024
            print(f"wrote {args.demo_image}: digit {DEMO_DIGIT} (digits image #{index}), "
                  f"{DEMO_SIZE}x{DEMO_SIZE} RGB JPEG, {size_kb:.1f} KB")
            return 0
        root_name = _checked_root_name(args.root_name)
        classes, plan = plan_digits(args) if args.source == DIGITS else plan_folder(args)
        write_tarball(args.output, root_name, plan, classes)
    except LiteDataError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        target = args.demo_image or args.output
        print(f"{PROG}: error: cannot write {target!r}: {exc}", file=sys.stderr)
        return 1
    size = os.path.getsize(args.output)
    print(f"wrote {args.output}: {len(classes)} classes ({_classes_text(classes)}), "
          f"train {len(plan['train'])} images, val {len(plan['val'])} images, {size / 1024:.1f} KB")
    spaced = paths_with_white_space(classes, plan)
    if spaced:
        print(f"{PROG}: warning: {len(spaced)} path(s) in the label lists contain white space, e.g. {spaced[0]!r}; "
              "readers that split list lines on white space (such as PaddleClas's ImageNetDataset) cannot parse "
              "them: rename those class folders or images", file=sys.stderr)
    if size > 20 * 1024 * 1024:
        print(f"{PROG}: warning: {args.output} is over 20 MB, the guide's limit for lite_data; "
              "lower --num-classes, the per-class counts or --image-size", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
