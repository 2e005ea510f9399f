"""The harness's int8 step (test_tipc/int8_check.py over test_tipc/pact_tipc/): how it reads programs and builds
feeds, how it compares outputs of each task's kind, how it judges a repo's inference row, and (slow) the step itself
on tiny PACT-quantized programs of a classifier, a segmenter and a detector, and on one with a corrupted scale."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tipc_checks
from program_bytes import field, op_desc, var_desc

TIPC_DIR = Path(__file__).resolve().parents[1] / "{{cookiecutter.model_name}}" / "test_tipc"
MAKE_PROGRAM = Path(__file__).resolve().parent / "fixtures" / "int8_programs" / "make_program.py"
compare = tipc_checks._harness_module("compare")
feeds = tipc_checks._harness_module("feeds")
model_files = tipc_checks._harness_module("model_files")
int8_report = tipc_checks._harness_module("int8_report")
int8_ops = tipc_checks._harness_module("int8_ops")
images = tipc_checks._harness_module("images")
CONVOLUTIONS = {"conv2d", "depthwise_conv2d", "fused_conv2d"}


# ---------------------------------------------------------------- comparing outputs (numpy only)

def agreement(kind, pairs):
    found = compare.Agreement("out", kind)
    for ref, other in pairs:
        found.add(np.asarray(ref), np.asarray(other))
    return found.summary()


def test_output_kinds_are_read_from_the_values():
    boxes, count = np.zeros((3, 6), "float32"), np.ones(1, "int32")
    assert compare.output_kind(np.zeros((1, 10), "float32")) == "class scores"
    assert compare.output_kind(np.zeros((1, 32, 32), "int32")) == "class map"
    assert compare.output_kind(np.zeros((1, 1, 32, 32), "int64")) == "class map"
    assert compare.output_kind(np.zeros((1, 4, 32, 32), "float32")) == "score map"
    assert compare.output_kind(boxes, [boxes, count]) == "boxes"
    assert compare.output_kind(boxes, [boxes]) == "class scores"  # 6 classes, without a box count beside it
    assert compare.output_kind(np.zeros((1, 3, 4), "float32")) == "tensor"


def test_top1_agreement_counts_decided_inputs_and_leaves_near_ties_apart():
    decided = [([[4.0, 0.0, 0.0]], [[4.0, 0.0, 0.0]])] * 6 + [([[4.0, 0.0, 0.0]], [[0.0, 4.0, 0.0]])] * 2
    tie = [([[1.0, 1.0, 0.0]], [[0.9, 1.1, 0.0]])]
    facts, problem = agreement("class scores", decided + tie)
    assert (facts["agree"], facts["agree_of"], facts["near_ties"]) == (0.75, 8, 1)
    assert problem.startswith("output out (class scores): top-1 agreement 75.0% < 90%")
    facts, problem = agreement("class scores", decided[:6] + tie)
    assert facts["agree"] == 1.0 and problem == ""


def test_near_tie_classifier_is_held_to_its_probabilities():
    """A barely trained classifier (every input a near-tie) cannot be judged by top-1: probabilities are."""
    close = [([[0.10, 0.11, 0.09]], [[0.102, 0.109, 0.091]])] * 4  # quantization noise, no decision
    assert agreement("class scores", close)[1] == ""
    far = close + [([[0.1, 0.1, 0.1]], [[3.0, 0.0, 0.0]])]
    facts, problem = agreement("class scores", far)
    assert facts["agree_of"] == 0 and "class probabilities differ by up to" in problem
    # flat scores turned by rounding (seen: cosine of the centred scores 0.85 at probabilities within 0.0007)
    turned = [([[0.100, 0.102, 0.101]], [[0.101, 0.101, 0.102]])] * 4
    facts, problem = agreement("class scores", turned)
    assert facts["centered_cosine"] < 0.9 and problem == ""
    # or one run's flat scores come out the same for every input (seen in a 1-epoch whole-mode model, within 0.014)
    constant = [([[0.1000, 0.1000, 0.1000]], [[0.1004, 0.1000, 0.0996]])] * 4
    facts, problem = agreement("class scores", constant)
    assert facts["spread_ratio"] > 1000 and problem == ""


def test_class_map_agreement_is_per_pixel():
    ref = np.zeros((1, 10, 10), "int32")
    other = ref.copy()
    other[0, :2] = 1  # 20 of 100 pixels differ
    facts, problem = agreement("class map", [(ref, other)])
    assert facts["agree"] == pytest.approx(0.8) and facts["agree_of"] == 100
    assert problem == "output out (class map): pixel agreement 80.0% < 90%"
    assert agreement("class map", [(ref, ref)])[1] == ""


def test_score_map_agreement_is_on_the_argmax():
    ref = np.zeros((1, 3, 4, 4), "float32")
    ref[0, 1] = 1.0
    facts, problem = agreement("score map", [(ref, ref * 0.5)])  # other values, same winning class
    assert facts["agree"] == 1.0 and problem == ""


def test_boxes_match_by_class_and_iou_above_the_score():
    ref = np.array([[0, 0.9, 0, 0, 10, 10], [1, 0.8, 20, 20, 30, 30], [1, 0.1, 0, 0, 5, 5]], "float32")
    moved = np.array([[0, 0.85, 1, 1, 11, 11], [0, 0.8, 20, 20, 30, 30]], "float32")  # 2nd box: other class
    assert compare.match_boxes(ref, moved) == (1, 2)  # the 0.1 box is below the score and not counted
    facts, problem = agreement("boxes", [(ref, moved)])
    assert facts["agree"] == 0.5 and "boxes matched" in problem
    assert agreement("boxes", [(ref, ref)])[1] == ""


def test_the_best_boxes_are_matched_whatever_their_score_and_only_reported():
    """A briefly trained detector scores no box 0.3: its best boxes per image are matched whatever their score, and
    the share is reported, never judged (low-score boxes may swap between two right runs)."""
    ref = np.array([[2, 0.05 - i / 1000, i * 20, 0, i * 20 + 10, 10] for i in range(12)], "float32")
    other = ref[[0, 1, 2, 3, 4, 5, 6, 7]].copy()  # the reference's best 8 of its 10 best boxes
    other[:, 1] *= 0.5  # the other run scores them lower: still matched, whatever the score
    facts, problem = agreement("boxes", [(ref, other)])
    assert (facts["agree_of"], facts["top_agree_of"], facts["top_agree"]) == (0, 10, 0.8)
    assert facts["top_score"] == pytest.approx(0.05) and problem == ""
    facts, problem = agreement("boxes", [(ref, other[:1])])  # 1 of 10: reported, not a failure
    assert facts["top_agree"] == 0.1 and problem == ""


def test_nan_output_fails_naming_the_output():
    facts, problem = agreement("tensor", [([[1.0, 2.0]], [[np.nan, 2.0]])])
    assert problem == "output out: 1 input(s) gave NaN or inf"


def test_other_tensors_are_held_to_the_cosine():
    assert agreement("tensor", [([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.01]])])[1] == ""
    assert "cosine similarity" in agreement("tensor", [([[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])])[1]


def judged(int8_scores, plain_scores, labels):
    """int8_step.judge on the outputs of two runs (one class-score output) and labels; the report it fills."""
    import types

    int8_step = pytest.importorskip("template_pact_tipc.int8_step", reason="int8_step imports numpy only")

    def run(scores):
        return types.SimpleNamespace(outputs=[[np.asarray([row], "float32")] for row in scores],
                                     predictor=types.SimpleNamespace(get_output_names=lambda: ["scores"]))
    report = {"notes": [], "problems": [], "outputs": []}
    int8_step.judge(report, {"int8": run(int8_scores), "no_int8": run(plain_scores)}, labels)
    return report


def test_labels_excuse_a_disagreement_only_when_int8_is_clearly_right():
    labels = [0, 1] * 5
    truth = [[5.0, 0.0] if label == 0 else [0.0, 5.0] for label in labels]
    one_class = [[0.0, 5.0]] * 10  # every image the same class: 50% on these labels
    # the run without int8 kernels is the wrong one: int8 100% vs 50% against the labels
    report = judged(truth, one_class, labels)
    assert report["problems"] == [] and "is the one that is wrong" in report["notes"][0]
    # both at chance (the same class for every image, other probabilities): nothing shows which is right
    near_tie = [[0.498, 0.502]] * 10  # probabilities, within the tie margin
    report = judged(one_class, near_tie, labels)
    assert report["notes"] == [] and report["problems"][0].startswith("output scores (class scores)")


# ---------------------------------------------------------------- which ops run in int8 (standard library)

@pytest.fixture
def no_isa_cap(monkeypatch):
    """No oneDNN instruction-set cap from the environment running the tests (it would decide `auto`)."""
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)


@pytest.mark.parametrize("flags, expected", [
    ("fpu sse avx avx2", CONVOLUTIONS),                              # no VNNI: fc stays FP32
    ("fpu avx2 avx512f avx512_vnni", CONVOLUTIONS | {"fc"}),
    ("fpu avx2 avx_vnni", CONVOLUTIONS | {"fc"}),
    ("fpu avx512f avx512_vnni amx_tile amx_int8", CONVOLUTIONS | {"fc"}),
])
def test_int8_ops_follow_the_cpu_flags(no_isa_cap, monkeypatch, flags, expected):
    """`auto` is an explicit op list on every CPU: an empty set would quantize every op oneDNN supports,
    pool2d included, which cost a PACT MobileNetV3-small 3 points of top-1 on both kinds of CPU."""
    monkeypatch.setattr(int8_ops, "cpuinfo_field", lambda name: flags if name == "flags" else None)
    ops, described = int8_ops.mkldnn_int8_ops("auto")
    assert ops == expected
    assert "pool2d" not in ops and ops
    assert described.startswith(", ".join(int8_ops.AUTO_INT8_OPS["vnni" if "fc" in ops else "no_vnni"]))
    assert ("fc and pool2d stay FP32" in described) is ("fc" not in ops)
    assert int8_ops.mkldnn_int8_ops("all")[0] == set()
    assert "may cost accuracy" in int8_ops.mkldnn_int8_ops("all")[1]
    assert int8_ops.mkldnn_int8_ops("conv2d, fc")[0] == {"conv2d", "fc"}


@pytest.mark.parametrize("variable", ["ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"])
@pytest.mark.parametrize("cap, expected", [
    ("AVX2", CONVOLUTIONS), ("avx512_core", CONVOLUTIONS),           # kernels without VNNI
    ("AVX512_CORE_VNNI", CONVOLUTIONS | {"fc"}), ("ALL", CONVOLUTIONS | {"fc"}),
])
def test_int8_ops_follow_a_onednn_isa_cap(no_isa_cap, monkeypatch, variable, cap, expected):
    """oneDNN held to older kernels (to measure on one machine what another CPU does) gets that CPU's list."""
    monkeypatch.setattr(int8_ops, "cpuinfo_field", lambda name: "fpu avx2 avx512f avx512_vnni amx_int8"
                        if name == "flags" else None)
    monkeypatch.setenv(variable, cap)
    ops, described = int8_ops.mkldnn_int8_ops("auto")
    assert ops == expected
    assert (f"oneDNN capped to {cap.upper()}, without VNNI" in described) is ("fc" not in ops)


