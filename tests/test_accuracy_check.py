"""tools/check_accuracy.py's top-1 report and bar, on hand-made predictions (fast: no model; the tool imports the
reference repo's pact_cls, so Paddle must be installed).

The real chain runs the same code on real models (test_chain.py); here the predictions are chosen so that the
expected top-1 values and the pass/fail verdict are known exactly."""
import argparse
import importlib.util
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.paddle  # tools/check_accuracy.py imports the reference repo's pact_cls


@pytest.fixture
def tool(baked_reference, monkeypatch):
    """tools/check_accuracy.py of the baked reference, imported (it adds the repo root to sys.path)."""
    monkeypatch.syspath_prepend(str(baked_reference))
    spec = importlib.util.spec_from_file_location("check_accuracy", baked_reference / "tools" / "check_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    for name in [n for n in sys.modules if n == "pact_cls" or n.startswith("pact_cls.")]:
        del sys.modules[name]


@pytest.fixture
def val_folder(tmp_path):
    """val/<class>/<image>: 3 images of class "0", 1 of class "1" (labels 0, 0, 0, 1)."""
    paths = []
    for cls, names in (("0", ["a.jpg", "b.jpg", "c.jpg"]), ("1", ["d.jpg"])):
        (tmp_path / "val" / cls).mkdir(parents=True)
        for name in names:
            (tmp_path / "val" / cls / name).write_bytes(b"x")
            paths.append(str(tmp_path / "val" / cls / name))
    return str(tmp_path / "val"), paths


def predictions(paths, classes):
    return {p: (c, 0.9, np.eye(2)[c]) for p, c in zip(paths, classes)}


def test_folder_labels_follow_the_sorted_class_folders(tool, val_folder):
    from pact_cls import accuracy

    root, paths = val_folder
    assert accuracy.folder_labels(root, paths) == dict(zip(paths, [0, 0, 0, 1]))
    assert accuracy.folder_labels(paths[0], paths[:1]) is None  # a single file has no class folder


@pytest.mark.parametrize("int8_classes, bar, failed", [
    ([0, 0, 0, 1], 1.0, False),   # same as FP32: 0 points lost
    ([0, 0, 1, 1], 1.0, True),    # one image of four wrong: 25 points lost
    ([0, 0, 1, 1], 30.0, False),  # ... which a 30-point bar allows
    ([0, 0, 1, 1], None, False),  # no bar: report only
])
def test_top1_bar(tool, val_folder, capsys, int8_classes, bar, failed):
    from pact_cls import accuracy

    root, paths = val_folder
    args = argparse.Namespace(img_path=root, max_top1_drop=bar)
    rows = [("FP32 dygraph", "fp32.pdparams", predictions(paths, [0, 0, 0, 1])),
            ("PACT dygraph", "pact.pdparams", predictions(paths, [0, 0, 0, 0])),
            ("int8 inference", "inference.json", predictions(paths, int8_classes))]
    assert tool.report_top1(args, accuracy.folder_labels(root, paths), rows) is failed
    out = capsys.readouterr().out
    assert "FP32 dygraph    100.00%  (fp32.pdparams)" in out
    assert "PACT dygraph     75.00%  (pact.pdparams)" in out
    change = 100.0 * (sum(c == label for c, label in zip(int8_classes, [0, 0, 0, 1])) - 4) / 4
    assert f"int8 inference vs FP32: {change:+.2f} points" in out  # "+0.00", never "-0.00"
    assert ("FAILED: top-1 dropped" in out) is failed


def test_fp32_weights_need_a_labelled_folder(tool, val_folder, capsys):
    _, paths = val_folder
    code = tool.run_main(tool.main, ["--model-dir=unused", f"--img-path={paths[0]}", "--fp32-weights=fp32.pdparams"])
    assert code == 2
    assert "top-1 needs labelled images" in capsys.readouterr().err


def test_max_top1_drop_needs_fp32_weights(tool):
    with pytest.raises(SystemExit) as exc:
        tool.parse_args(["--model-dir=m", "--pretrained=p", "--max-top1-drop=1"])
    assert exc.value.code == 2


def test_a_flip_on_a_near_tie_is_listed_but_not_counted(tool):
    from pact_cls import accuracy

    def result(probs):
        probs = np.asarray(probs)
        return int(probs.argmax()), float(probs.max()), probs

    reference = {"undecided.jpg": result([0.2505, 0.2500, 0.2495, 0.25]),
                 "confident.jpg": result([0.70, 0.20, 0.05, 0.05]),
                 "same.jpg": result([0.1, 0.8, 0.05, 0.05])}
    candidate = {"undecided.jpg": result([0.2500, 0.2506, 0.2494, 0.25]),
                 "confident.jpg": result([0.30, 0.60, 0.05, 0.05]),
                 "same.jpg": result([0.1, 0.8, 0.05, 0.05])}
    differ, ties, max_diff = accuracy.agreement(reference, candidate, tie_margin=0.01)
    assert (differ, ties) == (["confident.jpg"], ["undecided.jpg"])
    assert max_diff == pytest.approx(0.40)
    assert accuracy.agreement(reference, candidate, tie_margin=0.0)[:2] == (["undecided.jpg", "confident.jpg"], [])




