"""The checker looks at the repo, not only at the file: what the config points at must be there, so a config
that passes check_config.py does not fail at run time for a missing script, config file, image or python, or for
a device key the scripts cannot take. The harness validates with the same checker before it runs anything."""
import re
import subprocess
import sys

import pytest

from conftest import FIXTURES
from fake_repo import CONFIG, EXT_HEADER, calls, config_lines, harness, write_config


def check(repo, config=CONFIG):
    return subprocess.run([sys.executable, "test_tipc/check_config.py", config], cwd=repo, capture_output=True,
                          text=True)


CASES = {
    # name: (config line changes, the message naming the line)
    "missing script": ({"l22": "norm_export:fake/no_export.py"},
                       r"fake\.txt:22: export script \(line 22\): expected the script 'fake/no_export\.py' to exist"),
    "missing -c config file": ({"l14": "pact_train:fake/train.py -c configs/missing.yaml"},
                               r"fake\.txt:14: .*expected the config file '-c configs/missing\.yaml' to exist"),
    "missing image": ({"l31": "--img-path:./imgs/missing.jpg"},
                      r"fake\.txt:31: image path argument \(line 31\): expected the image or image folder "
                      r"'\./imgs/missing\.jpg' to exist"),
    "device key without dashes": ({"l5": "use-gpu:False"},
                                  r"fake\.txt:5: .*the key 'use-gpu' is not an option \(no leading '-'\): the harness "
                                  r"would pass 'use-gpu=False' as a positional word"),
    "inference device key without dashes": ({"l28": "use_gpu:True|False"},
                                            r"fake\.txt:28: .*the key 'use_gpu' is not an option"),
    "missing interpreter": ({"l3": "python:python3.7-not-here"},
                            r"fake\.txt:3: python command \(line 3\): expected a command on PATH or a path to a "
                            r"python, found 'python3\.7-not-here'"),
    "unbalanced quote": ({"l14": 'pact_train:fake/train.py -o Global.name="a b'},
                         r"fake\.txt:14: .*has unbalanced quotes"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_checker_names_what_would_fail_at_run_time(fake_repo, case):
    changes, message = CASES[case]
    write_config(fake_repo, config_lines(**changes))
    proc = check(fake_repo)
    assert proc.returncode == 2 and re.search(message, proc.stderr), proc.stderr
    run = harness(fake_repo)  # the harness refuses the same config before running anything
    assert run.returncode == 2 and re.search(message, run.stderr), run.stderr
    assert calls(fake_repo) == []


def test_the_upstream_step6_config_is_refused_for_its_dashless_device_key(fake_repo):
    """The guide's own example config has 'use-gpu:True' on line 5: upstream's harness dropped it silently."""
    lines = (FIXTURES / "upstream_train_pact_infer_python.txt").read_text(encoding="utf-8").splitlines()
    lines[4] = "use-gpu:True"
    write_config(fake_repo, lines, rel="test_tipc/configs/step6/train_pact_infer_python.txt")
    proc = check(fake_repo, "test_tipc/configs/step6/train_pact_infer_python.txt")
    assert proc.returncode == 2
    assert "train_pact_infer_python.txt:5: " in proc.stderr and "'use-gpu=True' as a positional word" in proc.stderr


def test_quoted_values_in_commands_reach_the_script_as_one_word(fake_repo):
    """PaddleClas's own configs write -o Global.pretrained_model="..."; quotes group a value with spaces."""
    write_config(fake_repo, config_lines(l14='pact_train:fake/train.py --pact_quant --note="two words"'))
    proc = harness(fake_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    train = [c for c in calls(fake_repo) if "--pact_quant" in c["argv"]][0]
    assert "--note=two words" in train["argv"]


def test_a_dashless_key_is_fine_after_a_trailing_option(fake_repo):
    """PaddleOCR's style: the train command ends with -o and line 5's key is Global.use_gpu."""
    write_config(fake_repo, config_lines(l5="Global.device:cpu", l14="pact_train:fake/train.py --pact_quant -o",
                                         l17="eval:fake/train.py --test-only --pact_quant -o"))
    assert check(fake_repo).returncode == 0, check(fake_repo).stderr


PARSER = '''import argparse


class ArgsParser(argparse.ArgumentParser):
    def __init__(self):
        super().__init__()
        self.add_argument("-c", "--config")
        self.add_argument("-o", "--opt", nargs="*"{action})

    def _parse_opt(self, opts):
        config = {{}}
        for s in opts:
            k, v = s.split("=", 1)
            keys = k.split(".")
            cur = config.setdefault(keys[0], {{}})
            for idx, key in enumerate(keys[1:]):
                if idx == len(keys) - 2:
                    cur[key] = v
                else:
                    {level}
                    cur = cur[key]
        return config
'''


def parser_repo(fake_repo, action="", level="cur[key] = {}", **changes):
    """The fake repo with a training script whose -o parser lives in a module it imports (as ppdet's
    tools/train.py imports ppdet.utils.cli)."""
    (fake_repo / "fake" / "detlib").mkdir(exist_ok=True)
    (fake_repo / "fake" / "detlib" / "__init__.py").write_text("", encoding="utf-8")
    (fake_repo / "fake" / "detlib" / "cli.py").write_text(PARSER.format(action=action, level=level), encoding="utf-8")
    (fake_repo / "fake" / "det_train.py").write_text("from detlib.cli import ArgsParser\n", encoding="utf-8")
    (fake_repo / "x.yml").write_text("epoch: 1\n", encoding="utf-8")
    write_config(fake_repo, config_lines(l5="-o use_gpu:False", **changes))
    return check(fake_repo)


def test_an_option_the_parser_keeps_once_is_refused_naming_the_declaration(fake_repo):
    proc = parser_repo(fake_repo, l14="pact_train:fake/det_train.py -c x.yml -o worker_num=0")
    assert proc.returncode == 2
    assert ("fake.txt:14: training script of the trainer (trainer name as key) (line 14): -o is given 2 times in "
            "the pact_train_cpu/train command, but fake/detlib/cli.py:8 declares it with nargs='*' and no "
            "action='append': argparse keeps only the last -o, so worker_num would be dropped; add the extension "
            "line list_options:-o") in proc.stderr, proc.stderr
    assert calls(fake_repo) == []


def test_an_option_the_parser_appends_or_the_config_gathers_passes(fake_repo):
    command = "pact_train:fake/det_train.py -c x.yml -o worker_num=0"
    assert parser_repo(fake_repo, action=', action="append"', l14=command).returncode == 0
    lines = config_lines(l5="-o use_gpu:False", l14=command) + [EXT_HEADER, "list_options:-o"]
    write_config(fake_repo, lines)
    assert check(fake_repo).returncode == 0, check(fake_repo).stderr


def test_nested_items_a_level_resetting_parser_would_lose_are_refused(fake_repo):
    command = "pact_train:fake/det_train.py -c x.yml -o A.B.c=1 A.B.d=2"
    parser_repo(fake_repo, l14=command)
    write_config(fake_repo, config_lines(l5="-o use_gpu:False", l14=command) + [EXT_HEADER, "list_options:-o"])
    proc = check(fake_repo)
    assert proc.returncode == 2 and ("-o items A.B.c and A.B.d of the pact_train_cpu/train command share their "
                                     "parent A.B, but the parser at fake/detlib/cli.py:8 starts that parent afresh "
                                     "for each item") in proc.stderr, proc.stderr
    parser_repo(fake_repo, level="cur = cur.setdefault(key, {})  # keeps what is there", l14=command)
    write_config(fake_repo, config_lines(l5="-o use_gpu:False", l14=command) + [EXT_HEADER, "list_options:-o"])
    assert check(fake_repo).returncode == 0, check(fake_repo).stderr
