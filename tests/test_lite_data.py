"""test_tipc/make_lite_data.py: the lite_data tarball builder, run straight from the template."""
import io
import subprocess
import sys
import tarfile

import numpy as np
import pytest
from PIL import Image

from conftest import TEMPLATE_ROOT

SCRIPT = TEMPLATE_ROOT / "{{cookiecutter.model_name}}" / "test_tipc" / "make_lite_data.py"
DEMO_IMAGE = TEMPLATE_ROOT / "{{cookiecutter.model_name}}" / "images" / "demo.jpg"


def run(*args, cwd, python_code=None):
    """Run the script (or ``python -c python_code`` standing in for it) and return the CompletedProcess."""
    prefix = [sys.executable, "-c", python_code] if python_code else [sys.executable]
    return subprocess.run([*prefix, str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)


def members(tar_path):
    with tarfile.open(tar_path) as tar:
        return tar.getmembers()


def file_names(tar_path, split):
    """{class: [file name, ...]} of one split, in tarball order."""
    out = {}
    for m in members(tar_path):
        parts = m.name.split("/")
        if m.isfile() and parts[1] == split:
            out.setdefault(parts[2], []).append(parts[3])
    return out


def make_image(path, size=(40, 30), seed=0):
    """A small random RGB image; the format follows the file extension."""
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)


@pytest.fixture
def flat_source(tmp_path):
    """Flat layout: 5 classes (created out of sorted order) with 8 images each, mixed formats."""
    src = tmp_path / "flat src"
    for c, cls in enumerate(["n03", "n01", "n05", "n02", "n04"]):
        (src / cls).mkdir(parents=True)
        for i in (5, 3, 7, 1, 0, 6, 4, 2):
            make_image(src / cls / f"{cls}_{i}.{'png' if i % 2 else 'JPEG'}", seed=10 * c + i)
    (src / "n01" / ".DS_Store").write_bytes(b"not an image, but hidden")
    (src / "labels.txt").write_text("a top-level file, not a class\n")
    return src


@pytest.fixture
def split_source(tmp_path):
    """Split layout: train/ and val/ with 4 classes, 5 images each."""
    src = tmp_path / "split_src"
    for split in ("train", "val"):
        for c, cls in enumerate(["dog", "cat", "owl", "bee"]):
            (src / split / cls).mkdir(parents=True)
            for i in range(5):
                make_image(src / split / cls / f"{split}_{cls}_{4 - i}.jpg", size=(30, 50), seed=c * 10 + i)
    return src


def test_default_digits_tarball_layout(tmp_path):
    result = run(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    tar_path = tmp_path / "test_images" / "lite_data.tar"
    assert tar_path.is_file()
    assert tar_path.stat().st_size < 20 * 1024 * 1024
    assert "test_images/lite_data.tar" in result.stdout and "train 16" in result.stdout and "val 16" in result.stdout

    ms = members(tar_path)
    dirs = {m.name for m in ms if m.isdir()}
    assert {"lite_data", "lite_data/train", "lite_data/val"} <= dirs
    for split in ("train", "val"):
        classes = file_names(tar_path, split)
        assert sorted(classes) == ["0", "1", "2", "3"]
        assert all(len(names) == 4 for names in classes.values())
        assert {f"lite_data/{split}/{c}" for c in classes} <= dirs
    files = [m for m in ms if m.isfile() and not m.name.endswith(".txt")]
    lists = sorted(m.name for m in ms if m.isfile() and m.name.endswith(".txt"))
    assert lists == ["lite_data/labels.txt", "lite_data/train_list.txt", "lite_data/val_list.txt"]
    assert len(files) == 32
    assert all(m.name.startswith(("lite_data/train/", "lite_data/val/")) and m.name.endswith(".jpg") for m in files)
    with tarfile.open(tar_path) as tar:
        for m in files:
            img = Image.open(io.BytesIO(tar.extractfile(m).read()))
            assert img.format == "JPEG" and img.mode == "RGB" and img.size == (64, 64)
            img.load()
    # Reproducible metadata: fixed mtime, root ids, no names, fixed modes.
    for m in ms:
        assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "")
        assert m.mode == (0o755 if m.isdir() else 0o644)
    # train and val hold different digits images
    train = {n for ns in file_names(tar_path, "train").values() for n in ns}
    val = {n for ns in file_names(tar_path, "val").values() for n in ns}
    assert not train & val


