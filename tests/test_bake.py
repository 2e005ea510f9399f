"""Baking the template: default and other answers, layouts, and answers the pre-gen hook must refuse."""
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException, OutputDirExistsException
from cookiecutter.main import cookiecutter

from conftest import CONFIG_REL, TEMPLATE_ROOT

TEMPLATE_DIR = TEMPLATE_ROOT / "{{cookiecutter.model_name}}"
REFERENCE_FILES = [
    "train.py", "tools/export_model.py", "deploy/inference_python/infer.py", "images/demo.jpg",
    "requirements.txt", "README.md", "pact_cls/__init__.py",
]
TIPC_FILES = [
    "test_tipc/README.md", "test_tipc/docs/test_train_pact_inference_python.md", "test_tipc/prepare.sh",
    "test_tipc/common_func.sh", "test_tipc/test_train_inference_python.sh", "test_tipc/make_lite_data.py",
]


def config_lines(project, name):
    return (project / CONFIG_REL.format(name=name)).read_text(encoding="utf-8").splitlines()


# The default answers give the layout of the guide's MobileNetV3 reference config, line for line (32 lines), with
# per-mode values on lines 9 and 11 for whole_train_whole_infer (FP32 weights to fine-tune, the whole digits set) and
# the digits training settings on the script lines; then the optional extension lines 33-39: the accuracy check (with
# a top-1 bar in whole_train_whole_infer), the inference loops of the reference infer.py, and the FP32 pretraining
# that prepare.sh runs for whole_train_whole_infer.
REFERENCE_CONFIG = "".join(line + "\n" for line in [
    "===========================train_params===========================",
    "model_name:mobilenet_v3_small",
    "python:python",
    "gpu_list:-1|-1,-1|0|0,1",
    "--device:cpu|cpu|gpu|gpu",
    "--epochs:lite_train_lite_infer=5|whole_train_whole_infer=2",
    "--output-dir:./output/",
    "--batch-size:lite_train_lite_infer=4|whole_train_whole_infer=32",
    "--pretrained:lite_train_lite_infer=null|lite_train_whole_infer=null|"
    "whole_train_whole_infer=./pretrain_models/mobilenet_v3_small_fp32.pdparams",
    "train_model_name:latest.pdparams",
    "--data-path:lite_train_lite_infer=./lite_data|lite_train_whole_infer=./lite_data|"
    "whole_train_whole_infer=./whole_data",
    "##",
    "trainer:pact_train",
    "pact_train:train.py --pact_quant --model=mobilenet_v3_small --img-size=64 --crop-scale-min=0.5 "
    "--hflip=False --bn-momentum=0.9 --optimizer=adamw --lr=0.0005",
    "##",
    "===========================eval_params===========================",
    "eval:train.py --test-only --pact_quant --model=mobilenet_v3_small --img-size=64",
    "##",
    "===========================infer_params===========================",
    "--save-inference-dir:./output/mobilenet_v3_small_infer/",
    "--pretrained:",
    "norm_export:tools/export_model.py --model=mobilenet_v3_small --pact_quant --img-size=64",
    "##",
    "train_model:./pretrain_models/mobilenet_v3_small_pact.pdparams",
    "infer_export:tools/export_model.py --model=mobilenet_v3_small --pact_quant --img-size=64",
    "##",
    "inference:deploy/inference_python/infer.py",
    "--use-gpu:True|False",
    "--batch-size:1",
    "--model-dir:./output/mobilenet_v3_small_infer/",
    "--img-path:./images/demo.jpg",
    "--benchmark:True",
    "===========================infer_benchmark_params===========================",
    "accuracy_check:lite_train_lite_infer=tools/check_accuracy.py --model=mobilenet_v3_small "
    "--img-path=./lite_data/val|lite_train_whole_infer=tools/check_accuracy.py "
    "--model=mobilenet_v3_small --img-path=./lite_data/val|"
    "whole_train_whole_infer=tools/check_accuracy.py --model=mobilenet_v3_small "
    "--img-path=./whole_data/val --fp32-weights=./pretrain_models/mobilenet_v3_small_fp32.pdparams "
    "--max-top1-drop=1.0 --min-agreement=0.99|whole_infer=tools/check_accuracy.py "
    "--model=mobilenet_v3_small --img-path=./lite_data/val",
    "enable_mkldnn:--enable-mkldnn:True|False",
    "cpu_threads:--cpu-threads:2",
    "precision:--precision:auto",
    "use_tensorrt:--use-tensorrt:False",
    "fp32_pretrain:train.py --model=mobilenet_v3_small --img-size=64 --crop-scale-min=0.5 --hflip=False "
    "--bn-momentum=0.9 --optimizer=adamw --lr=0.005 --epochs=10 --batch-size=32",
    "fp32_export:tools/export_model.py --model=mobilenet_v3_small --img-size=64",
])

