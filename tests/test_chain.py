"""The real CPU chain of the baked reference repo: Paddle trains, exports and infers (slow)."""
import re
import shutil
import sys

import pytest

import tipc_checks
from reference_repo import CONFIG, MODE, MODEL, harness, prepare, run

pytestmark = pytest.mark.slow


def set_config_line(repo, number, text, config=CONFIG):
    path = repo / config
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def chain(baked_reference, tmp_path_factory):
    """Prepare + run the reference chain (CPU entries) once, in a path with a space."""
    repo = tmp_path_factory.mktemp("chain") / "with space" / MODEL
    shutil.copytree(baked_reference, repo)
    prepared = prepare(repo)
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    result = harness(repo)
    return repo, result


def test_cpu_chain_passes_and_every_step_is_real(chain):
    repo, result = chain
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert tipc_checks.check_chain(repo, MODEL, MODE, tags=["cpu", "cpu_x2"]) == []
    assert re.search(r"\b0 failed\b", result.stdout), result.stdout[-2000:]


def test_two_process_entry_writes_once_and_ranks_train_the_same_weights(chain):
    repo, _ = chain
    save_dir = repo / "log" / MODEL / MODE / "pact_train_cpu_x2"
    assert sorted(p.name for p in save_dir.glob("*.pdparams")) == ["latest.pdparams"]
    assert tipc_checks.model_file(save_dir) is not None
    worker_logs = sorted((save_dir / "launch_logs").glob("workerlog.*"))
    assert [p.name for p in worker_logs] == ["workerlog.0", "workerlog.1"]
    digests = [re.findall(r"rank (\d)/2 trainable weights sha256: (\w+)", p.read_text()) for p in worker_logs]
    assert [d[0][0] for d in digests] == ["0", "1"], digests
    assert digests[0][0][1] == digests[1][0][1], f"ranks ended with different weights: {digests}"


def test_exported_pact_model_is_int8(chain, tmp_path):
    """Quantize/dequantize ops, and a params file at most 0.35x the FP32 export of the same network."""
    repo, _ = chain
    pact_dir = repo / "log" / MODEL / MODE / "pact_train_cpu"
    fp32_out = tmp_path / "fp32"
    trained = run([sys.executable, "train.py", "--device=cpu", "--epochs=1", "--data-path=./lite_data",
                   f"--output-dir={fp32_out}"], repo)
    assert trained.returncode == 0, trained.stderr[-3000:]
    exported = run([sys.executable, "tools/export_model.py", f"--model={MODEL}",
                    f"--pretrained={fp32_out}/latest.pdparams", f"--save-inference-dir={fp32_out}/infer"], repo)
    assert exported.returncode == 0, exported.stderr[-3000:]
    fp32_model = tipc_checks.model_file(fp32_out / "infer")
    assert fp32_model is not None
    assert tipc_checks.check_quantized_model(fp32_out / "infer") != []  # the FP32 export has no quant ops
    fp32_bytes = fp32_model.with_suffix(".pdiparams").stat().st_size
    assert tipc_checks.check_quantized_model(pact_dir, fp32_params_bytes=fp32_bytes, max_ratio=0.35) == []


def test_inference_prints_a_class_line_per_image(chain):
    repo, _ = chain
    model_dir = repo / "log" / MODEL / MODE / "pact_train_cpu"
    result = run([sys.executable, "deploy/inference_python/infer.py", f"--model-dir={model_dir}",
                  "--img-path=./lite_data/val", "--batch-size=4", "--use-gpu=False"], repo)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = tipc_checks.infer_lines(result.stdout)
    assert len(lines) == len(list((repo / "lite_data" / "val").rglob("*.jpg"))) == 16
    assert all(0.0 <= prob <= 1.0 for _, _, prob in lines)


def test_chain_can_be_repeated_in_the_same_directory(chain):
    repo, _ = chain
    assert prepare(repo).returncode == 0
    again = harness(repo)
    assert again.returncode == 0, again.stdout[-4000:]
    assert tipc_checks.check_chain(repo, MODEL, MODE, tags=["cpu", "cpu_x2"]) == []
    rotated = list((repo / "log" / MODEL).glob(f"{MODE}.prev-*"))
    assert rotated and (rotated[0] / "results_python.log").is_file(), "the first run's logs were not kept"


def test_broken_data_path_fails_the_chain(baked_reference, tmp_path):
    repo = tmp_path / "broken" / MODEL
    shutil.copytree(baked_reference, repo)
    set_config_line(repo, 4, "gpu_list:-1")
    set_config_line(repo, 5, "--device:cpu")
    set_config_line(repo, 11, "--data-path:./nowhere")
    result = harness(repo)
    assert result.returncode == 1, result.stdout[-3000:]
    rows = tipc_checks.read_results(repo / "log" / MODEL / MODE)
    failed = [cmd for ok, cmd in rows if not ok]
    assert failed and "--data-path=./nowhere" in failed[0]
    assert not any(ok for ok, _ in rows), "a step after the failed train was reported as passed"
    assert re.search(r"\b[1-9]\d* failed\b", result.stdout)
    assert "data set folder" in (repo / "log" / MODEL / MODE / "pact_train_cpu_train.log").read_text()


def test_pact_without_paddleslim_exits_with_install_hint(baked_reference, no_paddleslim):
    result = run([sys.executable, "train.py", "--device=cpu", "--epochs=1", "--data-path=./nowhere", "--pact_quant"],
                 baked_reference, {"PYTHONPATH": str(no_paddleslim)})
    assert result.returncode != 0
    assert "pip install paddleslim" in result.stderr
    assert "Traceback" not in result.stderr


