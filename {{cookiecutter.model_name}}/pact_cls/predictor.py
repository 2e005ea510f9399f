"""Paddle Inference for an exported classifier, and an AutoLog-style benchmark report."""
import os
import sys
import time

import numpy as np

from . import UserError
from .data import IMAGE_EXTENSIONS, eval_transform, read_image
from .device import cuda_problem
from .inference_model import INFERENCE_YML, find_model_files, is_quantized_model, read_img_size
from .tipc import module


def list_images(img_path):
    """A file, or the images of a folder (recursively, sorted)."""
    if os.path.isfile(img_path):
        return [img_path]
    if os.path.isdir(img_path):
        found = sorted(os.path.join(d, f) for d, _, files in os.walk(img_path) for f in files
                       if f.lower().endswith(IMAGE_EXTENSIONS))
        if found:
            return found
        raise UserError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in folder {img_path!r}")
    raise UserError(f"--img-path {img_path!r} not found: give an image file or a folder of images")


# The int8 op lists per kind of CPU are the harness's (test_tipc/pact_tipc/int8_ops.py): the chain's int8 step runs
# the same `auto` as this predictor.
_int8_ops = module("int8_ops")
AUTO_INT8_OPS = _int8_ops.AUTO_INT8_OPS
ISA_CAPS_WITHOUT_VNNI = _int8_ops.ISA_CAPS_WITHOUT_VNNI
cpu_has_vnni = _int8_ops.cpu_has_vnni
cpuinfo_field = _int8_ops.cpuinfo_field
mkldnn_int8_ops = _int8_ops.mkldnn_int8_ops
onednn_isa_cap = _int8_ops.onednn_isa_cap


