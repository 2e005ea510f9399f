"""The entries of gpu_list (line 4): what kind of device each one is, the environment and launcher words its
commands start with, and the tag that names its logs."""
import os
from typing import NamedTuple

from .values import word_safe


class DeviceEntry(NamedTuple):
    """One gpu_list entry: -1 (one CPU process), -1,-1 (two), 0 (GPU 0), 0,1 (GPUs 0 and 1)."""
    text: str
    kind: str   # cpu or gpu
    nproc: int
    tag: str    # names its logs and output folder: cpu, cpu_x2, gpus_0, gpus_0,1

    @classmethod
    def parse(cls, text):
        items = text.split(",")
        kind = "cpu" if set(items) == {"-1"} else "gpu"
        if kind == "cpu":
            tag = "cpu" if len(items) == 1 else f"cpu_x{len(items)}"
        else:
            tag = f"gpus_{text}"
        return cls(text, kind, len(items), tag)

    def env(self):
        """The environment words in front of every command of the entry. GPU entries expose every card of the
        entry (0,1 means both cards). A single CPU process hides all cards. A multi-process CPU entry must not
        set CUDA_VISIBLE_DEVICES at all: paddle.distributed.launch reads an empty value as one GPU label and
        fails (IndexError in _build_pod_with_master, Paddle 2.6 and 3.x); unset, a CPU build of Paddle detects
        no GPU and starts the processes over gloo."""
        if self.kind == "gpu":
            return ["env", f"CUDA_VISIBLE_DEVICES={self.text}"]
        if self.nproc > 1:
            return ["env", "-u", "CUDA_VISIBLE_DEVICES"]
        return ["env", "CUDA_VISIBLE_DEVICES="]

    def launch(self, log_dir):
        """The words that start a multi-process entry under paddle.distributed.launch (none for one process):
        CPU entries run N processes over gloo, GPU entries one process per listed card."""
        if self.nproc <= 1:
            return []
        spread = f"--nproc_per_node={self.nproc}" if self.kind == "cpu" else f"--devices={self.text}"
        return ["-m", "paddle.distributed.launch", f"--log_dir={log_dir}", spread]


def device_entries(config):
    return [DeviceEntry.parse(text) for text in config.value("gpu_list").split("|")]


def entry_device(config, index):
    """Line 5's value for the INDEX-th entry; a value without alternatives applies to every entry."""
    values = config.value("device").split("|")
    return values[0] if len(values) == 1 else values[index]


def selected_entries(config, devices):
    """(index, entry, reason it is not selected or "") for every gpu_list entry."""
    return [(i, e, "" if devices in ("all", e.kind) else f"entry {e.text} not selected (TIPC_DEVICES={devices})")
            for i, e in enumerate(device_entries(config))]


def infer_device_tag(value):
    lower = (value or "").lower()
    if lower in ("true", "gpu"):
        return "gpu"
    if lower in ("false", "cpu"):
        return "cpu"
    if lower in ("", "null"):
        return "default"
    return word_safe(value)


# Where the system zlib usually is. Paddle 2.6's libpaddle.so exports its own copy of zlib's functions; once it is
# loaded, a zlib call from Python (scikit-image at PaddleSeg's import, PaddleDetection's eval) runs that copy and
# crashes (SIGSEGV in deflateReset / inflateReset2). Loading the system zlib first (LD_PRELOAD) makes every zlib call
# bind to it.
SYSTEM_ZLIB = ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/aarch64-linux-gnu/"
               "libz.so.1", "/usr/lib/aarch64-linux-gnu/libz.so.1", "/lib64/libz.so.1", "/usr/lib64/libz.so.1")


def zlib_preload(environ):
    """The system zlib the steps preload ("" when TIPC_PRELOAD_ZLIB=0 or none is found)."""
    if environ.get("TIPC_PRELOAD_ZLIB") == "0":
        return ""
    return next((path for path in SYSTEM_ZLIB if os.path.exists(path)), "")
