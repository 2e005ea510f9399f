"""test_tipc/make_lite_data.py's label lists: <root>/train_list.txt, <root>/val_list.txt and <root>/labels.txt.

Suite data sets (PaddleClas's ImageNetDataset: image_root + cls_label_path) read ``relative/path.jpg label``
lines; the label of a class must be the number paddle.vision's DatasetFolder (which pact_cls/data.py uses) gives
its folder, i.e. its index in the sorted class folder names.
"""
import subprocess
import sys
import tarfile

import numpy as np
import pytest
from PIL import Image

from conftest import TEMPLATE_ROOT

SCRIPT = TEMPLATE_ROOT / "{{cookiecutter.model_name}}" / "test_tipc" / "make_lite_data.py"
SPLITS = ("train", "val")


def build(*args, cwd):
    """Run make_lite_data.py with ``args`` in ``cwd``; return the CompletedProcess (exit status checked)."""
    result = subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return result


def read_tar(tar_path, root="lite_data"):
    """({split: [image path relative to root, ...]}, {file name: bytes} of root's own files)."""
    images = {split: [] for split in SPLITS}
    top = {}
    with tarfile.open(tar_path) as tar:
        for m in tar.getmembers():
            if not m.isfile():
                continue
            parts = m.name.split("/")
            assert parts[0] == root, m.name
            if len(parts) == 2:
                top[parts[1]] = tar.extractfile(m).read()
            else:
                assert parts[1] in SPLITS and len(parts) == 4, m.name
                images[parts[1]].append("/".join(parts[1:]))
    return images, top


def parse_list(data):
    """[(path, label), ...] of a list file, after checking its bytes: UTF-8, '\\n' line ends, ``path label``."""
    text = data.decode("utf-8")
    assert "\r" not in text and text.endswith("\n") and "\n\n" not in text
    rows = []
    for line in text.splitlines():
        path, label = line.split(" ")
        rows.append((path, int(label)))
    return rows


def check_lists(tar_path, expected_classes, root="lite_data"):
    """Every image of the tarball is in its split's list exactly once, with its class's sorted index as label."""
    images, top = read_tar(tar_path, root)
    assert sorted(top) == ["labels.txt", "train_list.txt", "val_list.txt"]
    label = {cls: i for i, cls in enumerate(sorted(expected_classes))}
    assert top["labels.txt"].decode("utf-8") == "".join(f"{i} {cls}\n" for cls, i in label.items())
    lists = {}
    for split in SPLITS:
        rows = parse_list(top[f"{split}_list.txt"])
        paths = [path for path, _ in rows]
        assert len(paths) == len(set(paths)), f"{split}_list.txt names an image twice"
        assert sorted(paths) == sorted(images[split]), f"{split}_list.txt and the {split}/ images differ"
        for path, lab in rows:
            _, cls, _ = path.split("/")
            assert lab == label[cls], (split, path, lab)
        # Folder by folder: classes in sorted order, then file names in sorted order (DatasetFolder's order).
        assert paths == sorted(paths, key=lambda p: p.split("/"))
        assert {path.split("/")[1] for path in paths} == set(expected_classes)
        lists[split] = rows
    return lists, top


def make_image(path, seed):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(path)


@pytest.fixture
def awkward_source(tmp_path):
    """Flat layout whose class names sort differently as text, as numbers and as whole list lines:
    "10" < "9" as text, and "a" < "a-b" as folder names although "train/a-b/..." < "train/a/..." as lines."""
    src = tmp_path / "awkward src"
    for c, cls in enumerate(["9", "a-b", "10", "a", "B"]):
        (src / cls).mkdir(parents=True)
        for i in range(5):
            make_image(src / cls / f"img{i}.{'png' if i % 2 else 'JPEG'}", seed=10 * c + i)
    return src


def test_default_digits_lists(tmp_path):
    build(cwd=tmp_path)
    lists, top = check_lists(tmp_path / "test_images" / "lite_data.tar", ["0", "1", "2", "3"])
    assert len(lists["train"]) == len(lists["val"]) == 16
    assert top["labels.txt"] == b"0 0\n1 1\n2 2\n3 3\n"
    assert lists["val"][0][0].startswith("val/0/") and lists["val"][0][1] == 0


