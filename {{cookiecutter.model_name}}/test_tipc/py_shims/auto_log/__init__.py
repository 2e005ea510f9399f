"""A small stand-in for AutoLog's ``auto_log`` package, so predictors can run their benchmark mode offline.

PaddleClas (deploy/python/predict_cls.py), PaddleOCR (tools/infer/predict_*.py) and other suite predictors run
``import auto_log`` when benchmarking. AutoLog (github.com/LDOUBLEV/AutoLog) is not on PyPI, so without it their
benchmark mode stops at ``No module named 'auto_log'``. The TIPC harness puts ``test_tipc/py_shims`` at the END of
PYTHONPATH for inference steps: an installed AutoLog still wins, and this package is found only when there is none.

What it offers, with AutoLog's names and signatures:

    autolog = auto_log.AutoLogger(model_name, model_precision, batch_size, data_shape, save_path,
                                  inference_config=None, pids=None, process_name=None, gpu_ids=None,
                                  time_keys=["preprocess_time", "inference_time", "postprocess_time"],
                                  warmup=0, logger=None)      # other keyword arguments are accepted and ignored
    autolog.times.start()             # one iteration (a batch) begins
    autolog.times.stamp()             # preprocess done: the time since start() goes to time_keys[0]
    autolog.times.stamp()             # inference done: the time since the last stamp goes to time_keys[1]
    autolog.times.end(stamp=True)     # postprocess done (stamp=True stamps first); the iteration ends
    autolog.report()                  # the report, to ``logger.info`` line by line when a logger was given,
                                      # else printed; also written to save_path when one was given (in a
                                      # TIPC run: to the step's log folder, under save_path's file name)

The report has AutoLog's sections (Env, Paddle, Conf, Model, Data and Perf info) with one `` key: value`` line per
item. Differences from AutoLog, all on purpose: no background process samples memory, so cpu_rss(MB) is the
process's resident memory when report() runs (psutil, when importable), gpu_rss(MB) is Paddle's peak allocation
when gpu_ids is given and Paddle has CUDA, and gpu_util is None; each Perf item is on its own line; times are
measured with time.perf_counter. The first ``warmup`` iterations are left out of the times, as in AutoLog, except
that with no more iterations than ``warmup`` all of them are kept (AutoLog raises ValueError there). data_num
counts every iteration, as in AutoLog.

``format_report`` and the helpers it uses are the single definition of this report format in the repo:
pact_cls/predictor.py (deploy/inference_python/infer.py --benchmark=True) loads this file by its path and formats
its own report with them, so an installed AutoLog does not change that report.
"""
import os
import platform
import time

__all__ = ["AutoLogger", "Times", "format_report", "env_info", "paddle_info", "config_info", "cpu_rss_mb",
           "gpu_rss_mb", "perf_info"]

IS_TIPC_SHIM = True  # lets a caller tell this stand-in from AutoLog itself
LOG_API_VERSION = "1.0"
DEFAULT_TIME_KEYS = ("preprocess_time", "inference_time", "postprocess_time")
CONF_KEYS = ("runtime_device", "ir_optim", "enable_memory_optim", "enable_tensorrt", "enable_mkldnn",
             "cpu_math_library_num_threads")
RULE = "-" * 22


# --------------------------------------------------------------------------- the report format

def section_title(title):
    return f"{RULE} {title} {RULE}"


def format_sections(sections, identifier=None):
    """The report text of ``[(title, [(key, value), ...]), ...]``: a title line per section, then
    `` key: value`` lines (``[identifier] key: value`` with an identifier, as AutoLog writes them)."""
    prefix = f"[{identifier}]" if identifier else ""
    lines = []
    for title, items in sections:
        lines.append(section_title(title))
        lines.extend(f"{prefix} {key}: {value}" for key, value in items)
    return "\n".join(lines)


def format_report(conf, model, data, perf, identifier=None):
    """The whole report: Env and Paddle info of this process, then the given Conf, Model, Data and Perf items
    (each a list of (key, value); see config_info and perf_info for the usual Conf and Perf items)."""
    return format_sections([("Env info", env_info()), ("Paddle info", paddle_info()), ("Conf info", conf),
                            ("Model info", model), ("Data info", data), ("Perf info", perf)], identifier)


