"""test_tipc/py_shims/auto_log: the offline stand-in for AutoLog that suite predictors `import auto_log` for.

A fake suite predictor (written the way PaddleClas's predict_cls.py and PaddleOCR's predict_det.py use AutoLog)
runs with the shim on PYTHONPATH; without it, the same script fails to import auto_log, which shows the runs
below really use the shim. pact_cls's own report is formatted by the same file.
"""
import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import TEMPLATE_ROOT

REPO_TEMPLATE = TEMPLATE_ROOT / "{{cookiecutter.model_name}}"
SHIM_DIR = REPO_TEMPLATE / "test_tipc" / "py_shims"
SHIM_FILE = SHIM_DIR / "auto_log" / "__init__.py"

SECTIONS = ("Env info", "Paddle info", "Conf info", "Model info", "Data info", "Perf info")
KEYS = ("OS_version", "CUDA_version", "CUDNN_version", "drivier_version", "paddle_version", "paddle_commit",
        "log_api_version", "runtime_device", "ir_optim", "enable_memory_optim", "enable_tensorrt", "enable_mkldnn",
        "cpu_math_library_num_threads", "model_name", "precision", "batch_size", "input_shape", "data_num",
        "cpu_rss(MB)", "gpu_rss(MB)", "gpu_util", "total time spent(s)", "preprocess_time(ms)",
        "inference_time(ms)", "postprocess_time(ms)")

# Creates the AutoLogger as PaddleClas's ClsPredictor does (no logger, a save_path, warmup), plus an unknown
# keyword, and times 3 images with start / stamp / stamp / end(stamp=True) as its predict() does.
PREDICTOR = textwrap.dedent('''
    import sys
    import time

    import auto_log

    from paddle import inference

    config = inference.Config()
    config.disable_gpu()
    config.switch_ir_optim(True)
    config.enable_memory_optim()
    config.set_cpu_math_library_num_threads(3)
    autolog = auto_log.AutoLogger(
        model_name="fake_cls", model_precision="int8", batch_size=1, data_shape=[3, 224, 224],
        save_path=sys.argv[1], inference_config=config, pids=None, process_name=None, gpu_ids=None,
        time_keys=["preprocess_time", "inference_time", "postprocess_time"], warmup=1, some_future_option=True)
    for image in range(3):
        autolog.times.start()
        time.sleep(0.002)   # preprocess
        autolog.times.stamp()
        time.sleep(0.02)    # inference
        autolog.times.stamp()
        time.sleep(0.002)   # postprocess
        autolog.times.end(stamp=True)
        print(f"image {image}: class 0")
    autolog.report()
    print("AUTO_LOG_FILE", auto_log.__file__)
''')


