"""The images an inference step reads (standard library only): the one reading of an image argument that the
after-step prediction check and the int8 step share."""
import os
import re

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


# A class label in a list file: a whole number written with ASCII digits (negative numbers included).
_CLASS_LABEL = re.compile(r"-?[0-9]+")


def read_label_list(path):
    """[(image path, class label or None)] of a suite list file, paths relative to the list's folder.

    Classification lists (PaddleClas, make_lite_data.py) have ``relative/path.jpg [label]`` lines: the second word is
    the class label when it is a whole number. Segmentation lists (PaddleSeg, ``make_lite_data.py --task
    segmentation``) have ``image_path label_path`` lines, whose second word is the path of a label image: a line
    whose second word is anything but a whole number has no class label (None), as has a line of one word. Only
    the first word is read as an image; a label image path that is a bare number (no folder, no extension) would
    be read as a class label, and the lists make_lite_data.py writes never hold one."""
    root, rows = os.path.dirname(path), []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            label = int(words[1]) if len(words) > 1 and _CLASS_LABEL.fullmatch(words[1]) else None
            rows.append((os.path.join(root, words[0]), label))
    return rows


def input_images(img_path):
    """The images inference reads from IMG_PATH: the image files below a folder (recursively, sorted), the entries
    of a list file (a .txt of ``relative/path [label]`` or ``image_path label_path`` lines: the first words), or
    the file itself."""
    if os.path.isdir(img_path):
        return sorted(os.path.join(d, f) for d, _, files in os.walk(img_path) for f in files
                      if f.lower().endswith(IMAGE_EXTENSIONS))
    if img_path.lower().endswith(".txt") and os.path.isfile(img_path):
        return [image for image, _ in read_label_list(img_path)]
    return [img_path]
