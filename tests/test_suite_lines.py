"""The optional config lines suite repos need, run through the real harness with fake scripts: label lists and
evaluation data (train_list, eval_data_path, eval_list), the device for the export (export_device), inference from
another folder (infer_workdir), the repo importable and an auto_log for every step, and the prediction lines
inference must print (infer_pattern)."""
import re
import textwrap

from fake_repo import (CONFIG, EXT_HEADER, LOG_DIR, PY, add_fake_script, calls, config_lines, dry_run_lines, harness,
                       results, summary_counts, write_config)

SUITE_DATA = ["train_list:--train-list:lite_train_lite_infer=./fake data/train_list.txt|"
              "whole_train_whole_infer=./full data/train_list.txt",
              "eval_data_path:--eval-data:lite_train_lite_infer=./fake data|whole_train_whole_infer=./full data",
              "eval_list:--eval-list:lite_train_lite_infer=./fake data/val_list.txt|"
              "whole_train_whole_infer=./full data/val_list.txt"]


def commands(proc, script):
    return [c for c in dry_run_lines(proc.stdout) if f" {script} " in c + " "]


def test_label_lists_and_eval_data_reach_train_and_eval_per_mode(fake_repo):
    write_config(fake_repo, config_lines() + [EXT_HEADER] + SUITE_DATA)
    for mode, data in (("lite_train_lite_infer", "./fake\\ data"), ("whole_train_whole_infer", "./full\\ data")):
        proc = harness(fake_repo, mode=mode, env={"TIPC_DRY_RUN": "1"})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        train, evaluate = commands(proc, "fake/train.py")
        assert train.endswith(f"--data-path=./fake\\ data --train-list={data}/train_list.txt")  # line 11: one value
        # evaluation gets its own data set and list instead of line 11's training data
        assert evaluate.endswith(f"--eval-data={data} --eval-list={data}/val_list.txt")
        assert "--data-path" not in evaluate


def test_without_eval_data_lines_eval_gets_line_11(fake_repo):
    proc = harness(fake_repo, env={"TIPC_DRY_RUN": "1"})
    assert commands(proc, "fake/train.py")[1].endswith("--data-path=./fake\\ data")


def test_export_device_passes_each_entry_device_to_the_export(fake_repo):
    lines = config_lines(l4="gpu_list:-1|0", l5="--device:cpu|gpu")
    for flag, expected in (("export_device:True", ["--device=cpu", "--device=gpu"]), ("export_device:False", [])):
        write_config(fake_repo, lines + [EXT_HEADER, flag])
        proc = harness(fake_repo, env={"TIPC_DRY_RUN": "1"})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        exports = commands(proc, "fake/export.py")
        assert [w for c in exports for w in c.split() if w.startswith("--device=")] == expected


