"""Which layers PACT quantizes (pact_cls.quant, pact_cls.engine.build_network), with real Paddle and PaddleSlim.

A new PACT training quantizes every Conv2D and Linear layer, or with --fp32-layers=se leaves the 1x1 convolutions of
squeeze-excitation blocks in FP32; PACT weights of either kind must load into a network quantized the way they were,
whatever the option says. Each case runs in a Python process of its own inside the baked repo, which prints the
facts as JSON."""
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
for choice in ("none", "se"):
    model, _ = engine.build_network(arch, num_classes, pact=True, fp32_layers=choice)
    keys = list(model.state_dict())
    plain = sorted(n for n, _ in quant._quantizable(model) if n + ".weight" in keys)
    facts[choice] = {"fp32": plain, "kept": sorted(quant.layers_kept_fp32(model)),
                     "quantized": len([k for k in keys if k.endswith("._layer.weight")])}
    paddle.save(model.state_dict(), f"{choice}.pdparams")
for choice in ("none", "se"):
    # the other choice on the command line: the weights decide
    other = {"none": "se", "se": "none"}[choice]
    loaded, _ = engine.build_network(arch, num_classes, weights=f"{choice}.pdparams", pact=True, evaluate=True,
                                     fp32_layers=other)
    facts[choice]["reloaded_kept"] = sorted(quant.layers_kept_fp32(loaded))
    facts[choice]["reloaded_same_keys"] = sorted(loaded.state_dict()) == sorted(paddle.load(f"{choice}.pdparams"))
print("FACTS " + json.dumps(facts))
"""


def probe(repo, arch, tmp_path):
    proc = subprocess.run([sys.executable, "-c", PROBE, arch], cwd=tmp_path, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(repo)), timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("FACTS ")]
    assert line, proc.stdout[-2000:]
    return json.loads(line[-1][len("FACTS "):])


def test_mobilenet_v3_keeps_squeeze_excitation_fp32_on_request_and_weights_keep_their_layers(baked_reference,
                                                                                             tmp_path):
    facts = probe(baked_reference, "mobilenet_v3_small", tmp_path)
    assert facts["none"]["fp32"] == [] and facts["none"]["kept"] == []
    # mobilenet_v3_small has 9 squeeze-excitation blocks, each with two 1x1 convolutions fc1 and fc2.
    se = facts["se"]["fp32"]
    assert len(se) == 18 and all(".mid_se.fc" in name for name in se), se
    assert facts["se"]["kept"] == se
    assert facts["se"]["quantized"] == facts["none"]["quantized"] - 18 > 0
    for choice in ("none", "se"):
        assert facts[choice]["reloaded_kept"] == facts[choice]["kept"] and facts[choice]["reloaded_same_keys"]


def test_networks_without_squeeze_excitation_quantize_every_layer(baked_reference, tmp_path):
    facts = probe(baked_reference, "resnet18", tmp_path)
    for choice in ("none", "se"):
        assert facts[choice]["fp32"] == [] and facts[choice]["quantized"] > 0
        assert facts[choice]["reloaded_same_keys"]