def test_default_bake_is_the_mobilenet_v3_small_reference(baked_reference):
    assert baked_reference.name == "mobilenet_v3_small"
    for rel in REFERENCE_FILES + TIPC_FILES:
        assert (baked_reference / rel).is_file(), rel
    config = baked_reference / CONFIG_REL.format(name="mobilenet_v3_small")
    assert config.read_bytes() == REFERENCE_CONFIG.encode("utf-8")


def test_shell_scripts_are_copied_without_rendering(baked_reference):
    for script in sorted((TEMPLATE_DIR / "test_tipc").glob("*.sh")) + sorted((TEMPLATE_DIR / "test_tipc").glob("*.py")):
        baked = baked_reference / "test_tipc" / script.name
        assert baked.read_bytes() == script.read_bytes(), f"{script.name} was changed by rendering"


def test_other_answers_reach_the_config(cookies):
    result = cookies.bake(extra_context={"model_name": "digit_resnet", "__architecture": "resnet18",
                                         "python": "python3"})
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    assert project.name == "digit_resnet"
    lines = config_lines(project, "digit_resnet")
    assert lines[1] == "model_name:digit_resnet"
    assert lines[2] == "python:python3"
    assert "--model=resnet18" in lines[13] and "--model=resnet18" in lines[21]


def test_cpu_only_bake_has_no_gpu_inference(cookies):
    """gpu_list without GPU entries: inference loops over the CPU value only, and there is no TensorRT line."""
    result = cookies.bake(extra_context={"gpu_list": "-1|-1,-1"})
    assert result.exit_code == 0, result.exception
    lines = config_lines(Path(result.project_path), "mobilenet_v3_small")
    assert lines[27] == "--use-gpu:False"
    assert not [line for line in lines if line.startswith("use_tensorrt:")]
    default = config_lines(Path(cookies.bake().project_path), "mobilenet_v3_small")
    assert default[27] == "--use-gpu:True|False" and "use_tensorrt:--use-tensorrt:False" in default


def test_null_keys_render_as_null_lines(cookies):
    """An argument the contributor's script does not have is written null:null, not null:<the default value>."""
    result = cookies.bake(extra_context={"layout": "test_tipc_only", "__benchmark_key": "null",
                                         "__img_path_key": "null", "__use_gpu_key": "null",
                                         "__infer_batch_size_key": "null"})
    assert result.exit_code == 0, result.exception
    lines = config_lines(Path(result.project_path), "mobilenet_v3_small")
    assert [lines[n - 1] for n in (28, 29, 31, 32)] == ["null:null"] * 4


def test_test_tipc_only_layout_generates_only_the_tree(cookies):
    result = cookies.bake(extra_context={"layout": "test_tipc_only"})
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    for rel in TIPC_FILES:
        assert (project / rel).is_file(), rel
    assert sorted(p.name for p in project.iterdir()) == ["test_tipc"]


@pytest.mark.parametrize("name", ["my model", "model;rm", "-model", ".model", "mödel"])
def test_invalid_model_name_is_refused_and_leaves_nothing(tmp_path, capfd, name):
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(tmp_path), extra_context={"model_name": name})
    assert "expected a name of letters, digits and _ . -" in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_empty_model_name_is_refused(tmp_path):
    # cookiecutter itself refuses it (the project folder would be the output folder) before the hook runs
    with pytest.raises(OutputDirExistsException):
        cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(tmp_path), extra_context={"model_name": ""})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("python", ["", "python; rm -rf /", "$(whoami)", "py:thon"])
def test_invalid_python_is_refused(cookies, capfd, python):
    result = cookies.bake(extra_context={"python": python})
    assert result.exit_code != 0
    assert "ERROR: python" in capfd.readouterr().err