def softmax(logits):
    """Probabilities over the last axis (the exported network outputs logits)."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


class Classifier:
    """The inference model of ``model_dir`` (see find_model_files) in a Paddle Inference predictor."""

    def __init__(self, model_dir, use_gpu=False, precision="auto", enable_mkldnn=True, cpu_threads=2, img_size=None,
                 use_tensorrt=False, batch_size=1, int8_ops="auto"):
        from paddle import inference

        self.model_file, self.params_file = find_model_files(model_dir)
        self.quantized = is_quantized_model(self.model_file)
        self.precision = self._choose_precision(precision, use_gpu, use_tensorrt, enable_mkldnn)
        config = inference.Config(self.model_file, self.params_file)
        self.int8_ops = None  # oneDNN int8 op types, when they are chosen here
        if use_gpu:
            self._run_on_gpu(config, use_tensorrt, batch_size)
            enable_mkldnn = False
        elif use_tensorrt:
            raise UserError("--use-tensorrt=True needs --use-gpu=True: TensorRT runs on NVIDIA GPUs only")
        else:
            self._run_on_cpu(config, enable_mkldnn, cpu_threads, int8_ops)
        # Paddle Inference 3.x fails in memory_optimize_pass on PIR (.json) models.
        memory_optim = not self.model_file.endswith(".json")
        if memory_optim:
            config.enable_memory_optim()
        config.switch_ir_optim(True)
        config.disable_glog_info()
        self.conf = {
            "runtime_device": "gpu" if use_gpu else "cpu",
            "ir_optim": True,
            "enable_memory_optim": memory_optim,
            "enable_tensorrt": bool(use_gpu and use_tensorrt),
            "enable_mkldnn": bool(enable_mkldnn),
            "cpu_math_library_num_threads": cpu_threads,
        }
        self.predictor = inference.create_predictor(config)
        self.input = self.predictor.get_input_handle(self.predictor.get_input_names()[0])
        self.output = self.predictor.get_output_handle(self.predictor.get_output_names()[0])
        self.img_size = img_size or _recorded_img_size(model_dir)
        self.transform = eval_transform(self.img_size)

    def _choose_precision(self, precision, use_gpu, use_tensorrt, enable_mkldnn):
        """auto: int8 for a quantized model where int8 kernels run it (oneDNN on the CPU, TensorRT on the GPU),
        else fp32, which is what such a run is: its quantize/dequantize ops compute in FP32."""
        int8_kernels = use_tensorrt if use_gpu else enable_mkldnn
        if precision == "auto":
            chosen = "int8" if self.quantized and int8_kernels else "fp32"
            if self.quantized and not int8_kernels:
                print(f"WARNING: {self.model_file} is quantized, but without "
                      f"{'--use-tensorrt=True' if use_gpu else '--enable-mkldnn=True'} no int8 kernel runs it: its "
                      "quantize/dequantize ops compute in FP32 (precision: fp32)", file=sys.stderr, flush=True)
        else:
            chosen = precision
        if chosen == "fp16" and not (use_gpu and use_tensorrt):
            raise UserError("--precision=fp16 needs --use-gpu=True --use-tensorrt=True")
        if chosen == "int8" and not self.quantized:
            raise UserError(f"--precision=int8 needs a quantized model; {self.model_file!r} is FP32")
        if chosen == "int8" and not int8_kernels:
            raise UserError("--precision=int8 needs int8 kernels: --enable-mkldnn=True on the CPU, "
                            "--use-tensorrt=True on a GPU")
        return chosen

    def _run_on_gpu(self, config, use_tensorrt, batch_size):
        if cuda_problem() is not None:
            raise UserError("--use-gpu=True but no CUDA GPU or no CUDA build of Paddle here: "
                            "install paddlepaddle-gpu on a GPU machine, or run with --use-gpu=False")
        config.enable_use_gpu(256, 0)
        if use_tensorrt:
            enable_tensorrt(config, self.precision, batch_size)

    def _run_on_cpu(self, config, enable_mkldnn, cpu_threads, int8_ops):
        config.disable_gpu()
        config.set_cpu_math_library_num_threads(cpu_threads)
        if enable_mkldnn:
            config.enable_mkldnn()
            if self.precision == "int8":
                ops, self.int8_ops = mkldnn_int8_ops(int8_ops)
                config.enable_mkldnn_int8(ops)

    def preprocess(self, paths):
        return np.stack([np.asarray(self.transform(read_image(path)), dtype="float32") for path in paths])

    def infer(self, batch):
        self.input.reshape(list(batch.shape))
        self.input.copy_from_cpu(batch)
        self.predictor.run()
        return self.output.copy_to_cpu()

    @staticmethod
    def postprocess(logits):
        """Logits → (class ids, their probabilities)."""
        probs = softmax(logits)
        ids = probs.argmax(axis=-1)
        return ids, probs[np.arange(len(ids)), ids]


def _recorded_img_size(model_dir):
    """The input size inference.yml records, or 224 with a warning when the folder has no inference.yml."""
    size = read_img_size(model_dir)
    if size is None:
        size = 224
        print(f"WARNING: {model_dir} has no {INFERENCE_YML} (tools/export_model.py writes it): feeding "
              f"{size}x{size} images; pass --img-size if the model was exported for another size",
              file=sys.stderr, flush=True)
    return size


def enable_tensorrt(config, precision, batch_size):
    """TensorRT subgraphs; a quantized model runs int8 from its own scales (no calibration)."""
    from paddle import inference

    if tuple(inference.get_trt_compile_version()) == (0, 0, 0):
        raise UserError("--use-tensorrt=True but this Paddle was built without TensorRT: install a "
                        "paddlepaddle-gpu build with TensorRT (and TensorRT itself), or drop --use-tensorrt")
    modes = {"fp32": inference.PrecisionType.Float32, "fp16": inference.PrecisionType.Half,
             "int8": inference.PrecisionType.Int8}
    config.enable_tensorrt_engine(workspace_size=1 << 30, max_batch_size=batch_size, min_subgraph_size=3,
                                  precision_mode=modes[precision], use_static=False, use_calib_mode=False)


class Timer:
    """Accumulates preprocess / inference / postprocess times per batch."""

    STAGES = ("preprocess", "inference", "postprocess")

    def __init__(self):
        self.times = {stage: [] for stage in self.STAGES}
        self.started = time.perf_counter()

    def add(self, stage, seconds):
        self.times[stage].append(seconds)

    def mean_ms(self, stage):
        values = self.times[stage]
        return 1000.0 * sum(values) / len(values) if values else 0.0


# The AutoLog report format has one definition in this repo: test_tipc/py_shims/auto_log, the stand-in for AutoLog
# that suite predictors import offline. It is loaded from its file under a private name, not with `import
# auto_log`, so an installed AutoLog (which has no format_report) neither shadows it nor changes this report.
REPORT_FORMAT_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                  "test_tipc", "py_shims", "auto_log", "__init__.py")
_REPORT_MODULE = "pact_cls._auto_log_report_format"


def report_format():
    """The module test_tipc/py_shims/auto_log (format_report, perf_info, cpu_rss_mb, ...)."""
    module = sys.modules.get(_REPORT_MODULE)
    if module is not None:
        return module
    if not os.path.isfile(REPORT_FORMAT_FILE):
        raise UserError(f"{REPORT_FORMAT_FILE} not found: the benchmark report format lives there; restore "
                        "test_tipc/py_shims/ from the template")
    import importlib.util

    spec = importlib.util.spec_from_file_location(_REPORT_MODULE, REPORT_FORMAT_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[_REPORT_MODULE] = module
    return module


def benchmark_report(classifier, model_name, batch_size, data_num, timer):
    """The report of the AutoLog format used across Paddle repos (Env/Paddle/Conf/Model/Data/Perf info)."""
    fmt = report_format()
    on_gpu = classifier.conf["runtime_device"] == "gpu"
    model = [("model_name", model_name), ("precision", classifier.precision), ("model_file", classifier.model_file)]
    if classifier.int8_ops:
        model.append(("mkldnn_int8_ops", classifier.int8_ops))
    data = [("batch_size", batch_size), ("input_shape", f"3x{classifier.img_size}x{classifier.img_size}"),
            ("data_num", data_num)]
    perf = fmt.perf_info(time.perf_counter() - timer.started,
                         {f"{stage}_time": timer.mean_ms(stage) for stage in Timer.STAGES},
                         cpu_rss=fmt.cpu_rss_mb(), gpu_rss=fmt.gpu_rss_mb() if on_gpu else None)
    return fmt.format_report(list(classifier.conf.items()), model, data, perf)
