"""What a step that exited 0 must have done, checked after it by the harness (standard library only), and whether
a GPU entry can run here.

- ``weights``: training wrote the weights evaluation and export read (FILE, or FILE.pdparams);
- ``model``: the export left an inference model in its folder (model_files.find_model_files);
- ``predictions``: inference printed a result for each input image: without a pattern, a line that names the image
  (its file name, as the reference's ``image_name: <path>, ...`` and PaddleClas's ``<path>: class id(s): ...`` do);
  with the config's infer_pattern, one matching line per image (Python regular expressions, the dialect the
  checker validated it in);
- ``outputs``: inference wrote a result file for each input image into its output folder (the config's infer_output
  argument): a file whose name without extension is the image's (PaddleSeg's <save_dir>/<image name>.png);
- ``cuda_problem``: why this python's Paddle cannot run a GPU entry ("" when it can);
- ``failure_hint``: a known cause of a failed step, read from its log ("" when none is recognised);
- ``eval_metrics``: the last metrics line of each evaluation log of a run, for the summary.

Each check returns the problem as a message, or "" when the step did its work.
"""
import os
import re
import shutil

from . import model_files
from .devices import zlib_preload
from .images import input_images


def weights(path, where):
    if os.path.isfile(path) or os.path.isfile(path + ".pdparams"):
        return ""
    return (f"TIPC: the step exited 0 but did not write {path}, which evaluation and export read (config {where}, "
            "names the weights file the training saves in its output directory)")


def model(folder):
    try:
        model_files.find_model_files(folder)
        return ""
    except model_files.NoModel:
        return (f"TIPC: the step exited 0 but {folder} holds no inference model (*.pdmodel or *.json, with its "
                ".pdiparams) for inference to run")


def predictions(log, img_path, pattern="", where=""):
    """Every input image has its result line in LOG (see the module's docstring)."""
    images = input_images(img_path) or [img_path]
    with open(log, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    if pattern:
        found = sum(1 for line in lines if re.search(pattern, line))
        if found >= len(images):
            return ""
        return (f"TIPC: the step exited 0 but printed {found} prediction line(s) for {len(images)} image(s): lines "
                f"matching {pattern} ({where})")
    text = "\n".join(lines)
    missing = [image for image in images if os.path.basename(image) not in text]
    if not missing:
        return ""
    return (f"TIPC: the step exited 0 but printed {len(images) - len(missing)} prediction line(s) for {len(images)} "
            f"image(s): no line names {os.path.basename(missing[0])}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + "; a prediction line names its image's file; if your inference prints another format, give its "
              "pattern on an infer_pattern line")


def outputs(folder, img_path):
    """Every input image has its result file in FOLDER (see the module's docstring)."""
    images = input_images(img_path) or [img_path]
    written = set()
    for _, _, files in os.walk(folder):
        written.update(os.path.splitext(f)[0] for f in files)
    missing = [image for image in images if os.path.splitext(os.path.basename(image))[0] not in written]
    if not missing:
        return ""
    if not written:
        return (f"TIPC: the step exited 0 but wrote no result file into {folder} for its {len(images)} image(s) (the "
                "config's infer_output line names the argument that gives the inference script that folder)")
    return (f"TIPC: the step exited 0 but wrote result files for {len(images) - len(missing)} of {len(images)} "
            f"image(s) into {folder}: none named after {os.path.basename(missing[0])}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))


def cuda_problem():
    """Why a GPU entry cannot run with this python ("" when it can): no nvidia-smi, no CUDA build of Paddle, no
    visible GPU."""
    if not shutil.which("nvidia-smi"):
        return "nvidia-smi not found"
    try:
        import paddle
    except Exception as err:  # not installed, or broken
        return f"paddle cannot be imported ({type(err).__name__}: {err})"
    if not paddle.device.is_compiled_with_cuda():
        return "this paddle is a CPU build (install paddlepaddle-gpu)"
    if paddle.device.cuda.device_count() < 1:
        return "paddle sees no CUDA GPU"
    return ""


# Paddle 2.6's libpaddle.so exports its own copy of zlib's functions; a Python zlib call made after `import paddle`
# lands in that copy and crashes (SIGSEGV in deflateReset / inflateReset2), e.g. PaddleSeg's skimage import.
ZLIB_CRASH = re.compile(r"^\s*\d+\s+(deflateReset|inflateReset2|inflateReset|deflate|inflate)\w*\s*$", re.M)
METRIC_LINE = re.compile(r"\b(mIoU|top-?1|bbox mAP|mAP|hmean|acc(uracy)?)\b\s*[:=(]"
                         r"|Average Precision\s+\(AP\) @\[ IoU=0\.50:0\.95 \| area=\s*all", re.I)


def failure_hint(log, status):
    """A known cause of a failed step, from its log and exit STATUS ("" when none is recognised)."""
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    if str(status) in ("139", "134") and ZLIB_CRASH.search(text):
        libz = zlib_preload({}) or "libz.so.1"
        return ("the step crashed in zlib (a C++ traceback ending in a zlib function): Paddle 2.6's libpaddle.so "
                "exports zlib's functions, and a zlib call made after `import paddle` runs that copy. The harness "
                "preloads the system zlib unless TIPC_PRELOAD_ZLIB=0 or it finds none: run with "
                f"LD_PRELOAD={libz} (the path of your system's libz.so.1)")
    return ""


def eval_metrics(log_path):
    """'<chain>: <line>' for each *_eval.log in LOG_PATH: its last line that reports a metric (mIoU, top1, mAP,
    acc, ...), as the evaluation script printed it."""
    out = []
    for name in sorted(os.listdir(log_path)) if os.path.isdir(log_path) else []:
        if not name.endswith("_eval.log"):
            continue
        with open(os.path.join(log_path, name), encoding="utf-8", errors="replace") as f:
            lines = [line.strip() for line in f if METRIC_LINE.search(line)]
        out.append(f"{name[: -len('_eval.log')]}: {lines[-1] if lines else '(no metrics line in its log)'}")
    return out