def test_int8_ops_auto_without_cpuinfo_is_the_safe_list(monkeypatch):
    monkeypatch.setattr(int8_ops, "cpuinfo_field", lambda name: None)
    assert int8_ops.mkldnn_int8_ops("auto")[0] == CONVOLUTIONS


# ---------------------------------------------------------------- reading programs and building feeds

def test_program_reader_finds_feeds_params_and_int8_ops(tmp_path):
    block = (field(3, var_desc("image", [-1, 3, 64, 64])) + field(3, var_desc("im_shape", [-1, 2]))
             + field(3, var_desc("conv.w", [8, 3, 3, 3], persistable=True))
             + field(4, op_desc("feed", [("Out", ["im_shape"])], [("col", 1)]))
             + field(4, op_desc("feed", [("Out", ["image"])], [("col", 0)]))
             + field(4, op_desc("fused_conv2d", attrs=[("mkldnn_data_type", "int8")]))
             + field(4, op_desc("quantize", attrs=[("mkldnn_data_type", "int8")]))
             + field(4, op_desc("pool2d", attrs=[("mkldnn_data_type", "float32")])))
    path = tmp_path / "inference.pdmodel"
    path.write_bytes(field(1, block))
    program = model_files.read_program(path)
    assert program.feeds == (model_files.Feed("image", (-1, 3, 64, 64), "float32"),
                             model_files.Feed("im_shape", (-1, 2), "float32"))
    assert program.param_elements == 8 * 3 * 3 * 3
    assert dict(program.int8_ops) == {"fused_conv2d": 1}  # the quantize op itself is no int8 compute


