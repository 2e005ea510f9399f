#!/usr/bin/env python3
"""Validate a train_pact_infer_python.txt config before the TIPC scripts run anything.

Usage: python3 test_tipc/check_config.py CONFIG [MODE]

Prints one message per problem, ``CONFIG:LINE: <what the line is>: expected ..., found '...'``,
and exits 2; prints nothing and exits 0 when the config is valid. Script paths are checked
relative to the current directory (run it from the repo root, as the shell scripts are).
Standard library only: it runs before Paddle or any other dependency is known to be there.
"""
import os
import re
import sys

MODES = (
    "lite_train_lite_infer",
    "lite_train_whole_infer",
    "whole_train_whole_infer",
    "whole_infer",
)

# The guide's 32-line layout (section 2.2): line number -> (fixed key or None, what the line is).
# None means the key is the contributor's own argument name (e.g. "--epochs"); headers and "##"
# separators are listed in HEADER_LINES and carry no key at all.
CONFIG_LINES = {
    1: (None, "train_params header"),
    2: ("model_name", "model name"),
    3: ("python", "python command"),
    4: ("gpu_list", "device list (-1 = CPU process, card ids = GPUs; '|' separates entries)"),
    5: (None, "device argument and its value per gpu_list entry"),
    6: (None, "epochs argument (per mode)"),
    7: (None, "training output directory argument"),
    8: (None, "training batch size argument (per mode)"),
    9: (None, "pretrained weights argument"),
    10: ("train_model_name", "file name of the weights training saves"),
    11: (None, "data set path argument"),
    12: (None, "separator"),
    13: ("trainer", "list of trainers"),
    14: (None, "training script of the trainer (trainer name as key)"),
    15: (None, "separator"),
    16: (None, "eval_params header"),
    17: ("eval", "evaluation script"),
    18: (None, "separator"),
    19: (None, "infer_params header"),
    20: (None, "export output directory argument"),
    21: (None, "export weights argument"),
    22: ("norm_export", "export script"),
    23: (None, "separator"),
    24: ("train_model", "trained weights for whole_infer"),
    25: ("infer_export", "export script for whole_infer"),
    26: (None, "separator"),
    27: ("inference", "inference script"),
    28: (None, "inference device argument and values"),
    29: (None, "inference batch size argument and values"),
    30: (None, "inference model directory argument"),
    31: (None, "image path argument"),
    32: (None, "benchmark argument"),
}
REQUIRED_LINES = len(CONFIG_LINES)
HEADER_LINES = (1, 12, 15, 16, 18, 19, 23, 26)
GPU_ITEM = re.compile(r"^(-1|[0-9]+)$")