def test_inference_runs_from_its_folder_with_paths_relative_to_it(fake_repo):
    """infer_workdir: line 27 is written as seen from that folder; model and image paths are converted."""
    write_config(fake_repo, config_lines(l27="inference:infer.py", l28="--use-gpu:False", l29="--batch-size:1")
                 + [EXT_HEADER, "infer_workdir:fake"])
    proc = harness(fake_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    infer = [line for line in results(fake_repo) if "infer.py" in line]
    assert infer == [f"Run successfully with command - cd fake && env CUDA_VISIBLE_DEVICES= {PY} infer.py "
                     f"--use-gpu=False --model-dir=../{LOG_DIR}/pact_train_cpu --batch-size=1 "
                     "--img-path=../imgs/demo\\ img.jpg --benchmark=True!"]
    assert [c["script"] for c in calls(fake_repo / "fake")] == ["infer.py"]  # it ran in fake/


def test_inference_folder_is_checked(fake_repo):
    write_config(fake_repo, config_lines(l27="inference:infer.py") + [EXT_HEADER, "infer_workdir:nowhere"])
    proc = harness(fake_repo)
    assert proc.returncode == 2
    assert re.search(r"fake\.txt:34: folder inference runs from \(line 34\): expected the folder 'nowhere'",
                     proc.stderr), proc.stderr


SUITE_PREDICTOR = '''
import os, sys
import auto_log  # the harness's py_shims, for suites whose benchmark mode imports it
import mypkg  # the repo's own package, importable from any folder through the config's python_path line
opts = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
logger = auto_log.AutoLogger(model_name="cls", model_precision="fp32", batch_size=1, data_shape=[3, 8, 8],
                             save_path=None, inference_config=None, pids=os.getpid(), process_name=None,
                             gpu_ids=None, time_keys=["preprocess_time", "inference_time", "postprocess_time"],
                             warmup=0)
logger.times.start()
logger.times.stamp()
logger.times.stamp()
logger.times.end(stamp=True)
for _ in range(int(os.environ.get("FAKE_PREDICTIONS", "1"))):
    print(os.environ.get("FAKE_LINE", "%s:\\tclass id(s): [3], score(s): [0.90], label_name(s): []")
          % opts.get("--img-path", "x.jpg"))
logger.report()
'''


def suite_repo(fake_repo, *extra):
    (fake_repo / "deploy" / "python").mkdir(parents=True, exist_ok=True)
    (fake_repo / "deploy" / "python" / "predict_cls.py").write_text(textwrap.dedent(SUITE_PREDICTOR), encoding="utf-8")
    (fake_repo / "mypkg").mkdir(exist_ok=True)
    (fake_repo / "mypkg" / "__init__.py").write_text("", encoding="utf-8")
    write_config(fake_repo, config_lines(l27="inference:python/predict_cls.py", l28="--use-gpu:False",
                                         l29="--batch-size:1")
                 + [EXT_HEADER, "infer_workdir:deploy", "python_path:.", *extra])
    return fake_repo


def test_suite_predictor_imports_its_package_and_auto_log_and_its_lines_count(fake_repo):
    proc = harness(suite_repo(fake_repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = (fake_repo / LOG_DIR / "pact_train_cpu_infer_cpu_batchsize_1.log").read_text(encoding="utf-8")
    assert "class id(s): [3]" in log and "Perf info" in log and "inference_time(ms)" in log


def test_inference_without_prediction_lines_fails(fake_repo):
    proc = harness(suite_repo(fake_repo), env={"FAKE_PREDICTIONS": "0"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "TIPC: the step exited 0 but printed 0 prediction line(s) for 1 image(s)" in proc.stdout
    assert [line for line in results(fake_repo) if line.startswith("Run failed")][0].startswith(
        "Run failed with command - cd deploy && ")
    assert summary_counts(proc.stdout)[1] == 1


def test_any_format_that_names_the_image_counts_without_infer_pattern(fake_repo):
    """A 32-line config written for the upstream scripts keeps passing: its predictor's own line format (here the
    guide-style 'file: <image>, label: ..., score: ...') names the image, which is what a prediction line is."""
    proc = harness(suite_repo(fake_repo), env={"FAKE_LINE": "file: %s, label: 1, score: 0.4539"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_format_that_does_not_name_the_image_needs_infer_pattern(fake_repo):
    own = {"FAKE_LINE": "=> 3 (0.90)%.0s"}  # the image path is formatted away
    proc = harness(suite_repo(fake_repo), env=own)
    assert proc.returncode == 1 and "no line names demo img.jpg" in proc.stdout
    assert "give its pattern on an infer_pattern line" in proc.stdout
    proc = harness(suite_repo(fake_repo, r"infer_pattern:^=> [0-9]+ \("), env=own)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_infer_pattern_runs_as_the_checker_validated_it(fake_repo):
    """\\d is a Python regular expression (the checker compiles it with re) and matches as one."""
    own = {"FAKE_LINE": "class_id: 3%.0s"}
    proc = harness(suite_repo(fake_repo, r"infer_pattern:class_id: \d"), env=own)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_infer_pattern_must_be_a_regular_expression(fake_repo):
    write_config(fake_repo, config_lines() + [EXT_HEADER, "infer_pattern:class id(s"])
    proc = harness(fake_repo)
    assert proc.returncode == 2 and "is not a regular expression" in proc.stderr, proc.stderr


def test_prediction_lines_are_counted_per_image_of_a_folder(fake_repo):
    add_fake_script(fake_repo, "infer.py")
    for name in ("a.jpg", "b.png", "notes.txt"):
        (fake_repo / "imgs" / name).write_bytes(b"x")
    folder_infer = fake_repo / "fake" / "infer_folder.py"
    folder_infer.write_text("import sys\nprint('image_name: imgs/a.jpg, class_id: 1, prob: 0.5')\n", encoding="utf-8")
    write_config(fake_repo, config_lines(l27="inference:fake/infer_folder.py", l28="--use-gpu:False",
                                         l29="--batch-size:1", l31="--img-path:./imgs"))
    proc = harness(fake_repo)
    assert proc.returncode == 1
    assert "printed 1 prediction line(s) for 3 image(s)" in proc.stdout  # demo img.jpg, a.jpg, b.png


def test_without_python_path_the_repo_is_not_on_the_path(fake_repo):
    """The repo root is on PYTHONPATH only when the config says so (a repo file such as PaddleClas's paddleclas.py
    would otherwise shadow an installed package of that name)."""
    suite_repo(fake_repo)
    lines = (fake_repo / CONFIG).read_text(encoding="utf-8").splitlines()
    write_config(fake_repo, [line for line in lines if not line.startswith("python_path:")])
    proc = harness(fake_repo)
    assert proc.returncode == 1
    assert "No module named 'mypkg'" in (fake_repo / LOG_DIR / "pact_train_cpu_infer_cpu_batchsize_1.log").read_text()


def test_python_path_exposes_a_folder_under_a_package_name(fake_repo):
    """PaddleClas's predictor imports the repo as package paddleclas: python_path:paddleclas=.|. does that."""
    suite_repo(fake_repo, "python_path:suitepkg=.|.")
    lines = (fake_repo / CONFIG).read_text(encoding="utf-8").splitlines()
    write_config(fake_repo, [line for line in lines if line != "python_path:."])
    predictor = fake_repo / "deploy" / "python" / "predict_cls.py"
    predictor.write_text("import suitepkg.mypkg\n" + predictor.read_text(encoding="utf-8"), encoding="utf-8")
    (fake_repo / "__init__.py").write_text("", encoding="utf-8")
    proc = harness(fake_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PYTHONPATH of every step: " in proc.stdout
    assert (fake_repo / LOG_DIR / "python_path" / "suitepkg").is_symlink()