def test_unreadable_program_says_so(tmp_path):
    (tmp_path / "inference.pdmodel").write_bytes(b"inference.pdmodel")
    (tmp_path / "inference.pdiparams").write_bytes(b"")
    with pytest.raises(model_files.NoModel, match="not a Paddle inference program"):
        model_files.read_program(tmp_path / "inference.pdmodel")


@pytest.mark.parametrize("name, text, expected", [
    ("inference.yml", "Global:\n  image_shape: [3, 224, 224]\nPreProcess:\n  transform_ops:\n"
     "  - ResizeImage: {resize_short: 256}\n  - CropImage: {size: 224}\n"
     "  - NormalizeImage: {scale: 1./255., mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], order: ''}\n",
     feeds.Preprocess((224, 224), 256, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25), 1 / 255)),
    ("deploy.yaml", "Deploy:\n  transforms:\n  - type: Resize\n    target_size: [512, 256]\n  - type: Normalize\n",
     feeds.Preprocess((256, 512), None, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), 1 / 255)),
    ("infer_cfg.yml", "Preprocess:\n- type: Resize\n  target_size: [320, 320]\n  keep_ratio: false\n"
     "- type: NormalizeImage\n  mean: [0.4, 0.4, 0.4]\n  std: [0.2, 0.2, 0.2]\n  is_scale: true\n- type: Permute\n",
     feeds.Preprocess((320, 320), None, (0.4, 0.4, 0.4), (0.2, 0.2, 0.2), 1 / 255)),
])
def test_preprocessing_is_read_from_each_suites_export_file(tmp_path, name, text, expected):
    (tmp_path / name).write_text(text, encoding="utf-8")
    found = feeds.read_preprocess(str(tmp_path))
    assert found._replace(source="") == expected._replace(source="")
    assert found.source == str(tmp_path / name)


