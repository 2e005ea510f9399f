"""Which layers PACT quantizes (pact_cls.quant, pact_cls.engine.build_network), with real Paddle and PaddleSlim.

A new PACT training leaves the 1x1 convolutions of squeeze-excitation blocks in FP32; weights written under the
older rule (every Conv2D and Linear quantized) must still load, into a network quantized the way they were.
Each case runs in a Python process of its own inside the baked repo, which prints the facts as JSON."""
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

PROBE = r"""
import json, sys
import paddle
from pact_cls import engine, quant

arch, num_classes = sys.argv[1], 4
facts = {}
model, _ = engine.build_network(arch, num_classes, pact=True)
keys = list(model.state_dict())
facts["new_fp32"] = sorted(k[:-len(".weight")] for k in keys if k.endswith(".weight") and "._" not in k
                           and k[:-len(".weight")] in dict(quant._quantizable(model)))
facts["new_quantized"] = len([k for k in keys if k.endswith("._layer.weight")])
paddle.save(model.state_dict(), "new_rule.pdparams")

# weights of the older rule: every Conv2D and Linear quantized
old = paddle.vision.models.__dict__[arch](num_classes=num_classes)
quant.quantize(old)
paddle.save(old.state_dict(), "old_rule.pdparams")

for name in ("new_rule", "old_rule"):
    loaded, _ = engine.build_network(arch, num_classes, weights=f"{name}.pdparams", pact=True, evaluate=True)
    facts[name + "_loads_with_fp32"] = sorted(quant.fp32_layers_of_state_dict(
        paddle.vision.models.__dict__[arch](num_classes=num_classes), paddle.load(f"{name}.pdparams")))
    facts[name + "_same_keys"] = sorted(loaded.state_dict()) == sorted(paddle.load(f"{name}.pdparams"))
print("FACTS " + json.dumps(facts))
"""


def probe(repo, arch, tmp_path):
    proc = subprocess.run([sys.executable, "-c", PROBE, arch], cwd=tmp_path, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(repo)), timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("FACTS ")]
    assert line, proc.stdout[-2000:]
    return json.loads(line[-1][len("FACTS "):])


def test_mobilenet_v3_leaves_squeeze_excitation_in_fp32_and_loads_weights_of_either_rule(baked_reference, tmp_path):
    facts = probe(baked_reference, "mobilenet_v3_small", tmp_path)
    # mobilenet_v3_small has 9 squeeze-excitation blocks, each with two 1x1 convolutions fc1 and fc2.
    assert len(facts["new_fp32"]) == 18, facts["new_fp32"]
    assert all(".mid_se.fc" in name for name in facts["new_fp32"]), facts["new_fp32"]
    assert facts["new_quantized"] > 0
    assert facts["new_rule_loads_with_fp32"] == facts["new_fp32"] and facts["new_rule_same_keys"]
    assert facts["old_rule_loads_with_fp32"] == [] and facts["old_rule_same_keys"]


def test_networks_without_squeeze_excitation_quantize_every_layer(baked_reference, tmp_path):
    facts = probe(baked_reference, "resnet18", tmp_path)
    assert facts["new_fp32"] == [] and facts["new_quantized"] > 0
    assert facts["new_rule_same_keys"] and facts["old_rule_same_keys"]
