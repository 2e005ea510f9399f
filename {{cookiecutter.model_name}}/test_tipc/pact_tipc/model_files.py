"""An exported inference model folder and its program, read without Paddle (standard library only).

A model is ``<prefix>.json`` (Paddle 3's PIR program) or ``<prefix>.pdmodel`` (ProgramDesc protobuf) with its
``<prefix>.pdiparams`` beside it. What the harness needs from the program: the op types it runs (a quantized
program runs quantize ops), its feeds (name, shape, dtype: the int8 step builds its inputs from them) and the
element count of its parameters (the FP32 size the int8 params file is compared with).
"""
import glob
import json
import os
import re
from collections import Counter
from typing import NamedTuple, Tuple

MODEL_PREFIX = "inference"
# Op types only a quantized program runs: PaddleSlim's quantize_linear/dequantize_linear, and the fake_* quantize
# ops of older exports.
QUANT_OP_MARKS = ("quantize_linear", "fake_quantize", "fake_channel_wise", "fake_dequantize")
# ProgramDesc's VarType.Type numbers of the tensor element types.
PROTO_DTYPES = {0: "bool", 1: "int16", 2: "int32", 3: "int64", 4: "float16", 5: "float32", 6: "float64",
                20: "uint8", 21: "int8", 22: "bfloat16"}
DTYPE_BYTES = {"bool": 1, "int16": 2, "int32": 4, "int64": 8, "float16": 2, "float32": 4, "float64": 8,
               "uint8": 1, "int8": 1, "bfloat16": 2}
PIR_DTYPES = {"f32": "float32", "f64": "float64", "f16": "float16", "bf16": "bfloat16", "i32": "int32",
              "i64": "int64", "i8": "int8", "ui8": "uint8", "b": "bool", "i16": "int16"}


class NoModel(Exception):
    """The folder is missing or holds no inference model; the message says which and what to do."""


class Feed(NamedTuple):
    name: str
    shape: Tuple[int, ...]  # -1 where the size is decided at run time
    dtype: str


def find_model_files(model_dir):
    """(model file, params file) of the inference model in ``model_dir``: ``.json`` before ``.pdmodel``, and for
    each ``inference.<ext>`` before other prefixes; a .json without its .pdiparams (train_args.json) is no model."""
    model_dir = str(model_dir)
    if not os.path.isdir(model_dir):
        raise NoModel(f"inference model folder {model_dir!r} not found: the export writes it")
    for ext in (".json", ".pdmodel"):
        candidates = sorted(glob.glob(os.path.join(glob.escape(model_dir), "*" + ext)))
        preferred = [c for c in candidates if os.path.basename(c) == MODEL_PREFIX + ext]
        for model_file in preferred + candidates:
            params = model_file[: -len(ext)] + ".pdiparams"
            if os.path.isfile(params):
                return model_file, params
    raise NoModel(f"{model_dir!r} holds no inference model (*.json or *.pdmodel with its .pdiparams)")


def is_quantized_model(model_file):
    """Whether the program in MODEL_FILE runs quantize ops (is_quantized)."""
    return is_quantized(read_program(model_file))


def is_quantized(program):
    """Whether a Program runs quantize ops. The op types are those of the program's ops: a .pdmodel also lists op
    names it does not run (its op version map names fake_channel_wise_* ops in FP32 programs too)."""
    return any(mark in op for op in program.op_types for mark in QUANT_OP_MARKS)


class Program(NamedTuple):
    op_types: Counter      # op type -> how many ops of it the program runs
    feeds: Tuple[Feed, ...]
    param_elements: int    # elements of its persistable tensors (0 where the format does not say)
    int8_ops: Counter      # op type -> ops marked to run in int8 (an optimized oneDNN program; empty otherwise)


def read_program(model_file):
    """The Program of a .json or .pdmodel file; NoModel when the file is not a Paddle program."""
    model_file = str(model_file)
    try:
        with open(model_file, "rb") as f:
            content = f.read()
        if model_file.endswith(".json"):
            return _read_pir(content.decode("utf-8", errors="replace"))
        return _read_pdmodel(content)
    except (OSError, ValueError, IndexError, UnicodeDecodeError) as err:
        raise NoModel(f"cannot read the program {model_file!r}: not a Paddle inference program "
                      f"({type(err).__name__}: {err}); export the model again") from err


# ---------------------------------------------------------------- PIR (.json)

PIR_OP_NAME = re.compile(r'"(?:[0-9]+\.|pd_op\.)?([a-z_0-9]+)"')