def test_lists_are_byte_identical_across_builds(tmp_path):
    tarballs, tops = [], []
    for name in ("one", "two dir"):
        cwd = tmp_path / name
        cwd.mkdir()
        build(cwd=cwd)
        tar_path = cwd / "test_images" / "lite_data.tar"
        tarballs.append(tar_path.read_bytes())
        tops.append(read_tar(tar_path)[1])
    assert tops[0] == tops[1]
    assert tarballs[0] == tarballs[1]


def test_whole_digits_lists_cover_every_image(tmp_path):
    build("--num-classes", "0", "--train-per-class", "0", "--val-per-class", "0", "--root-name", "whole_data",
          "--image-size", "8", "--output", "whole.tar", cwd=tmp_path)
    lists, _ = check_lists(tmp_path / "whole.tar", [str(d) for d in range(10)], root="whole_data")
    assert len(lists["train"]) + len(lists["val"]) == 1797


def test_folder_source_lists_and_determinism(tmp_path, awkward_source):
    args = ("--source", str(awkward_source), "--num-classes", "0", "--train-per-class", "3", "--val-per-class", "2",
            "--image-size", "16")
    build(*args, "--output", "a.tar", cwd=tmp_path)
    build(*args, "--output", "b.tar", cwd=tmp_path)
    assert (tmp_path / "a.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()
    lists, top = check_lists(tmp_path / "a.tar", ["9", "a-b", "10", "a", "B"])
    assert top["labels.txt"] == b"0 10\n1 9\n2 B\n3 a\n4 a-b\n"
    assert [path for path, _ in lists["train"]][9:] == ["train/a/img0.jpg", "train/a/img1.jpg", "train/a/img2.jpg",
                                                       "train/a-b/img0.jpg", "train/a-b/img1.jpg",
                                                       "train/a-b/img2.jpg"]


def test_split_source_lists(tmp_path):
    src = tmp_path / "split_src"
    for split in SPLITS:
        for c, cls in enumerate(["n02", "n01", "n03"]):
            (src / split / cls).mkdir(parents=True)
            for i in range(3):
                make_image(src / split / cls / f"{split}_{cls}_{i}.jpg", seed=c * 10 + i)
    build("--source", str(src), "--num-classes", "2", "--train-per-class", "2", "--val-per-class", "1",
          "--output", "split.tar", cwd=tmp_path)
    lists, _ = check_lists(tmp_path / "split.tar", ["n01", "n02"])
    assert lists["val"] == [("val/n01/val_n01_0.jpg", 0), ("val/n02/val_n02_0.jpg", 1)]


def test_labels_match_paddle_dataset_folder(tmp_path, awkward_source):
    """Extracted, the data set read by paddle.vision's DatasetFolder (as pact_cls/data.py reads it) gives every
    image the label and the position the list gives it."""
    datasets = pytest.importorskip("paddle.vision.datasets")
    build("--source", str(awkward_source), "--num-classes", "0", "--train-per-class", "2", "--val-per-class", "2",
          "--image-size", "16", "--output", "x.tar", cwd=tmp_path)
    lists, _ = check_lists(tmp_path / "x.tar", ["9", "a-b", "10", "a", "B"])
    with tarfile.open(tmp_path / "x.tar") as tar:
        tar.extractall(tmp_path / "out", **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    root = tmp_path / "out" / "lite_data"
    for split in SPLITS:
        folder = datasets.DatasetFolder(str(root / split), loader=lambda p: p, extensions=(".jpg",))
        seen = [(f"{split}/{p[len(str(root / split)) + 1:]}", lab) for p, lab in folder.samples]
        assert seen == lists[split]
        for path, _ in lists[split]:
            assert (root / path).is_file()


def test_white_space_in_a_path_is_warned_about(tmp_path):
    src = tmp_path / "src"
    for cls in ("my class", "other"):
        (src / cls).mkdir(parents=True)
        for i in range(2):
            make_image(src / cls / f"p{i}.png", seed=i)
    result = build("--source", str(src), "--train-per-class", "1", "--val-per-class", "1", "--num-classes", "0",
                   "--output", "x.tar", cwd=tmp_path)
    assert "white space" in result.stderr and "my class" in result.stderr
    _, top = read_tar(tmp_path / "x.tar")
    assert top["train_list.txt"] == b"train/my class/p0.jpg 0\ntrain/other/p0.jpg 1\n"