def write_image(path, width, height):
    from PIL import Image

    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(path)
    return str(path)


def test_detector_feeds_match_the_resized_image(tmp_path):
    image = write_image(tmp_path / "a.png", width=64, height=48)
    program_feeds = [model_files.Feed("image", (-1, 3, -1, -1), "float32"),
                     model_files.Feed("im_shape", (-1, 2), "float32"),
                     model_files.Feed("scale_factor", (-1, 2), "float32")]
    built = feeds.build_feeds(program_feeds, image, feeds.Preprocess(size=(320, 320)), (224, 224))
    assert built["image"].shape == (1, 3, 320, 320) and built["image"].dtype == np.float32
    assert built["im_shape"].tolist() == [[320.0, 320.0]]
    assert built["scale_factor"].tolist()[0] == pytest.approx([320 / 48, 320 / 64])
    with pytest.raises(feeds.FeedError, match="fills an image, im_shape and scale_factor"):
        feeds.build_feeds(program_feeds + [model_files.Feed("mask", (-1, 1), "float32")], image,
                          feeds.Preprocess(), (224, 224))


def test_an_image_argument_is_a_file_a_folder_or_a_list_file(tmp_path):
    """The one reading of an image argument, shared by the prediction check and the int8 step."""
    (tmp_path / "val" / "b").mkdir(parents=True)
    for rel in ("val/b/2.png", "val/a.jpg", "val/notes.txt"):
        (tmp_path / rel).write_bytes(b"x")
    (tmp_path / "val_list.txt").write_text("val/b/2.png 1\n\nval/a.jpg\n", encoding="utf-8")
    assert images.input_images(str(tmp_path / "val")) == [str(tmp_path / "val/a.jpg"), str(tmp_path / "val/b/2.png")]
    assert images.input_images(str(tmp_path / "val_list.txt")) == [str(tmp_path / "val/b/2.png"),
                                                                   str(tmp_path / "val/a.jpg")]
    assert images.read_label_list(str(tmp_path / "val_list.txt"))[0][1] == 1
    assert images.input_images(str(tmp_path / "val/a.jpg")) == [str(tmp_path / "val/a.jpg")]
    assert feeds.list_images(str(tmp_path / "val"), limit=1) == [str(tmp_path / "val/a.jpg")]
    (tmp_path / "empty_list.txt").write_text("", encoding="utf-8")
    with pytest.raises(feeds.FeedError, match="no images"):
        feeds.list_images(str(tmp_path / "empty_list.txt"), 1)


def test_a_fixed_feed_size_wins_over_the_yml(tmp_path):
    image = write_image(tmp_path / "a.png", width=20, height=10)
    built = feeds.build_feeds([model_files.Feed("x", (-1, 3, 64, 64), "float32")], image,
                              feeds.Preprocess(size=(224, 224)), (32, 32))
    assert built["x"].shape == (1, 3, 64, 64)