def test_int8_model_agrees_with_the_pact_dygraph_model(chain, tmp_path):
    repo, _ = chain
    save_dir = repo / "log" / MODEL / MODE / "pact_train_cpu"
    gt = tmp_path / "gt.json"
    result = run([sys.executable, "tools/check_accuracy.py", f"--model={MODEL}",
                  f"--pretrained={save_dir / 'latest.pdparams'}", f"--model-dir={save_dir}",
                  "--img-path=./lite_data/val", f"--save-results={gt}"], repo)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    # Every image the same class; the barely trained lite network gives nearly equal probabilities to its classes,
    # so an image may flip where the PACT model's own top two are within --tie-margin: listed as a near-tie.
    agree = re.search(r"same class as the PACT dygraph model: (\d+)/16(?: \(\+(\d+) near-ties)?", result.stdout)
    assert agree and int(agree.group(1)) + int(agree.group(2) or 0) == 16, result.stdout
    assert "class differs:" not in result.stdout.replace("near-tie, class differs:", ""), result.stdout
    # a perturbed ground truth must fail the compare step
    text = gt.read_text()
    first = re.search(r'"class_id": (\d+)', text)
    gt.write_text(text.replace(first.group(0), f'"class_id": {int(first.group(1)) + 1}', 1))
    compared = run([sys.executable, "tools/check_accuracy.py", f"--model-dir={save_dir}",
                    "--img-path=./lite_data/val", f"--compare-results={gt}"], repo)
    assert compared.returncode == 1, compared.stdout
    assert "1 mismatches" in compared.stdout


@pytest.mark.parametrize("flags, message", [
    (["--use-gpu=True"], "no CUDA GPU or no CUDA build of Paddle"),
    (["--use-gpu=False", "--use-tensorrt=True"], "TensorRT runs on NVIDIA GPUs only"),
])
def test_gpu_inference_on_a_cpu_machine_fails_clearly(chain, flags, message):
    repo, _ = chain
    model_dir = repo / "log" / MODEL / MODE / "pact_train_cpu"
    result = run([sys.executable, "deploy/inference_python/infer.py", f"--model-dir={model_dir}", *flags], repo)
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert message in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------- whole_train_whole_infer

WHOLE = "whole_train_whole_infer"
FP32_WEIGHTS = f"./pretrain_models/{MODEL}_fp32.pdparams"


def shrink_whole_mode(repo):
    """The reference config's whole_train_whole_infer, made cheap: one CPU entry, 1 FP32 and 1 PACT epoch, and a
    small "whole" tarball prepare.sh finds in place (it builds test_images/whole_data.tar only when it is missing).
    The top-1 and agreement bars stay on with values any run meets: 1 epoch says nothing about accuracy."""
    built = run([sys.executable, "test_tipc/make_lite_data.py", "--num-classes=10", "--train-per-class=8",
                 "--val-per-class=4", "--root-name=whole_data", "--output=test_images/whole_data.tar"], repo)
    assert built.returncode == 0, built.stderr
    path = repo / CONFIG
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3], lines[4] = "gpu_list:-1", "--device:cpu"
    lines[5] = lines[5].replace(f"{WHOLE}=2", f"{WHOLE}=1")
    lines[33] = lines[33].replace("--max-top1-drop=1.0 --min-agreement=0.99", "--max-top1-drop=100 --min-agreement=0")
    lines[38] = lines[38].replace("--epochs=10", "--epochs=1")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_whole_train_whole_infer_trains_fp32_then_fine_tunes_it_with_pact(baked_reference, tmp_path):
    repo = tmp_path / "whole run" / MODEL
    shutil.copytree(baked_reference, repo)
    shrink_whole_mode(repo)
    prepared = prepare(repo, mode=WHOLE)
    assert prepared.returncode == 0, prepared.stdout[-3000:] + prepared.stderr[-3000:]
    assert "training the FP32 weights (config line 39)" in prepared.stdout
    assert (repo / FP32_WEIGHTS).is_file() and (repo / "whole_data" / "val" / "9").is_dir()
    train_log = (repo / f"pretrain_models/{MODEL}_fp32_train/train.log").read_text()
    assert f"[train] FP32 {MODEL}, 10 classes, 80 train / 40 val images" in train_log
    # prepared weights are kept: a second prepare does not train again
    again = prepare(repo, mode=WHOLE)
    assert again.returncode == 0 and "FP32 weights found" in again.stdout, again.stdout + again.stderr

    result = harness(repo, mode=WHOLE)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert tipc_checks.check_chain(repo, MODEL, WHOLE, tags=["cpu"]) == []
    rows = tipc_checks.read_results(repo / "log" / MODEL / WHOLE)
    train_cmd = next(cmd for ok, cmd in rows if tipc_checks.step_of(cmd) == "train")
    for arg in (f"--pretrained={FP32_WEIGHTS}", "--data-path=./whole_data", "--epochs=1", "--batch-size=32"):
        assert arg in train_cmd.split(), train_cmd
    pact_log = (repo / "log" / MODEL / WHOLE / "pact_train_cpu_train.log").read_text()
    assert f"[train] PACT QAT {MODEL}, 10 classes" in pact_log and f"from {FP32_WEIGHTS}" in pact_log
    accuracy_log = (repo / "log" / MODEL / WHOLE / "pact_train_cpu_accuracy.log").read_text()
    table = tipc_checks.top1_table(accuracy_log)
    assert table[0] == "top-1 on the 40 labelled images of ./whole_data/val:", table
    assert [row.split()[0:2] for row in table[1:4]] == [["FP32", "dygraph"], ["PACT", "dygraph"],
                                                       ["int8", "inference"]], table
    assert re.match(r"int8 inference vs FP32: [-+]\d+\.\d\d points$", table[4]), table