def _paddle():
    try:
        import paddle

        return paddle
    except Exception:  # a broken Paddle install must not stop the report
        return None


def env_info():
    """[(key, value)] of the Env info section: OS, and the CUDA/cuDNN versions Paddle was built with."""
    paddle = _paddle()
    cuda = cudnn = "None"
    if paddle is not None:
        try:
            cuda, cudnn = paddle.version.cuda(), paddle.version.cudnn()
        except Exception:
            cuda = cudnn = "None"
    return [("OS_version", f"{platform.system()} {platform.release()}"), ("CUDA_version", cuda),
            ("CUDNN_version", cudnn), ("drivier_version", "None")]  # AutoLog's spelling, kept for log parsers


def paddle_info():
    """[(key, value)] of the Paddle info section."""
    paddle = _paddle()
    version = commit = "None"
    if paddle is not None:
        version = getattr(paddle, "__version__", "None")
        commit = getattr(getattr(paddle, "version", None), "commit", None) or getattr(paddle, "__git_commit__", "None")
    return [("paddle_version", version), ("paddle_commit", commit), ("log_api_version", LOG_API_VERSION)]


def _call(getter):
    try:
        return getter()
    except Exception:  # not a paddle.inference.Config, or a Paddle without that method
        return "None"


def _memory_optim_enabled(config):
    """paddle.inference.Config has no getter for it (enable_memory_optim() would SET it): read summary()'s row."""
    for line in str(config.summary()).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] == "memory_optim":
            return cells[1].lower() == "true"
    return "None"


def _mkldnn_enabled(config):
    method = getattr(config, "mkldnn_enabled", None) or config.onednn_enabled  # Paddle 3 also names it oneDNN
    return method()


def config_info(inference_config):
    """[(key, value)] of the Conf info section, from a paddle.inference.Config, a dict with those keys, or None
    (values that cannot be read are "None")."""
    if inference_config is None:
        return [(key, "None") for key in CONF_KEYS]
    if isinstance(inference_config, dict):
        return [(key, inference_config.get(key, "None")) for key in CONF_KEYS]
    c = inference_config
    getters = {
        "runtime_device": lambda: "gpu" if c.use_gpu() else "cpu",
        "ir_optim": lambda: c.ir_optim(),
        "enable_memory_optim": lambda: _memory_optim_enabled(c),
        "enable_tensorrt": lambda: c.tensorrt_engine_enabled(),
        "enable_mkldnn": lambda: _mkldnn_enabled(c),
        "cpu_math_library_num_threads": lambda: c.cpu_math_library_num_threads(),
    }
    return [(key, _call(getters[key])) for key in CONF_KEYS]


def cpu_rss_mb():
    """This process's resident memory in MB, or None without psutil."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil.Process(os.getpid()).memory_info().rss / 1024.0 / 1024.0


def gpu_rss_mb():
    """Paddle's peak GPU memory allocation in MB, or None (no CUDA build, no GPU)."""
    paddle = _paddle()
    try:
        return paddle.device.cuda.max_memory_allocated() / 1024.0 / 1024.0
    except Exception:
        return None


def _number(value):
    return "None" if value is None else f"{value:.4f}"


def perf_info(total_s, times_ms, cpu_rss=None, gpu_rss=None, gpu_util=None):
    """[(key, value)] of the Perf info section. times_ms: {time key: mean milliseconds} in report order."""
    items = [("cpu_rss(MB)", _number(cpu_rss)), ("gpu_rss(MB)", _number(gpu_rss)), ("gpu_util", f"{gpu_util}%"),
             ("total time spent(s)", _number(total_s))]
    return items + [(f"{key}(ms)", _number(ms)) for key, ms in times_ms.items()]


# --------------------------------------------------------------------------- timing

