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
