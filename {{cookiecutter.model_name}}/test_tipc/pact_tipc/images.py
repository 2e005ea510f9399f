"""The images an inference step reads (standard library only): the one reading of an image argument that the
after-step prediction check and the int8 step share."""
import os

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def read_label_list(path):
    """[(image path, label or None)] of a suite label list: ``relative/path.jpg [label]`` lines, paths relative to
    the list's folder."""
    root, rows = os.path.dirname(path), []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            label = int(words[1]) if len(words) > 1 and words[1].lstrip("-").isdigit() else None
            rows.append((os.path.join(root, words[0]), label))
    return rows


def input_images(img_path):
    """The images inference reads from IMG_PATH: the image files below a folder (recursively, sorted), the entries
    of a list file (a .txt of ``relative/path [label]`` lines), or the file itself."""
    if os.path.isdir(img_path):
        return sorted(os.path.join(d, f) for d, _, files in os.walk(img_path) for f in files
                      if f.lower().endswith(IMAGE_EXTENSIONS))
    if img_path.lower().endswith(".txt") and os.path.isfile(img_path):
        return [image for image, _ in read_label_list(img_path)]
    return [img_path]