class Times:
    """Per-iteration stage times: start(), one stamp() per finished stage, end(). The n-th stamp of an
    iteration measures the time since the previous one (or since start()) and is filed under keys[n-1];
    stamps beyond the keys go to ``stamps_<n>``. The first ``warmup`` iterations are left out of value()."""

    def __init__(self, keys=DEFAULT_TIME_KEYS, warmup=0):
        self.keys = list(keys)
        self.warmup = max(0, int(warmup or 0))
        self.reset()

    def reset(self):
        self.times = {key: [] for key in self.keys}
        self.total_time = []  # seconds per finished iteration
        self._stamps = []

    def start(self, stamp=True):
        self._stamps = [time.perf_counter()] if stamp else []

    def stamp(self):
        now = time.perf_counter()
        if not self._stamps:  # no start(): as AutoLog does, start here, so this stage counts as 0 s
            self._stamps.append(now)
        self._stamps.append(now)
        n = len(self._stamps) - 1
        if n > len(self.keys):
            self.keys.append(f"stamps_{n}")
        self.times.setdefault(self.keys[n - 1], []).append(self._stamps[-1] - self._stamps[-2])

    def end(self, stamp=False):
        if stamp:
            self.stamp()
        if self._stamps:
            self.total_time.append(self._stamps[-1] - self._stamps[0])
        self._stamps = []

    def _kept(self, values):
        return values[self.warmup:] if len(values) > self.warmup else values

    def count(self):
        """Finished iterations, warmup included."""
        return len(self.total_time)

    def value(self, key=None, mode=None):
        """{key: seconds}: the mean (mode="mean"), the sum (mode="sum") or the kept values (otherwise)."""
        result = {}
        for k in key or self.keys:
            kept = self._kept(self.times.get(k, []))
            if mode == "mean":
                result[k] = sum(kept) / len(kept) if kept else 0.0
            elif mode == "sum":
                result[k] = sum(kept)
            else:
                result[k] = list(kept)
        return result

    def total(self):
        """Seconds spent in the kept iterations."""
        return sum(self._kept(self.total_time))


# --------------------------------------------------------------------------- AutoLogger

def report_file(save_path):
    """Where report() writes: under a TIPC run (TIPC_STEP_LOG_DIR, set by the harness for every step) into the
    step's log folder, as <log folder>/<file name of save_path>, so a suite's predictor does not leave its report
    (PaddleClas: deploy/auto_log.log) in the repo's tree; elsewhere save_path itself."""
    log_dir = os.environ.get("TIPC_STEP_LOG_DIR")
    return os.path.join(log_dir, os.path.basename(save_path)) if log_dir else save_path


class AutoLogger:
    """AutoLog's AutoLogger: collects the run's settings, times the iterations (``.times``), report() prints."""

    def __init__(self, model_name=None, model_precision=None, batch_size=None, data_shape=None, save_path=None,
                 inference_config=None, pids=None, process_name=None, gpu_ids=None, time_keys=DEFAULT_TIME_KEYS,
                 warmup=0, logger=None, **kwargs):
        self.autolog_version = LOG_API_VERSION
        self.model_name = model_name
        self.precision = model_precision
        self.batch_size = batch_size
        self.data_shape = data_shape
        self.save_path = save_path
        self.paddle_infer_config = inference_config
        self.pids = pids if pids is not None else os.getpid()
        self.process_name = process_name
        self.gpu_ids = gpu_ids
        self.time_keys = list(time_keys) if time_keys else list(DEFAULT_TIME_KEYS)
        self.times = Times(keys=self.time_keys, warmup=warmup)
        self.logger = logger
        # Read now, as AutoLog does: some predictors hand over a Config that is changed or released later.
        self.config_status = dict(config_info(inference_config))

    def report_text(self, identifier=None):
        means = self.times.value(key=self.time_keys, mode="mean")
        gpu_rss = gpu_rss_mb() if self.gpu_ids is not None else None
        perf = perf_info(self.times.total(), {key: means[key] * 1000.0 for key in self.time_keys},
                         cpu_rss=cpu_rss_mb(), gpu_rss=gpu_rss)
        model = [("model_name", self.model_name), ("precision", self.precision)]
        data = [("batch_size", self.batch_size), ("input_shape", self.data_shape),
                ("data_num", self.times.count())]
        return format_report(list(self.config_status.items()), model, data, perf, identifier)

    def report(self, identifier=None):
        text = self.report_text(identifier)
        if self.logger is not None:
            for line in text.splitlines():
                self.logger.info(line)
        else:
            print(text, flush=True)
        if self.save_path:
            path = report_file(self.save_path)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        return text