def run_predictor(tmp_path, pythonpath, script=PREDICTOR, *args):
    path = tmp_path / "predict_fake.py"
    path.write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, str(path), *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def report_lines(text):
    """The report's lines: from the Env info title to the last ``postprocess_time(ms)`` line."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if "Env info" in line)
    last = max(i for i, line in enumerate(lines) if "postprocess_time(ms)" in line)
    return lines[first:last + 1]


def values(lines):
    """{key: value} of the `` key: value`` lines."""
    return dict(line[1:].split(": ", 1) for line in lines if line.startswith(" "))


@pytest.fixture(scope="module")
def shim():
    spec = importlib.util.spec_from_file_location("auto_log_shim_under_test", SHIM_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.paddle
def test_fake_suite_predictor_runs_with_the_shim(tmp_path):
    save = tmp_path / "output" / "auto_log.log"
    result = run_predictor(tmp_path, SHIM_DIR, PREDICTOR, str(save))
    assert result.returncode == 0, result.stderr
    assert f"AUTO_LOG_FILE {SHIM_FILE}" in result.stdout
    lines = report_lines(result.stdout)
    titles = [line for line in lines if not line.startswith(" ")]
    assert titles == [f"{'-' * 22} {title} {'-' * 22}" for title in SECTIONS]
    got = values(lines)
    assert list(got) == list(KEYS)
    assert got["runtime_device"] == "cpu" and got["ir_optim"] == "True"
    assert got["enable_memory_optim"] == "True" and got["enable_tensorrt"] == "False"
    assert got["cpu_math_library_num_threads"] == "3"
    assert got["model_name"] == "fake_cls" and got["precision"] == "int8"
    assert got["batch_size"] == "1" and got["input_shape"] == "[3, 224, 224]" and got["data_num"] == "3"
    assert float(got["cpu_rss(MB)"]) > 10 and got["gpu_rss(MB)"] == "None" and got["gpu_util"] == "None%"
    # 2 timed images (warmup=1 drops the first), each sleeping 2 + 20 + 2 ms (a sleep can overrun, not fall short)
    assert 19 < float(got["inference_time(ms)"]) < 5000
    assert 1.9 < float(got["preprocess_time(ms)"]) < 5000 and 1.9 < float(got["postprocess_time(ms)"]) < 5000
    assert 0.047 < float(got["total time spent(s)"]) < 30
    assert save.read_text(encoding="utf-8").splitlines() == lines


def test_without_the_shim_the_predictor_cannot_import_auto_log(tmp_path):
    result = run_predictor(tmp_path, None, PREDICTOR, str(tmp_path / "x.log"))
    assert result.returncode != 0
    assert "No module named 'auto_log'" in result.stderr


def test_report_goes_to_the_given_logger(tmp_path):
    """PaddleOCR style: a logger is passed, save_path is None; every report line goes through logger.info."""
    script = textwrap.dedent('''
        import logging
        import sys

        import auto_log

        logger = logging.getLogger("ppocr")
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("[ppocr] %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        autolog = auto_log.AutoLogger(model_name="det", model_precision="fp32", batch_size=1, data_shape="dynamic",
                                      save_path=None, inference_config=None, pids=123, process_name=None,
                                      gpu_ids=None, warmup=0, logger=logger)
        autolog.times.start()
        autolog.times.stamp()
        autolog.times.stamp()
        autolog.times.end(stamp=True)
        autolog.report()
    ''')
    result = run_predictor(tmp_path, SHIM_DIR, script)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line]
    assert lines and all(line.startswith("[ppocr] INFO: ") for line in lines)
    got = values(line[len("[ppocr] INFO: "):] for line in lines)
    assert got["runtime_device"] == "None" and got["input_shape"] == "dynamic" and got["data_num"] == "1"
    assert not list(tmp_path.glob("*.log"))


def test_times_drop_warmup_and_file_extra_stamps(shim, monkeypatch):
    clock = iter(range(100))
    monkeypatch.setattr(shim.time, "perf_counter", lambda: float(next(clock)))
    times = shim.Times(warmup=1)
    for _ in range(3):  # each iteration: start, 3 stamps 1 s apart, then one extra stamp at end
        times.start()
        times.stamp()
        times.stamp()
        times.stamp()
        times.end(stamp=True)
    assert times.count() == 3
    assert times.value(mode="mean") == {"preprocess_time": 1.0, "inference_time": 1.0, "postprocess_time": 1.0,
                                        "stamps_4": 1.0}
    assert times.value(key=["inference_time"], mode="sum") == {"inference_time": 2.0}  # first one dropped
    assert times.total() == 8.0


def test_times_keep_everything_when_there_are_no_more_iterations_than_warmup(shim):
    times = shim.Times(warmup=2)
    times.start()
    times.stamp()
    times.end(stamp=True)
    assert times.count() == 1
    assert len(times.value()["preprocess_time"]) == 1 and times.value()["postprocess_time"] == []
    assert times.value(mode="mean")["postprocess_time"] == 0.0


def test_config_info_from_a_dict_none_and_a_foreign_object(shim):
    as_dict = dict(shim.config_info({"runtime_device": "cpu", "enable_mkldnn": True}))
    assert as_dict["runtime_device"] == "cpu" and as_dict["enable_mkldnn"] is True and as_dict["ir_optim"] == "None"
    assert [v for _, v in shim.config_info(None)] == ["None"] * 6

    class SessionOptions:  # what an ONNX Runtime predictor hands over instead of a paddle Config
        intra_op_num_threads = 2

    assert [v for _, v in shim.config_info(SessionOptions())] == ["None"] * 6


@pytest.mark.paddle
def test_pact_cls_report_uses_the_shim_even_when_auto_log_is_installed(tmp_path):
    """pact_cls loads the shim's file by path: an AutoLog earlier on the path does not change its report."""
    decoy = tmp_path / "site" / "auto_log"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("AutoLogger = None  # an installed AutoLog: no format_report\n")
    script = textwrap.dedent('''
        import types

        import auto_log
        from pact_cls import predictor

        assert auto_log.__file__.startswith(%r), auto_log.__file__
        clf = types.SimpleNamespace(conf={"runtime_device": "cpu", "ir_optim": True}, precision="int8",
                                    model_file="m.pdmodel", int8_ops="conv2d", img_size=64)
        timer = predictor.Timer()
        timer.add("inference", 0.0125)
        print(predictor.benchmark_report(clf, "classification", 1, 1, timer))
        print("FORMAT_FILE", predictor.report_format().__file__)
    ''' % str(decoy.parent))
    result = run_predictor(tmp_path, os.pathsep.join([str(decoy.parent), str(REPO_TEMPLATE)]), script)
    assert result.returncode == 0, result.stderr
    assert f"FORMAT_FILE {SHIM_FILE}" in result.stdout
    lines = report_lines(result.stdout)
    assert "---------------------- Model info ----------------------" in lines
    got = values(lines)
    assert got["mkldnn_int8_ops"] == "conv2d" and got["input_shape"] == "3x64x64"
    assert got["inference_time(ms)"] == "12.5000" and got["preprocess_time(ms)"] == "0.0000"