class Checker:
    def __init__(self, path, mode=None):
        self.path = path
        self.mode = mode
        self.errors = []
        self.lines = []

    def error(self, number, message):
        self.errors.append(f"{self.path}:{number}: {message}" if number else f"{self.path}: {message}")

    def meaning(self, number):
        return f"{CONFIG_LINES[number][1]} (line {number})"

    def line(self, number):
        return self.lines[number - 1] if number <= len(self.lines) else None

    def key_value(self, number):
        text = self.line(number)
        if text is None or ":" not in text:
            return None, None
        key, value = text.split(":", 1)
        return key, value

    def run(self):
        if self.mode is not None and self.mode not in MODES:
            self.errors.append(
                f"MODE argument: expected one of {', '.join(MODES)}, found '{self.mode}'"
            )
        try:
            with open(self.path, encoding="utf-8") as handle:
                # Split on newlines only, as bash's mapfile does (\r\n is already folded to \n).
                self.lines = handle.read().split("\n")
            if self.lines and self.lines[-1] == "":
                self.lines.pop()
        except (OSError, UnicodeDecodeError) as exc:
            self.error(None, f"cannot read the config file ({exc.__class__.__name__}: {exc}); "
                             "pass the path of a train_pact_infer_python.txt, relative to the repo root")
            return self.errors
        if len(self.lines) < REQUIRED_LINES:
            self.error(None, f"expected at least {REQUIRED_LINES} lines (the guide's "
                             f"train_pact_infer_python.txt layout), found {len(self.lines)}")
        self.check_colons()
        self.check_fixed_keys()
        self.check_model_name()
        self.check_devices()
        self.check_modes()
        self.check_trainers()
        self.check_scripts()
        return self.errors

    def check_colons(self):
        for number in range(1, REQUIRED_LINES + 1):
            text = self.line(number)
            if text is None or number in HEADER_LINES:
                continue
            if ":" not in text:
                self.error(number, f"{self.meaning(number)}: expected 'key:value', found '{text}'")

    def check_fixed_keys(self):
        for number, (expected, meaning) in CONFIG_LINES.items():
            key, _ = self.key_value(number)
            if expected is None or key is None:
                continue
            if key != expected:
                self.error(number, f"line {number} should be {meaning} (`{expected}:...`), "
                                   f"found '{self.line(number)}'")

    def check_model_name(self):
        key, value = self.key_value(2)
        if key != "model_name":
            return
        if not value or "/" in value or any(c.isspace() for c in value):
            self.error(2, f"{self.meaning(2)}: expected a non-empty name without '/' or spaces "
                          f"(it names log/<model_name>/), found '{value}'")

    def check_devices(self):
        key, gpu_list = self.key_value(4)
        if key != "gpu_list":
            return
        entries = gpu_list.split("|")
        valid = True
        for entry in entries:
            items = entry.split(",")
            if not all(GPU_ITEM.match(item) for item in items):
                self.error(4, f"{self.meaning(4)}: expected entries like -1, -1,-1, 0 or 0,1 "
                              f"separated by '|', found entry '{entry}' in '{gpu_list}'")
                valid = False
            elif "-1" in items and set(items) != {"-1"}:
                self.error(4, f"{self.meaning(4)}: expected each entry to be all CPU processes "
                              f"(-1,-1) or all GPU ids (0,1), found mixed entry '{entry}'")
                valid = False
        _, devices = self.key_value(5)
        if devices is None or not valid:
            return
        count = len(devices.split("|"))
        if count not in (1, len(entries)):
            self.error(5, f"{self.meaning(5)}: expected one value for all entries or one per "
                          f"gpu_list entry ({len(entries)}), found {count} in '{devices}'")

    def check_modes(self):
        for number in (6, 8):
            _, value = self.key_value(number)
            if value is None or "=" not in value:
                continue
            for item in value.split("|"):
                mode = item.split("=", 1)[0]
                if "=" not in item or mode not in MODES:
                    self.error(number, f"{self.meaning(number)}: expected mode=value items with a "
                                       f"mode from {', '.join(MODES)}, found '{item}'")

    def check_trainers(self):
        key13, value13 = self.key_value(13)
        key14, value14 = self.key_value(14)
        if key13 != "trainer" or key14 is None:
            return
        trainers = [t for t in value13.split("|") if t]
        if not trainers:
            self.error(13, f"{self.meaning(13)}: expected at least one trainer, e.g. "
                           f"'trainer:pact_train', found '{self.line(13)}'")
            return
        if key14 not in trainers:
            self.error(14, f"{self.meaning(14)}: expected the key to be a trainer listed on line 13 "
                           f"({', '.join(trainers)}), found '{self.line(14)}'")
        for trainer in trainers:
            if trainer != key14:
                self.error(13, f"{self.meaning(13)}: trainer '{trainer}' has no script line; "
                               f"expected '{trainer}:<script>' on line 14, found '{self.line(14)}'")

    def check_scripts(self):
        numbers = [14, 17, 22, 27]
        if self.mode in (None, "whole_infer"):
            numbers.append(25)
        for number in numbers:
            key, value = self.key_value(number)
            expected = CONFIG_LINES[number][0]
            if key is None or (expected is not None and key != expected):
                continue
            words = value.split()
            if not words:
                self.error(number, f"{self.meaning(number)}: expected a script path (or null), "
                                   f"found '{self.line(number)}'")
            elif words[0] == "null" and number == 27:
                self.error(number, f"{self.meaning(number)}: expected a script path (inference "
                                   f"cannot be switched off), found '{self.line(number)}'")
            elif words[0] != "null" and not os.path.isfile(words[0]):
                self.error(number, f"{self.meaning(number)}: expected the script "
                                   f"'{words[0]}' to exist relative to {os.getcwd()}, found no such file")


def main(argv):
    if len(argv) not in (2, 3):
        print(f"usage: python3 {argv[0]} CONFIG [MODE]", file=sys.stderr)
        return 2
    errors = Checker(argv[1], argv[2] if len(argv) == 3 else None).run()
    for message in errors:
        print(message, file=sys.stderr)
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
