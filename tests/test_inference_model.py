"""test_tipc/pact_tipc/model_files.py reads the op types of an exported program without Paddle: a quantized model is one
whose program runs quantize ops, not one whose file merely names them (a .pdmodel's op version map lists
fake_channel_wise_* op names in FP32 programs too, which made FP32 .pdmodel exports look int8)."""
import tipc_checks
from program_bytes import program


def test_op_types_come_from_the_ops_not_the_version_map(tmp_path):
    model = tipc_checks.inference_model
    fp32 = tmp_path / "fp32.pdmodel"
    fp32.write_bytes(program(["feed", "conv2d", "fetch"], versioned=["fake_channel_wise_quantize_abs_max"]))
    int8 = tmp_path / "int8.pdmodel"
    int8.write_bytes(program(["feed", "quantize_linear", "dequantize_linear", "conv2d", "fetch"]))
    assert model.pdmodel_op_types(fp32.read_bytes()) == {"feed", "conv2d", "fetch"}
    assert not model.is_quantized_model(str(fp32))
    assert model.is_quantized_model(str(int8))
    pir = tmp_path / "int8.json"
    pir.write_text('{"ops": [{"#": "p", "n": "pd_op.dequantize_linear"}]}', encoding="utf-8")
    assert model.is_quantized_model(str(pir)) and model.is_quantized_model(pir)  # a path object too
    assert model.is_quantized_model(int8) and not model.is_quantized_model(fp32)