def test_two_runs_are_byte_identical_in_different_directories(tmp_path):
    outputs = []
    for name in ("first", "second dir"):
        cwd = tmp_path / name
        cwd.mkdir()
        result = run(cwd=cwd)
        assert result.returncode == 0, result.stderr
        outputs.append((cwd / "test_images" / "lite_data.tar").read_bytes())
    again = run("--output", str(tmp_path / "again.tar"), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    outputs.append((tmp_path / "again.tar").read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert not [p for p in tmp_path.rglob("*.part")], "temporary file left behind"


def test_different_num_classes_gives_a_different_tarball(tmp_path):
    assert run("--output", "a.tar", cwd=tmp_path).returncode == 0
    result = run("--num-classes", "2", "--output", "b.tar", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "a.tar").read_bytes() != (tmp_path / "b.tar").read_bytes()
    assert sorted(file_names(tmp_path / "b.tar", "train")) == ["0", "1"]


def test_digits_all_splits_every_class(tmp_path):
    result = run("--num-classes", "0", "--train-per-class", "0", "--val-per-class", "0",
                 "--image-size", "8", "--root-name", "digits", "--output", "out/full.tar", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    tar_path = tmp_path / "out" / "full.tar"
    train, val = file_names(tar_path, "train"), file_names(tar_path, "val")
    assert sorted(train) == sorted(val) == [str(d) for d in range(10)]
    n_train = sum(map(len, train.values()))
    n_val = sum(map(len, val.values()))
    assert n_train + n_val == 1797  # every digits image, once
    assert 0.15 < n_val / (n_train + n_val) < 0.25  # every 5th image goes to val
    assert all(m.name.split("/")[0] == "digits" for m in members(tar_path))


def test_flat_folder_picks_first_sorted_classes_and_files(tmp_path, flat_source):
    result = run("--source", str(flat_source), "--num-classes", "3", "--train-per-class", "2",
                 "--val-per-class", "3", "--image-size", "20", "--output", "flat.tar", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    train, val = file_names(tmp_path / "flat.tar", "train"), file_names(tmp_path / "flat.tar", "val")
    assert sorted(train) == sorted(val) == ["n01", "n02", "n03"]
    for cls in train:
        assert train[cls] == [f"{cls}_0.jpg", f"{cls}_1.jpg"]
        assert val[cls] == [f"{cls}_2.jpg", f"{cls}_3.jpg", f"{cls}_4.jpg"]
    with tarfile.open(tmp_path / "flat.tar") as tar:
        img = Image.open(tar.extractfile("lite_data/train/n01/n01_0.jpg"))
        assert img.mode == "RGB" and img.size == (27, 20)  # 40x30 source: short side 20, aspect kept
    again = run("--source", str(flat_source), "--num-classes", "3", "--train-per-class", "2",
                "--val-per-class", "3", "--image-size", "20", "--output", "flat2.tar", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "flat.tar").read_bytes() == (tmp_path / "flat2.tar").read_bytes()


def test_split_folder_picks_first_sorted_classes_and_files(tmp_path, split_source):
    result = run("--source", str(split_source), "--num-classes", "2", "--train-per-class", "3",
                 "--val-per-class", "2", "--output", "split.tar", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    train, val = file_names(tmp_path / "split.tar", "train"), file_names(tmp_path / "split.tar", "val")
    assert sorted(train) == sorted(val) == ["bee", "cat"]
    for cls in train:
        assert train[cls] == [f"train_{cls}_{i}.jpg" for i in range(3)]
        assert val[cls] == [f"val_{cls}_{i}.jpg" for i in range(2)]
    with tarfile.open(tmp_path / "split.tar") as tar:
        img = Image.open(tar.extractfile("lite_data/val/cat/val_cat_0.jpg"))
        assert img.size == (64, 107)  # 30x50 source: short side 64


def test_missing_source_folder_fails(tmp_path):
    result = run("--source", str(tmp_path / "no_such_dir"), "--output", "x.tar", cwd=tmp_path)
    assert result.returncode == 2
    assert "no_such_dir" in result.stderr and "not found" in result.stderr
    assert not (tmp_path / "x.tar").exists()


def test_too_few_classes_fails(tmp_path, flat_source):
    result = run("--source", str(flat_source), "--num-classes", "6", "--output", "x.tar", cwd=tmp_path)
    assert result.returncode == 2
    assert "5 class folder" in result.stderr and "--num-classes" in result.stderr


def test_class_with_too_few_images_names_the_class(tmp_path, flat_source):
    for p in sorted((flat_source / "n02").iterdir())[3:]:
        p.unlink()
    result = run("--source", str(flat_source), "--output", "x.tar", cwd=tmp_path)
    assert result.returncode == 2
    assert "n02" in result.stderr and "3 images" in result.stderr
    assert not (tmp_path / "x.tar").exists()


def test_split_class_with_too_few_images_names_the_class(tmp_path, split_source):
    result = run("--source", str(split_source), "--val-per-class", "6", "--output", "x.tar", cwd=tmp_path)
    assert result.returncode == 2
    assert "bee" in result.stderr and "--val-per-class" in result.stderr


def test_non_image_file_is_named_and_no_tarball_is_left(tmp_path, flat_source):
    bad = flat_source / "n01" / "n01_0.JPEG"
    bad.write_text("this is not a JPEG")
    out = tmp_path / "out"
    result = run("--source", str(flat_source), "--output", str(out / "x.tar"), cwd=tmp_path)
    assert result.returncode == 2
    assert str(bad) in result.stderr
    assert not (out / "x.tar").exists()
    assert not list(out.iterdir()), "temporary file left behind"


def test_non_image_file_does_not_replace_an_existing_tarball(tmp_path, flat_source):
    assert run("--source", str(flat_source), "--output", "x.tar", cwd=tmp_path).returncode == 0
    before = (tmp_path / "x.tar").read_bytes()
    (flat_source / "n03" / "n03_1.png").write_bytes(b"\x89PNG truncated")
    result = run("--source", str(flat_source), "--output", "x.tar", cwd=tmp_path)
    assert result.returncode == 2 and "n03_1.png" in result.stderr
    assert (tmp_path / "x.tar").read_bytes() == before


def test_missing_scikit_learn_gives_an_install_hint(tmp_path):
    block_sklearn = ("import runpy, sys; sys.modules['sklearn'] = None; sys.argv = sys.argv[1:]; "
                     "runpy.run_path(sys.argv[0], run_name='__main__')")
    result = run("--output", "x.tar", cwd=tmp_path, python_code=block_sklearn)
    assert result.returncode == 2
    assert "pip install scikit-learn" in result.stderr


def test_bad_arguments_exit_2(tmp_path):
    assert run("--train-per-class", "-1", cwd=tmp_path).returncode == 2
    assert run("--image-size", "0", cwd=tmp_path).returncode == 2
    result = run("--root-name", "../evil", cwd=tmp_path)
    assert result.returncode == 2 and "--root-name" in result.stderr


def test_demo_image_option_writes_224_jpeg(tmp_path):
    result = run("--demo-image", "imgs/demo.jpg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    img = Image.open(tmp_path / "imgs" / "demo.jpg")
    assert img.format == "JPEG" and img.mode == "RGB" and img.size == (224, 224)
    assert not (tmp_path / "test_images").exists()  # demo mode writes no tarball


def test_shipped_demo_image_is_an_rgb_jpeg_the_script_regenerates(tmp_path):
    img = Image.open(DEMO_IMAGE)
    assert img.format == "JPEG" and img.mode == "RGB" and img.size == (224, 224)
    img.load()
    assert run("--demo-image", "demo.jpg", cwd=tmp_path).returncode == 0
    regenerated = Image.open(tmp_path / "demo.jpg").convert("L")
    # Pixel-level comparison (not bytes): a different libjpeg build may encode slightly differently.
    diff = np.abs(np.asarray(img.convert("L"), dtype=int) - np.asarray(regenerated, dtype=int))
    assert diff.max() <= 8


def test_digits_read_directly_match_load_digits(monkeypatch):
    """The fast path (reading scikit-learn's digits CSV) and the load_digits() fallback agree."""
    import importlib.util

    from sklearn.datasets import load_digits

    spec = importlib.util.spec_from_file_location("make_lite_data", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    images, target = mod.load_digits_arrays("test")
    reference = load_digits()
    assert np.array_equal(images, reference.images) and np.array_equal(target, reference.target)
    monkeypatch.setattr(mod.os.path, "isfile", lambda path: False)  # CSV "not found": fallback path
    images2, target2 = mod.load_digits_arrays("test")
    assert np.array_equal(images2, reference.images) and np.array_equal(target2, reference.target)


# --------------------------------------------------------------------------- segmentation (--task segmentation)

IMAGES_MODULE = TEMPLATE_ROOT / "{{cookiecutter.model_name}}" / "test_tipc" / "pact_tipc" / "images.py"
SEG_SPLIT_DIRS = ("train", "train_labels", "val", "val_labels")


def load_images_module():
    """pact_tipc/images.py of the template (standard library only), imported by its path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("template_images_for_lite_data", IMAGES_MODULE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build_segmentation(tmp_path, *args, output="seg.tar"):
    result = run("--task", "segmentation", "--output", output, *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / output, result


def extract(tar_path, dest):
    with tarfile.open(tar_path) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - Python without extraction filters
            tar.extractall(dest)
    return dest


def seg_files(tar_path, folder):
    """[file name] of <root>/<folder>/, in tarball order."""
    return [m.name.split("/")[2] for m in members(tar_path) if m.isfile() and m.name.split("/")[1] == folder]


def png_arrays(tar_path, root, folder):
    """{file name: (PIL format, mode, size, array)} of the PNGs in <root>/<folder>/."""
    out = {}
    with tarfile.open(tar_path) as tar:
        for name in seg_files(tar_path, folder):
            img = Image.open(io.BytesIO(tar.extractfile(f"{root}/{folder}/{name}").read()))
            out[name] = (img.format, img.mode, img.size, np.asarray(img))
    return out


def test_segmentation_tarball_layout(tmp_path):
    tar_path, result = build_segmentation(tmp_path)
    assert "train 32 images" in result.stdout and "val 8 images" in result.stdout
    ms = members(tar_path)
    dirs = sorted(m.name for m in ms if m.isdir())
    assert dirs == ["lite_data"] + [f"lite_data/{d}" for d in SEG_SPLIT_DIRS]
    assert all(m.isdir() or m.isfile() for m in ms)
    top_files = sorted(m.name for m in ms if m.isfile() and m.name.count("/") == 1)
    assert top_files == ["lite_data/labels.txt", "lite_data/train_list.txt", "lite_data/val_list.txt"]
    for split, count in (("train", 32), ("val", 8)):
        names = [f"{i:03d}.png" for i in range(count)]
        assert seg_files(tar_path, split) == names
        assert seg_files(tar_path, f"{split}_labels") == names
    # Reproducible metadata, as the classification tarball has.
    for m in ms:
        assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "")
        assert m.mode == (0o755 if m.isdir() else 0o644)
    with tarfile.open(tar_path) as tar:
        assert tar.extractfile("lite_data/labels.txt").read() == b"0 background\n1 digit\n"
        for split, count in (("train", 32), ("val", 8)):
            text = tar.extractfile(f"lite_data/{split}_list.txt").read().decode("utf-8")
            assert text == "".join(f"{split}/{i:03d}.png {split}_labels/{i:03d}.png\n" for i in range(count))


def test_segmentation_images_and_masks(tmp_path):
    tar_path, _ = build_segmentation(tmp_path)
    for split in ("train", "val"):
        images = png_arrays(tar_path, "lite_data", split)
        masks = png_arrays(tar_path, "lite_data", f"{split}_labels")
        assert sorted(images) == sorted(masks)
        for name, (fmt, mode, size, array) in images.items():
            assert (fmt, mode, size, array.shape) == ("PNG", "RGB", (64, 64), (64, 64, 3))
            mfmt, mmode, msize, mask = masks[name]
            assert (mfmt, mmode, msize, mask.shape) == ("PNG", "L", (64, 64), (64, 64))
            assert set(np.unique(mask).tolist()) == {0, 1}, f"{split}/{name}: mask values {np.unique(mask)}"
        # Masks differ from sample to sample (the digit's shape, size and place vary).
        distinct = {masks[name][3].tobytes() for name in masks}
        assert len(distinct) == len(masks)


def test_segmentation_list_lines_resolve_to_files(tmp_path):
    tar_path, _ = build_segmentation(tmp_path)
    root = extract(tar_path, tmp_path / "out") / "lite_data"
    for split in ("train", "val"):
        lines = (root / f"{split}_list.txt").read_bytes().decode("utf-8").split("\n")
        assert lines[-1] == "" and "\r" not in "".join(lines)
        for line in lines[:-1]:
            image, label = line.split(" ")  # exactly one space, as paddleseg.datasets.Dataset splits
            assert image.startswith(f"{split}/") and label.startswith(f"{split}_labels/")
            assert (root / image).is_file() and (root / label).is_file()
            assert Image.open(root / image).size == Image.open(root / label).size


def test_segmentation_is_learnable_from_brightness(tmp_path):
    """The digit is bright on a dark background: brightness alone must already give nearly every mask pixel."""
    tar_path, _ = build_segmentation(tmp_path)
    images = png_arrays(tar_path, "lite_data", "val")
    masks = png_arrays(tar_path, "lite_data", "val_labels")
    for name, (_, _, _, image) in images.items():
        mask = masks[name][3]
        bright = image.astype(float).mean(axis=-1) > 140
        assert (bright == (mask == 1)).mean() > 0.95, name
        assert 0.02 < mask.mean() < 0.4, name  # the digit is neither a speck nor the whole image
        # A textured, noisy background, not a flat colour: its pixels vary, also from one pixel to the next.
        assert image[mask == 0].std(axis=0).min() > 3, name
        step = np.abs(np.diff(image.astype(float), axis=1))[(mask[:, 1:] == 0) & (mask[:, :-1] == 0)]
        assert step.mean() > 4, name


def test_segmentation_builds_are_byte_identical(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second dir"
    first.mkdir()
    second.mkdir()
    a, _ = build_segmentation(first)
    b, _ = build_segmentation(second, output="other/x.tar")
    assert a.read_bytes() == b.read_bytes()
    assert not [p for p in tmp_path.rglob("*.part")], "temporary file left behind"
    c, _ = build_segmentation(first, "--image-size", "32", output="small.tar")
    assert c.read_bytes() != a.read_bytes()
    assert {v[2] for v in png_arrays(c, "lite_data", "train").values()} == {(32, 32)}


def test_segmentation_counts_and_whole_set(tmp_path):
    small, result = build_segmentation(tmp_path, "--train-count", "5", "--val-count", "3", "--root-name", "seg",
                                       output="small.tar")
    assert "train 5 images" in result.stdout and "val 3 images" in result.stdout
    assert seg_files(small, "train") == seg_files(small, "train_labels") == [f"{i:03d}.png" for i in range(5)]
    assert seg_files(small, "val_labels") == [f"{i:03d}.png" for i in range(3)]
    assert {m.name.split("/")[0] for m in members(small)} == {"seg"}

    # The whole set, called as prepare.sh builds whole_data: 0 = every digits sample, every 5th one in val.
    whole, _ = build_segmentation(tmp_path, "--train-count", "0", "--val-count", "0", "--root-name", "whole_data",
                                  output="whole.tar")
    train, val = seg_files(whole, "train"), seg_files(whole, "val")
    assert len(train) >= 256 and len(val) >= 64
    assert (len(train), len(val)) == (1438, 359)
    # Names are zero-padded per split to the width its last number needs (3 at least), so name order = list order.
    assert train == [f"{i:04d}.png" for i in range(1438)] and val == [f"{i:03d}.png" for i in range(359)]
    assert seg_files(whole, "train_labels") == train and seg_files(whole, "val_labels") == val
    with tarfile.open(whole) as tar:
        lines = tar.extractfile("whole_data/train_list.txt").read().decode().splitlines()
        assert lines[0] == "train/0000.png train_labels/0000.png" and len(lines) == 1438
        assert tar.extractfile("whole_data/val_list.txt").read().decode().count("\n") == 359
        whole_first = tar.extractfile("whole_data/val/000.png").read()
    # One count 0, the other not: the first samples of the other part.
    mixed, _ = build_segmentation(tmp_path, "--train-count", "0", "--val-count", "2", "--image-size", "16",
                                  output="mixed.tar")
    assert len(seg_files(mixed, "train")) == 1438 and len(seg_files(mixed, "val")) == 2
    # A sample looks the same in every set it is in: the lite set's first val image is the whole set's.
    with tarfile.open(small) as tar:
        assert tar.extractfile("seg/val/000.png").read() == whole_first


def test_segmentation_bad_options_exit_2(tmp_path):
    cases = [
        (("--task", "segmentation", "--train-count", "1439"), "--train-count"),
        (("--task", "segmentation", "--val-count", "360"), "--val-count"),
        (("--task", "segmentation", "--image-size", "15"), "--image-size"),
        (("--task", "segmentation", "--num-classes", "0"), "--num-classes"),
        (("--task", "segmentation", "--train-per-class", "0", "--val-per-class", "0"), "--train-per-class"),
        (("--task", "segmentation", "--source", str(tmp_path)), "--source"),
        (("--task", "segmentation", "--root-name", "a/b"), "--root-name"),
        (("--train-count", "3"), "--task segmentation"),
        (("--task", "keypoint"), "--task"),
    ]
    for args, expected in cases:
        result = run(*args, "--output", "x.tar", cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout)
        assert expected in result.stderr, (args, result.stderr)
    assert not (tmp_path / "x.tar").exists()


def test_segmentation_demo_image(tmp_path):
    for name, fmt in (("demo.png", "PNG"), ("demo.jpg", "JPEG")):
        result = run("--task", "segmentation", "--demo-image", f"imgs/{name}", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        img = Image.open(tmp_path / "imgs" / name)
        assert img.format == fmt and img.mode == "RGB" and img.size == (224, 224)
    assert not (tmp_path / "test_images").exists()  # demo mode writes no tarball
    # Not the classification demo (a grey digit on black): a coloured, textured background.
    png = np.asarray(Image.open(tmp_path / "imgs" / "demo.png"), dtype=float)
    assert png.std(axis=(0, 1)).min() > 10 and np.abs(png[..., 0] - png[..., 1]).max() > 10


def test_classification_build_is_unchanged(tmp_path):
    """--task classification is the default, and its tarball is the one earlier versions of the script wrote."""
    import hashlib

    default = run("--output", "a.tar", cwd=tmp_path)
    explicit = run("--task", "classification", "--output", "b.tar", cwd=tmp_path)
    assert default.returncode == explicit.returncode == 0, default.stderr + explicit.stderr
    assert (tmp_path / "a.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()
    # Names, types, modes and the label lists' bytes, pinned (the JPEG bytes depend on the libjpeg build).
    digest = hashlib.sha256()
    with tarfile.open(tmp_path / "a.tar") as tar:
        for m in tar.getmembers():
            digest.update(f"{m.name} {m.type} {m.mode:o}\n".encode())
            if m.name.endswith(".txt"):
                digest.update(tar.extractfile(m).read())
    assert digest.hexdigest() == "f0fc5247cee4217a69cb4238fbbb9e43ef01429017475ce2a2c761505b555595"


def test_read_label_list_gives_segmentation_lines_no_class_label(tmp_path):
    images = load_images_module()
    tar_path, _ = build_segmentation(tmp_path)
    root = extract(tar_path, tmp_path / "out") / "lite_data"
    rows = images.read_label_list(str(root / "val_list.txt"))
    assert [label for _, label in rows] == [None] * 8
    assert rows == [(str(root / "val" / f"{i:03d}.png"), None) for i in range(8)]
    # Inference reads the images of a segmentation list, never its label images.
    assert images.input_images(str(root / "val_list.txt")) == [image for image, _ in rows]


def test_read_label_list_class_labels(tmp_path):
    images = load_images_module()
    lst = tmp_path / "list.txt"
    lst.write_text("a.jpg 3\n\nb.jpg -1\nc.jpg\nd.jpg --3\ne.jpg \u00b2\nf.png labels/7.png\ng.png 7.png\n"
                   "h.jpg 12 extra\n", encoding="utf-8")
    rows = images.read_label_list(str(lst))
    assert rows == [(str(tmp_path / name), label) for name, label in
                    [("a.jpg", 3), ("b.jpg", -1), ("c.jpg", None), ("d.jpg", None), ("e.jpg", None),
                     ("f.png", None), ("g.png", None), ("h.jpg", 12)]]


def test_segmentation_build_is_unchanged(tmp_path):
    """Adding --task detection left the segmentation set alone: names, modes, lists and decoded pixels, pinned."""
    import hashlib

    for args, expected in (((), "dd7ed7f1be297a5d5d5f5d99fae5dd665638ab997ef318319c239c61280a3dbc"),
                           (("--train-count", "3", "--val-count", "2", "--image-size", "20"),
                            "20782e8d6f9dbce40bad0f43c56f304043042faf550fbe6bf3712b362397abfa")):
        tar_path, _ = build_segmentation(tmp_path, *args)
        digest = hashlib.sha256()
        with tarfile.open(tar_path) as tar:
            for m in tar.getmembers():
                digest.update(f"{m.name} {m.type} {m.mode:o}\n".encode())
                if m.isfile():
                    data = tar.extractfile(m).read()
                    if m.name.endswith(".png"):  # pixels, not bytes: another zlib may compress differently
                        img = Image.open(io.BytesIO(data))
                        digest.update(f"{img.mode} {img.size}\n".encode() + np.asarray(img).tobytes())
                    else:
                        digest.update(data)
        assert digest.hexdigest() == expected, args


# --------------------------------------------------------------------------- detection (--task detection)

DET_DIGITS = (0, 1, 2, 3)
DET_CYCLE = (2, 3, 1, 2)  # digits per image, image after image
BILINEAR = getattr(Image, "Resampling", Image).BILINEAR  # Pillow >= 9.1 moved the constants


def build_detection(tmp_path, *args, output="det.tar"):
    result = run("--task", "detection", "--output", output, *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / output, result


def det_json(tar_path, root, split):
    import json

    with tarfile.open(tar_path) as tar:
        return json.loads(tar.extractfile(f"{root}/annotations/instances_{split}.json").read().decode("ascii"))


def det_images(tar_path, root, split):
    """{file name: RGB array} of <root>/<split>/*.jpg."""
    out = {}
    with tarfile.open(tar_path) as tar:
        for name in seg_files(tar_path, split):
            img = Image.open(io.BytesIO(tar.extractfile(f"{root}/{split}/{name}").read()))
            assert (img.format, img.mode) == ("JPEG", "RGB"), name
            out[name] = np.asarray(img)
    return out


def expected_det_samples(split):
    """[[digits index, ...] per image] of a split, worked out here from the rules the docstring states: the samples
    of the digits 0-3 in data-set order, every 5th in val, dealt out 2, 3, 1, 2, ... per image."""
    from sklearn.datasets import load_digits

    target = load_digits().target
    pool = [i for i, t in enumerate(target) if t in DET_DIGITS]
    part = pool[4::5] if split == "val" else [x for n, x in enumerate(pool) if n % 5 != 4]
    images, start = [], 0
    while start < len(part):
        take = DET_CYCLE[len(images) % 4]
        images.append(part[start:start + take])
        start += take
    return images, target


def test_detection_tarball_layout(tmp_path):
    tar_path, result = build_detection(tmp_path)
    assert "train 16 images" in result.stdout and "val 8 images" in result.stdout
    ms = members(tar_path)
    assert all(m.isdir() or m.isfile() for m in ms)
    assert sorted(m.name for m in ms if m.isdir()) == [
        "lite_data", "lite_data/annotations", "lite_data/train", "lite_data/val"]
    assert sorted(m.name for m in ms if m.isfile() and not m.name.endswith(".jpg")) == [
        "lite_data/annotations/instances_train.json", "lite_data/annotations/instances_val.json",
        "lite_data/labels.txt"]
    for split, count in (("train", 16), ("val", 8)):
        assert seg_files(tar_path, split) == [f"{i:03d}.jpg" for i in range(count)]
        for name, array in det_images(tar_path, "lite_data", split).items():
            assert array.shape == (320, 320, 3), name
    # Tree order (each folder right before its contents) and the reproducible metadata of the other sets.
    assert [m.name for m in ms] == sorted((m.name for m in ms), key=lambda n: n.split("/"))
    for m in ms:
        assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "")
        assert m.mode == (0o755 if m.isdir() else 0o644)
    with tarfile.open(tar_path) as tar:
        assert tar.extractfile("lite_data/labels.txt").read() == b"0\n1\n2\n3\n"


def test_detection_coco_annotations_are_valid(tmp_path):
    tar_path, _ = build_detection(tmp_path)
    with tarfile.open(tar_path) as tar:
        label_names = tar.extractfile("lite_data/labels.txt").read().decode("ascii").splitlines()
    for split in ("train", "val"):
        coco = det_json(tar_path, "lite_data", split)
        assert {"images", "annotations", "categories", "info", "licenses"} <= set(coco)
        cats = coco["categories"]
        assert cats == [{"id": i + 1, "name": str(d), "supercategory": "digit"} for i, d in enumerate(DET_DIGITS)]
        assert [c["name"] for c in cats] == label_names  # the label list names the categories in id order
        files = seg_files(tar_path, split)
        images = {im["id"]: im for im in coco["images"]}
        assert len(images) == len(coco["images"]) and min(images) >= 1
        assert [im["file_name"] for im in coco["images"]] == files  # relative to the image_dir, one per file
        assert all((im["width"], im["height"]) == (320, 320) for im in coco["images"])
        per_image = {}
        ann_ids = [a["id"] for a in coco["annotations"]]
        assert len(set(ann_ids)) == len(ann_ids) and min(ann_ids) >= 1  # COCOeval reads id 0 as "no match"
        for a in coco["annotations"]:
            assert a["image_id"] in images, a
            assert a["category_id"] in {c["id"] for c in cats}, a
            x, y, w, h = a["bbox"]
            assert all(isinstance(v, int) for v in a["bbox"]), a
            assert w > 0 and h > 0 and x >= 0 and y >= 0, a
            assert x + w <= images[a["image_id"]]["width"] and y + h <= images[a["image_id"]]["height"], a
            assert a["area"] == w * h, a
            assert (a["iscrowd"], a["segmentation"]) == (0, []), a
            per_image.setdefault(a["image_id"], []).append(a["bbox"])
        assert set(per_image) == set(images)
        assert all(1 <= len(boxes) <= 3 for boxes in per_image.values())
        assert {len(boxes) for boxes in per_image.values()} == {1, 2, 3}
        for boxes in per_image.values():  # the digits of an image do not overlap
            for i, (x1, y1, w1, h1) in enumerate(boxes):
                for x2, y2, w2, h2 in boxes[i + 1:]:
                    assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1, boxes
        # Digits of very different sizes: 20% to 45% of the canvas, the box a bit smaller than the digit's square.
        sides = [max(a["bbox"][2:]) for a in coco["annotations"]]
        assert 0.1 * 320 <= min(sides) and max(sides) <= 0.45 * 320 and max(sides) - min(sides) > 0.1 * 320


def test_detection_boxes_are_tight_around_the_bright_digits(tmp_path):
    """Decoded images: within each box, the pixels brighter than halfway between the digit's colour and the
    background around it span the box (up to JPEG and rounding), and outside the boxes nothing is bright."""
    tar_path, _ = build_detection(tmp_path)
    for split in ("train", "val"):
        coco = det_json(tar_path, "lite_data", split)
        arrays = det_images(tar_path, "lite_data", split)
        for im in coco["images"]:
            grey = arrays[im["file_name"]].astype(float).mean(axis=-1)
            near_a_box = np.zeros(grey.shape, dtype=bool)
            for a in (a for a in coco["annotations"] if a["image_id"] == im["id"]):
                x, y, w, h = a["bbox"]
                m = 4
                x0, y0 = max(0, x - m), max(0, y - m)
                window = grey[y0:y + h + m, x0:x + w + m]
                ring = np.ones(window.shape, dtype=bool)
                ring[y - y0:y - y0 + h, x - x0:x - x0 + w] = False
                half = (np.percentile(grey[y:y + h, x:x + w], 98) + np.median(window[ring])) / 2
                rows, cols = np.nonzero(window > half)
                found = np.array([x0 + cols.min(), y0 + rows.min(), x0 + cols.max() + 1, y0 + rows.max() + 1])
                tolerance = max(2, 0.07 * max(w, h))
                assert np.abs(found - [x, y, x + w, y + h]).max() <= tolerance, (split, im["file_name"], a, found)
                near_a_box[max(0, y - m):y + h + m, max(0, x - m):x + w + m] = True
            background = arrays[im["file_name"]][~near_a_box].astype(float)
            assert (background.mean(axis=-1) > 140).sum() == 0, (split, im["file_name"])
            # High contrast on a dark, textured (not flat) background.
            assert background.mean() < 90 and background.std(axis=0).min() > 3, (split, im["file_name"])


def test_detection_boxes_are_exact(monkeypatch):
    """To the pixel: with the background blacked out (drawn all the same, so sizes and places do not change), each
    digit's square shows where it is, and its box must be the tight box of the square's pixels whose upscaled grey
    level (bilinear, as worked out here) is above half."""
    import importlib.util

    from tipc_checks import _harness_module

    spec = importlib.util.spec_from_file_location("make_lite_data_for_det", SCRIPT)
    lite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lite)
    det = _harness_module("det_data")
    background = det.seg_data._background
    monkeypatch.setattr(det.seg_data, "_background", lambda rng, size: background(rng, size) * 0.0)
    picked, images, _ = det.plan(lite, 12, 6)
    checked = 0
    for indices in picked["train"] + picked["val"]:
        glyphs = [images[i] for i in indices]
        for size in (320, 64, 101):
            _, boxes = det.render(lite, glyphs, indices, size)
            squares, _ = det.render(lite, [np.full((8, 8), 16.0)] * len(glyphs), indices, size)
            lit = squares.max(axis=-1) > 0
            cell = size // 2
            for pixels, (x, y, w, h) in zip(glyphs, boxes):
                cx, cy = x // cell * cell, y // cell * cell  # one digit per quarter: its square is the lit part
                rows, cols = np.nonzero(lit[cy:cy + cell, cx:cx + cell])
                sx, sy, side = cx + cols.min(), cy + rows.min(), cols.max() + 1 - cols.min()
                assert rows.max() + 1 - rows.min() == side, "not a square"
                grey = np.clip(np.rint(pixels * 255.0 / 16.0), 0, 255).astype(np.uint8)
                up = np.asarray(Image.fromarray(grey).resize((side, side), BILINEAR))
                r, c = np.nonzero(up > 127.5)
                expected = [sx + c.min(), sy + r.min(), c.max() + 1 - c.min(), r.max() + 1 - r.min()]
                assert [x, y, w, h] == [int(v) for v in expected], (indices, size)
                checked += 1
    assert checked == 3 * (24 + 13)  # 12 train images with 2, 3, 1, 2, ... digits, 6 val ones; 3 sizes


def test_detection_categories_and_selection_follow_the_digits(tmp_path):
    """Each box's category is the digit drawn there, and the images take the samples the docstring says."""
    tar_path, _ = build_detection(tmp_path, "--image-size", "64")
    for split, count in (("train", 16), ("val", 8)):
        samples, target = expected_det_samples(split)
        coco = det_json(tar_path, "lite_data", split)
        got = [[a["category_id"] for a in coco["annotations"] if a["image_id"] == im["id"]] for im in coco["images"]]
        assert got == [[int(target[i]) + 1 for i in image] for image in samples[:count]]


def test_detection_builds_are_byte_identical(tmp_path):
    import json

    first, second = tmp_path / "first", tmp_path / "second dir"
    first.mkdir()
    second.mkdir()
    a, _ = build_detection(first)
    b, _ = build_detection(second, output="other/x.tar")
    assert a.read_bytes() == b.read_bytes()
    assert not [p for p in tmp_path.rglob("*.part")], "temporary file left behind"
    # The JSON is compact, with sorted keys: no run-dependent text such as a date.
    with tarfile.open(a) as tar:
        text = tar.extractfile("lite_data/annotations/instances_val.json").read().decode("ascii")
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":")) + "\n"
    c, _ = build_detection(first, "--image-size", "96", output="small.tar")
    assert c.read_bytes() != a.read_bytes()
    assert {v.shape for v in det_images(c, "lite_data", "val").values()} == {(96, 96, 3)}


def test_detection_counts_and_whole_set(tmp_path):
    small, result = build_detection(tmp_path, "--train-count", "5", "--val-count", "3", "--root-name", "det",
                                    output="small.tar")
    assert "train 5 images" in result.stdout and "val 3 images" in result.stdout
    assert seg_files(small, "train") == [f"{i:03d}.jpg" for i in range(5)]
    assert seg_files(small, "val") == [f"{i:03d}.jpg" for i in range(3)]
    assert {m.name.split("/")[0] for m in members(small)} == {"det"}
    assert [im["id"] for im in det_json(small, "det", "train")["images"]] == [1, 2, 3, 4, 5]

    # The whole set, called as prepare.sh builds whole_data: 0 = every image the digits 0-3 fill, each sample once.
    whole, result = build_detection(tmp_path, "--train-count", "0", "--val-count", "0", "--root-name", "whole_data",
                                    output="whole.tar")
    assert whole.stat().st_size < 20 * 1024 * 1024
    assert "warning" not in result.stderr
    train, val = seg_files(whole, "train"), seg_files(whole, "val")
    assert len(train) >= 256 and len(val) >= 64
    assert (len(train), len(val)) == (288, 72)
    assert train == [f"{i:03d}.jpg" for i in range(288)] and val == [f"{i:03d}.jpg" for i in range(72)]
    for split, n_images, n_boxes in (("train", 288, 576), ("val", 72, 144)):
        coco = det_json(whole, "whole_data", split)
        assert len(coco["images"]) == n_images and len(coco["annotations"]) == n_boxes
        assert {a["category_id"] for a in coco["annotations"]} == {1, 2, 3, 4}
        samples, target = expected_det_samples(split)
        assert sum(map(len, samples)) == n_boxes  # every sample of the digits 0-3 of that part, once
    # An image looks the same in every set it is in: the small set's images are the whole set's first ones.
    with tarfile.open(whole) as big, tarfile.open(small) as little:
        for split, n in (("train", 5), ("val", 3)):
            for i in range(n):
                assert (little.extractfile(f"det/{split}/{i:03d}.jpg").read()
                        == big.extractfile(f"whole_data/{split}/{i:03d}.jpg").read())
    assert det_json(small, "det", "val")["annotations"] == det_json(whole, "whole_data", "val")["annotations"][:6]
    # One count 0, the other not.
    mixed, _ = build_detection(tmp_path, "--train-count", "2", "--val-count", "0", "--image-size", "64",
                               output="mixed.tar")
    assert len(seg_files(mixed, "train")) == 2 and len(seg_files(mixed, "val")) == 72


def test_detection_bad_options_exit_2(tmp_path):
    cases = [
        (("--train-count", "289"), "--train-count"),
        (("--val-count", "73"), "--val-count"),
        (("--image-size", "63"), "--image-size"),
        (("--image-size", "0"), "--image-size"),
        (("--train-count", "-1"), "--train-count"),
        (("--num-classes", "2"), "--num-classes"),
        (("--train-per-class", "0", "--val-per-class", "0"), "--train-per-class"),
        (("--source", str(tmp_path)), "--source"),
        (("--root-name", "a/b"), "--root-name"),
    ]
    for args, expected in cases:
        result = run("--task", "detection", *args, "--output", "x.tar", cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout)
        assert expected in result.stderr, (args, result.stderr)
    assert not (tmp_path / "x.tar").exists()


def test_detection_demo_image(tmp_path):
    for name, fmt in (("demo.png", "PNG"), ("demo.jpg", "JPEG")):
        result = run("--task", "detection", "--demo-image", f"imgs/{name}", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        img = Image.open(tmp_path / "imgs" / name)
        assert img.format == fmt and img.mode == "RGB" and img.size == (224, 224)
    assert not (tmp_path / "test_images").exists()  # demo mode writes no tarball
    # Like the val images: bright digits (the first val image has 2) on a dark coloured background.
    png = np.asarray(Image.open(tmp_path / "imgs" / "demo.png"), dtype=float)
    bright = png.mean(axis=-1) > 140
    assert 0.01 < bright.mean() < 0.3 and png[~bright].mean() < 90
    assert np.abs(png[..., 0] - png[..., 1]).max() > 10