def _read_pir(text):
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    ops = list(_pir_ops(data)) if data is not None else []
    if not ops:  # not the layout read below: at least the op names
        return Program(Counter(PIR_OP_NAME.findall(text)), (), 0, Counter())
    types, feeds, elements = Counter(), [], 0
    for op in ops:
        name = str(op.get("#", "")).split(".", 1)[-1]
        types[name] += 1
        attrs = {a.get("N"): (a.get("AT") or {}).get("D") for a in op.get("A", []) if isinstance(a, dict)}
        if name == "data":
            feeds.append(Feed(str(attrs.get("name")), tuple(int(d) for d in attrs.get("shape") or ()),
                              str(attrs.get("dtype") or "float32")))
        elif name == "p":
            shape = _pir_output_shape(op)
            if shape and all(d >= 0 for d in shape):
                elements += _product(shape)
    return Program(types, tuple(feeds), elements, Counter())


def _pir_ops(data):
    try:
        for region in data["program"]["regions"]:
            for block in region["blocks"]:
                yield from block["ops"]
    except (KeyError, TypeError):
        return


def _pir_output_shape(op):
    try:
        return [int(d) for d in op["O"]["TT"]["D"][1]]
    except (KeyError, TypeError, IndexError, ValueError):
        return None


def _product(shape):
    n = 1
    for d in shape:
        n *= d
    return n


# ---------------------------------------------------------------- ProgramDesc (.pdmodel)

def _fields(data):
    """(field number, wire type, value) of a protobuf message: varints as ints, length-delimited fields as bytes."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = data[pos:pos + size], pos + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def _varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _signed(value):
    return value - (1 << 64) if value >= 1 << 63 else value


def _op(op):
    """(type, {input slot: [names]}, {output slot: [names]}, {attr name: int or str}) of an OpDesc
    (inputs = 1, outputs = 2, type = 3, attrs = 4; Var: parameter = 1, arguments = 2; Attr: name = 1, i = 3,
    s = 5)."""
    op_type, inputs, outputs, attrs = None, {}, {}, {}
    for number, wire, value in _fields(op):
        if number == 3 and wire == 2:
            op_type = value.decode()
        elif number in (1, 2) and wire == 2:
            slot, names = None, []
            for n, w, v in _fields(value):
                if n == 1 and w == 2:
                    slot = v.decode()
                elif n == 2 and w == 2:
                    names.append(v.decode())
            (inputs if number == 1 else outputs)[slot] = names
        elif number == 4 and wire == 2:
            name = found = None
            for n, w, v in _fields(value):
                if n == 1 and w == 2:
                    name = v.decode()
                elif n == 3 and w == 0:
                    found = _signed(v)
                elif n == 5 and w == 2:
                    found = v.decode(errors="replace")
            attrs[name] = found
    return op_type, inputs, outputs, attrs


def _var(var):
    """(name, persistable, dtype, shape) of a VarDesc (name = 1, type = 2, persistable = 3; VarType: lod_tensor = 3
    or dense tensor; LoDTensorDesc: tensor = 1; TensorDesc: data_type = 1, dims = 2)."""
    name, persistable, dtype, shape = None, False, None, ()
    for number, wire, value in _fields(var):
        if number == 1 and wire == 2:
            name = value.decode()
        elif number == 3 and wire == 0:
            persistable = bool(value)
        elif number == 2 and wire == 2:
            for n, w, v in _fields(value):
                if n == 3 and w == 2:
                    for n2, w2, v2 in _fields(v):
                        if n2 == 1 and w2 == 2:
                            dtype, shape = _tensor_desc(v2)
    return name, persistable, dtype, shape


def _tensor_desc(data):
    dtype, dims = None, []
    for n, w, v in _fields(data):
        if n == 1 and w == 0:
            dtype = PROTO_DTYPES.get(v, str(v))
        elif n == 2 and w == 0:
            dims.append(_signed(v))
        elif n == 2 and w == 2:  # packed
            pos = 0
            while pos < len(v):
                d, pos = _varint(v, pos)
                dims.append(_signed(d))
    return dtype, tuple(dims)


def _read_pdmodel(content):
    types, int8, feeds, elements = Counter(), Counter(), [], 0
    for number, wire, block in _fields(content):
        if number != 1 or wire != 2:
            continue
        variables, feed_order = {}, []
        for n, w, item in _fields(block):
            if n == 3 and w == 2:
                name, persistable, dtype, shape = _var(item)
                variables[name] = (persistable, dtype, shape)
            elif n == 4 and w == 2:
                op_type, _, outputs, attrs = _op(item)
                types[op_type] += 1
                if attrs.get("mkldnn_data_type") == "int8" and op_type not in ("quantize", "dequantize",
                                                                                "requantize"):
                    int8[op_type] += 1
                if op_type == "feed":
                    for name in outputs.get("Out", []):
                        feed_order.append((attrs.get("col") or 0, name))
        for _, name in sorted(feed_order):
            _, dtype, shape = variables.get(name, (False, None, ()))
            feeds.append(Feed(name, shape, dtype or "float32"))
        elements += sum(_product(shape) for persistable, _, shape in variables.values()
                        if persistable and shape and all(d >= 0 for d in shape))
    return Program(types, tuple(feeds), elements, int8)


def pdmodel_op_types(content):
    """The op types of a .pdmodel program."""
    return set(_read_pdmodel(content).op_types)
