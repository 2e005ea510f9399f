"""Which op types oneDNN runs in int8: ``auto`` picks a measured list per kind of CPU (standard library only).

An empty set would mean "every op oneDNN can quantize", which is never chosen automatically: besides the
convolutions and fc it includes pool2d, whose int8 output takes a scale propagated from its input (PACT gives
pool2d no scale of its own), and concat, for which oneDNN could not create an int8 primitive in a PACT
segmentation model (reported for PaddleSeg pphumanseg_lite on Paddle 2.6.2: the predictor aborted; not reproduced
with this template). Measured on the 355
whole_train_whole_infer digits with one PACT MobileNetV3-small (FP32 and PACT dygraph top-1 98.87%), on an Intel
Xeon with AMX and on the same CPU with oneDNN capped to AVX512-VNNI and to AVX2 (ONEDNN_MAX_CPU_ISA, i.e. the int8
kernels of those CPUs):
  every op (empty set)                         96.06% AMX   96.06% VNNI   95.49% AVX2
  fused_conv2d + pool2d                        95.77% AMX
  conv2d, depthwise_conv2d, pool2d             98.31% AMX   98.31% VNNI   98.31% AVX2
  conv2d, depthwise_conv2d, fused_conv2d       99.44% AVX2
  conv2d, depthwise_conv2d, fused_conv2d, fc   99.15% AMX   99.15% VNNI   99.44% AVX2
Inference fuses most convolutions with their batch norm and activation into ``fused_conv2d`` before the int8
placement, so a list without that name leaves most convolutions in FP32. Without VNNI, oneDNN multiplies u8 x s8
pairs into 16-bit sums that can saturate; on a real AVX2-only CPU int8 fc alone cost another MobileNetV3-small 2
points (96.90%), so fc stays FP32 there.
"""
import os

CONV_OPS = ("conv2d", "depthwise_conv2d", "fused_conv2d")
AUTO_INT8_OPS = {"vnni": CONV_OPS + ("fc",), "no_vnni": CONV_OPS}
AUTO_INT8_WHY = {"vnni": "CPU with VNNI; pool2d stays FP32",
                 "no_vnni": "no VNNI on this CPU: fc and pool2d stay FP32"}
VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
# oneDNN can be held to the kernels of an older instruction set (ONEDNN_MAX_CPU_ISA, or DNNL_MAX_CPU_ISA in older
# releases), e.g. AVX2 to see on this machine what a CPU without VNNI does. These caps leave no VNNI.
ISA_CAPS_WITHOUT_VNNI = ("SSE41", "AVX", "AVX2", "AVX512_CORE")


def onednn_isa_cap():
    """The instruction-set cap oneDNN is given by the environment ("" when none)."""
    return (os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "").strip().upper()


def cpuinfo_field(name):
    """The value of the first ``name : value`` line of /proc/cpuinfo (Linux); None where there is none."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, sep, value = line.partition(":")
                if sep and key.strip() == name:
                    return value.strip()
    except OSError:
        pass
    return None


def cpu_name():
    import platform

    return cpuinfo_field("model name") or platform.processor() or platform.machine()


def cpu_has_vnni():
    """True/False from /proc/cpuinfo's flags (Linux), False when oneDNN is capped below VNNI; None where the flags
    cannot be read."""
    if onednn_isa_cap() in ISA_CAPS_WITHOUT_VNNI:
        return False
    flags = cpuinfo_field("flags")
    return None if flags is None else any(flag in flags.split() for flag in VNNI_FLAGS)


def mkldnn_int8_ops(int8_ops):
    """The op types for enable_mkldnn_int8 (an empty set: every op it supports) and how they were chosen."""
    if int8_ops == "all":
        return set(), "all (--int8-ops=all: every op oneDNN can quantize; may cost accuracy)"
    if int8_ops != "auto":
        ops = {op.strip() for op in int8_ops.split(",") if op.strip()}
        return ops, ", ".join(sorted(ops))
    kind = "vnni" if cpu_has_vnni() else "no_vnni"
    why, cap = AUTO_INT8_WHY[kind], onednn_isa_cap()
    if kind == "no_vnni" and cap in ISA_CAPS_WITHOUT_VNNI:
        why = f"oneDNN capped to {cap}, without VNNI: fc and pool2d stay FP32"
    return set(AUTO_INT8_OPS[kind]), f"{', '.join(AUTO_INT8_OPS[kind])} ({why})"