# ---------------------------------------------------------------- the inference row's note (standard library)

def write_report(path, **changes):
    report = {"quantized": True, "latency_ms": {"int8": 2.0, "no_int8": 24.0, "fp32": 4.0}, **changes}
    path.write_text(json.dumps(report), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("log, strict, expected", [
    ("[2026] precision: fp32\n", False, ("WARN", "the int8 model ran without int8 kernels: it reports precision: "
                                                 "fp32; that costs 12.0x the int8 latency, 6.0x the FP32 latency")),
    ("precision: fp32\n", True, ("FAIL", "the int8 model ran without int8 kernels: it reports precision: fp32")),
    ("class id(s): [1]\n", False, ("WARN", "the int8 model ran without int8 kernels: its log does not say it ran "
                                           "int8")),
    ("[x] precision: int8\n", False, ("PASS", "")),
])
def test_inference_row_says_when_the_int8_model_ran_without_int8_kernels(tmp_path, log, strict, expected):
    step_log = tmp_path / "infer.log"
    step_log.write_text(log, encoding="utf-8")
    status, note = int8_report.row_note(write_report(tmp_path / "r.json"), str(step_log), strict,
                                        "--enable-mkldnn=True")
    assert (status, note[:len(expected[1])]) == expected
    if status != "PASS":
        assert note.endswith("run it with --enable-mkldnn=True")


@pytest.mark.parametrize("ms, batch, count, expected", [
    ("20.1", "1", "8", "WARN"), ("2.5", "1", "8", "PASS"), ("20.1", "4", "8", "PASS"),
    ("8.0", "1", "8", "PASS"),  # past the midpoint, not clearly nearer
    ("20.1", "1", "1", "PASS")])  # one timed image: a cold sample, not judged
def test_a_precision_int8_label_is_checked_against_the_inference_time(tmp_path, ms, batch, count, expected):
    """A predictor that prints the precision it was asked for (PaddleSeg's AutoLog report says int8 on a CPU run
    without int8 kernels): at batch size 1 its reported time, nearer the int8 step's latency without int8 kernels
    (24 ms) than with them (2 ms), says which program ran."""
    step_log = tmp_path / "infer.log"
    step_log.write_text(f"INFO:  precision: int8\nINFO:  batch_size: {batch}\nINFO:  data_num: {count}\n"
                        f"INFO:  inference_time(ms): {ms}\n", encoding="utf-8")
    status, note = int8_report.row_note(write_report(tmp_path / "r.json"), str(step_log))
    assert status == expected, note
    if expected == "WARN":
        assert f"its inference time ({float(ms):.2f} ms per image) is that of the program without int8 kernels" in note

def test_an_fp32_model_or_no_report_leaves_the_row_alone(tmp_path):
    step_log = tmp_path / "infer.log"
    step_log.write_text("precision: fp32\n", encoding="utf-8")
    assert int8_report.row_note(write_report(tmp_path / "r.json", quantized=False), str(step_log)) == ("PASS", "")
    assert int8_report.row_note(str(tmp_path / "missing.json"), str(step_log)) == ("PASS", "")



@pytest.mark.parametrize("counted, boxes, expected", [
    (True, 3, "PASS\n\n"), (False, 3, "WARN\nint8 ops not counted"), (True, 0, "WARN\nno box of out scored 0.3"),
    (True, -1, "WARN\nno box of out scored 0.3 in the run without int8 kernels, so box agreement was not "
               "judged (a barely trained detector); reported only: its best boxes per image "
               "(scores up to 0.120) matched 87.5% of 80")])
def test_the_int8_steps_own_row_warns_when_it_could_not_count_int8_ops(tmp_path, counted, boxes, expected):
    """A PIR .json program gives no optimized ProgramDesc to count int8 ops in, and a barely trained detector has no
    box to match: the step passes on what it measured, and its row says what it could not (the harness runs this
    command)."""
    report = write_report(tmp_path / "r.json", int8_ops_counted=counted,
                          outputs=[{"output": "out", "kind": "boxes", "agree": 1.0 if boxes > 0 else None,
                                    "agree_of": max(boxes, 0),
                                    **({"top_agree": 0.875, "top_agree_of": 80, "top_score": 0.12}
                                       if boxes < 0 else {})}])
    (tmp_path / "int8.log").write_text("ops in int8: none\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(TIPC_DIR / "int8_check.py"), "note", f"--report={report}",
                           f"--log={tmp_path / 'int8.log'}", "--step=int8", "--strict"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(expected)

# ---------------------------------------------------------------- slow: the step on real quantized programs

def run_step(*args):
    return subprocess.run([sys.executable, str(TIPC_DIR / "int8_check.py"), "check", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """Tiny PACT-quantized programs of each task's shape, one with a corrupted scale, and a folder of images."""
    root = tmp_path_factory.mktemp("int8 programs")
    for name, args in (("classifier", ["classifier"]), ("segmenter", ["segmenter"]), ("detector", ["detector"]),
                       ("corrupted", ["classifier", "--corrupt-scale"])):
        proc = subprocess.run([sys.executable, str(MAKE_PROGRAM), args[0], str(root / name), *args[1:]],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    images = root / "images"
    images.mkdir()
    for i in range(6):
        write_image(images / f"{i}.jpg", width=40 + 8 * i, height=48)
    return root


def step_report(programs, name, tmp_path, *extra):
    report = tmp_path / f"{name}.json"
    proc = run_step(f"--model-dir={programs / name}", f"--images={programs / 'images'}", "--repeats=3",
                    f"--report={report}", *extra)
    return proc, json.loads(report.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_classifier_runs_in_int8_and_agrees(programs, tmp_path):
    proc, report = step_report(programs, "classifier", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert report["passed"] and report["int8_ops_total"] > 0 and report["images"] == 6
    assert report["kept_quant_ops_without_int8"].get("quantize_linear", 0) > 0
    [output] = report["outputs"]
    assert output["kind"] == "class scores" and output["cosine"] > 0.99
    assert set(report["latency_ms"]) == {"int8", "no_int8"} and report["params_ratio"] < 0.5
    assert "int8 step: PASSED" in proc.stdout and "ratios: int8 / without int8 kernels" in proc.stdout


@pytest.mark.slow
def test_a_corrupted_scale_fails_the_step_naming_the_output(programs, tmp_path):
    proc, report = step_report(programs, "corrupted", tmp_path)
    assert proc.returncode == 1 and not report["passed"]
    [output] = report["outputs"]
    assert any(problem.startswith(f"output {output['output']} (class scores)") for problem in report["problems"])
    assert f"PROBLEM output {output['output']}" in proc.stdout and "int8 step: FAILED" in proc.stdout


@pytest.mark.slow
def test_segmenter_class_map_is_compared_per_pixel_at_the_deploy_yaml_size(programs, tmp_path):
    proc, report = step_report(programs, "segmenter", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert report["feeds"] == {"image": [1, 3, 40, 40]}  # the program leaves H x W open; deploy.yaml says 40 x 40
    [output] = report["outputs"]
    assert output["kind"] == "class map" and output["agree_of"] == 6 * 40 * 40 and output["agree"] >= 0.9


@pytest.mark.slow
def test_detector_gets_im_shape_and_scale_factor_and_its_boxes_are_matched(programs, tmp_path):
    proc, report = step_report(programs, "detector", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert report["feeds"] == {"image": [1, 3, 32, 32], "im_shape": [1, 2], "scale_factor": [1, 2]}
    kinds = {output["kind"]: output for output in report["outputs"]}
    assert set(kinds) == {"boxes", "tensor"} and kinds["boxes"]["agree_of"] == 6 and kinds["boxes"]["agree"] >= 0.8


@pytest.mark.slow
def test_an_fp32_export_is_no_int8_model_and_serves_as_the_fp32_baseline(programs, tmp_path):
    fp32 = tmp_path / "fp32"
    proc = subprocess.run([sys.executable, str(MAKE_PROGRAM), "classifier", str(fp32), "--fp32"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc, report = step_report(programs, "classifier", tmp_path, f"--fp32-model-dir={fp32}")
    assert proc.returncode == 0 and set(report["latency_ms"]) == {"int8", "no_int8", "fp32"}
    assert "int8 / FP32" in proc.stdout and "vs_fp32" in report["outputs"][0]
    proc = run_step(f"--model-dir={fp32}", f"--images={programs / 'images'}", f"--report={tmp_path / 'r.json'}")
    assert proc.returncode == 1 and "runs no quantize ops: it is an FP32 model" in proc.stdout
