"""Paddle program files written byte by byte (a .pdmodel is a ProgramDesc protobuf), for tests of the readers that
need no Paddle: test_tipc/pact_tipc/model_files.py."""


def varint(value):
    value &= (1 << 64) - 1  # negative dims as the 10-byte two's complement protobuf writes
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number, payload):
    """A length-delimited protobuf field."""
    return bytes([number << 3 | 2]) + varint(len(payload)) + payload


def varint_field(number, value):
    return bytes([number << 3]) + varint(value)


def var_desc(name, dims, persistable=False, dtype=5):
    """A VarDesc of a dense tensor (dtype 5: float32)."""
    tensor = varint_field(1, dtype) + b"".join(varint_field(2, d) for d in dims)
    var_type = varint_field(1, 7) + field(3, field(1, tensor))
    return field(1, name.encode()) + field(2, var_type) + (varint_field(3, 1) if persistable else b"")


def op_desc(op_type, outputs=(), attrs=()):
    """An OpDesc: its type, outputs [(slot, [names])] and attributes [(name, str or int)]."""
    out = field(3, op_type.encode())
    for slot, names in outputs:
        out += field(2, field(1, slot.encode()) + b"".join(field(2, n.encode()) for n in names))
    for name, value in attrs:
        payload = field(5, value.encode()) if isinstance(value, str) else varint_field(3, value)
        out += field(4, field(1, name.encode()) + payload)
    return out


def program(op_types, versioned=()):
    """A ProgramDesc with one block running OP_TYPES and an op version map naming VERSIONED."""
    ops = b"".join(field(4, field(3, op.encode())) for op in op_types)
    version_map = b"".join(field(1, field(1, op.encode())) for op in versioned)
    return field(1, ops) + field(4, version_map)
