"""test_tipc/check_step.py: what the harness runs after each step (standard library only, no Paddle).

- outputs: a predictor that writes a result file per image (PaddleSeg's masks) wrote one for every input image,
  whether the image argument is a file, a folder or a list file;
- hint: a failed step's log that shows a known cause (Paddle 2.6's zlib crash) gets a hint naming the fix;
- metrics: the summary's line per evaluation log.
"""
import subprocess
import sys

import pytest

from conftest import TIPC_DIR


def check_step(*args):
    return subprocess.run([sys.executable, str(TIPC_DIR / "check_step.py"), *map(str, args)], capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "val"
    folder.mkdir()
    for name in ("a.png", "b.png", "c.jpg"):
        (folder / name).write_bytes(b"")
    (tmp_path / "list.txt").write_text("val/a.png labels/a.png\nval/b.png labels/b.png\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("img_path, written, expected", [
    ("val", ["a.png", "b.png", "c.png"], ""),
    ("val", ["a.png", "b.png"], "wrote result files for 2 of 3 image(s)"),
    ("val", [], "wrote no result file into"),
    ("list.txt", ["a.png", "b.png"], ""),
    ("list.txt", ["a.png"], "none named after b.png"),
    ("val/c.jpg", ["c.png"], ""),
])
def test_outputs_counts_a_result_file_per_input_image(images, img_path, written, expected):
    out = images / "results"
    out.mkdir()
    for name in written:
        (out / name).write_bytes(b"")
    proc = check_step("outputs", out, images / img_path)
    assert proc.returncode == (1 if expected else 0), proc.stdout + proc.stderr
    assert expected in proc.stdout


def test_a_zlib_crash_gets_its_hint(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("C++ Traceback (most recent call last):\n----\n0   inflateReset2\n\n"
                   "FatalError: `Segmentation fault`\n", encoding="utf-8")
    proc = check_step("hint", log, 139)
    assert proc.returncode == 0 and "LD_PRELOAD=" in proc.stdout and "libz.so.1" in proc.stdout
    assert check_step("hint", log, 1).stdout.strip() == ""  # not a crash
    log.write_text("0   paddle::framework::Run\n", encoding="utf-8")
    assert check_step("hint", log, 139).stdout.strip() == ""  # another crash


def test_metrics_gives_the_last_metrics_line_of_each_eval_log(tmp_path):
    (tmp_path / "pact_train_cpu_eval.log").write_text(
        "loading\n[EVAL] #Images: 8 mIoU: 0.1000 Acc: 0.5\n[EVAL] #Images: 8 mIoU: 0.4168 Acc: 0.6343\ndone\n",
        encoding="utf-8")
    (tmp_path / "pact_train_cpu_x2_eval.log").write_text("Traceback ...\n", encoding="utf-8")
    (tmp_path / "pact_train_cpu_train.log").write_text("top1: 0.9\n", encoding="utf-8")
    (tmp_path / "pact_train_gpus_0_eval.log").write_text(  # PaddleDetection's COCO summary: its first line
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.177\n"
        " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.381\n", encoding="utf-8")
    proc = check_step("metrics", tmp_path)
    assert proc.stdout.splitlines() == [
        "pact_train_cpu: [EVAL] #Images: 8 mIoU: 0.4168 Acc: 0.6343", "pact_train_cpu_x2: (no metrics line in its log)",
        "pact_train_gpus_0: Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.177"]
