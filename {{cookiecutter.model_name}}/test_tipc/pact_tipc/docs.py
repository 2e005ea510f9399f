"""The parts of the generated TIPC docs that come from the config and its plan: the commands of an example entry,
the inference runs of each kind of entry, the log files. The docs hold markers (``@@dry-run@@``, ...) that the
template's post-generation hook fills from the baked config with ``fill``, so the docs show what the harness
runs, from the one planner, and nothing the plan does not have (a CPU-only config has no GPU inference row)."""
import re

from .devices import device_entries
from .plan import Planner
from .values import shell_word

MODE = "lite_train_lite_infer"
MARKER = re.compile(r"@@(example-entry|dry-run|run-output|log-tree|inference-rows|cell|key|ext|line)(?::(\w+))?@@")
EMPTY = {"en": "empty", "zh": "空"}
# What each kind of log holds, per language of the docs.
LOG_KINDS = {
    "train": ("training", "训练日志"), "eval": ("evaluation", "评估日志"), "export": ("export", "导出日志"),
    "fp32": ("FP32 export of the line-9 weights", "第 9 行 FP32 权重的导出日志"),
    "accuracy": ("accuracy check of the export", "导出模型的精度检查日志"),
    "int8": ("int8 step (report: <same name>.json)", "int8 检查日志（报告：同名 .json）"),
    "infer": ("inference", "推理日志"),
}


def command_text(step):
    """A step's command as the harness prints it (plain words as they are, others shell-quoted)."""
    text = " ".join(shell_word(word) for word in step.argv)
    return f"cd {shell_word(step.cwd)} && {text}" if step.cwd else text


class Example:
    """The plan of MODE and the chain of the example entry (the single CPU process when the config has one)."""

    def __init__(self, config):
        planner = Planner(config, MODE)
        planner.int8_off = False  # the docs describe the full chain, whatever this environment says
        self.config = config
        self.steps = planner.plan("all")
        self.entries = device_entries(config)
        self.trainers = max(1, len([t for t in config.value("trainer").split("|") if t]))
        index = next((i for i, e in enumerate(self.entries) if e.text == "-1"), 0)
        self.entry = self.entries[index]
        self.chain = [s for s in self.steps if s.chain == index * self.trainers]

    def dry_run(self):
        return "\n".join(f"[skip] {s.label}: {s.skip}" if s.skip else f"[dry-run] {command_text(s)}"
                         for s in self.chain)

    def run_output(self):
        out = []
        for s in self.chain:
            if s.skip:
                out.append(f"SKIP {s.label} ({s.skip})")
            else:
                out += [f"RUN  {s.label}", f"Run successfully with command - {command_text(s)}!",
                        f"PASS {s.label} (...s) log: {s.log}"]
        return "\n".join(out)

    def log_tree(self, lang):
        """The example chain's output folder and the logs of its steps that run."""
        column = 0 if lang == "en" else 1
        folder = self.chain[0].label.split("/", 1)[0] + "/"
        what = (f"output of entry {self.entry.text}: trained weights, the exported model" if lang == "en" else
                f"条目 {self.entry.text} 的输出：训练权重、导出的模型")
        out = [f"    |--{folder:<42} # {what}"]
        for s in self.chain:
            if not s.skip:
                kind = s.label.rsplit("/", 1)[1].split("_", 1)[0]
                out.append(f"    |--{s.log.rsplit('/', 1)[1]:<42} # {LOG_KINDS[kind][column]}")
        return "\n".join(out)

    def inference_rows(self):
        """Markdown rows | entry | step | arguments | of the inference steps of the first entry of each kind."""
        rows, seen = [], set()
        script = len(self.config.value("inference").split())
        for index, entry in enumerate(self.entries):
            if entry.kind in seen:
                continue
            seen.add(entry.kind)
            for s in self.steps:
                if s.chain != index * self.trainers or "/infer_" not in s.label or s.skip:
                    continue
                start = s.argv.index(self.config.value("python")) + 1 + script
                args = " ".join(shell_word(word) for word in s.argv[start:]).replace("|", "\\|")
                rows.append(f"| `{entry.text}` ({entry.kind.upper()}) | `{s.label.split('/', 1)[1]}` | `{args}` |")
        return "\n".join(rows)


def cell(text, lang):
    """TEXT as a markdown table cell: code, '|' escaped; an empty text says so."""
    return f"`{text}`".replace("|", "\\|") if text else EMPTY[lang]


def fill(text, config, lang):
    """TEXT with its markers replaced by what CONFIG and its plan say (LANG: en or zh): @@cell:<field>@@ and
    @@key:<field>@@ a line's value and key as table cells, @@ext:<field>@@ an extension line as written (or – when
    the config has none), @@line:<field>@@ a line as written, and the plan's blocks (@@dry-run@@, ...)."""
    example = Example(config)
    blocks = {"example-entry": lambda _: example.entry.text, "dry-run": lambda _: example.dry_run(),
              "run-output": lambda _: example.run_output(), "log-tree": lambda _: example.log_tree(lang),
              "inference-rows": lambda _: example.inference_rows(),
              "cell": lambda name: cell(config.get(name).value, lang),
              "key": lambda name: cell(config.get(name).key, lang),
              "ext": lambda name: cell(config.get(name).text, lang) if config.get(name) else "–",
              "line": lambda name: config.get(name).text}
    return MARKER.sub(lambda m: blocks[m.group(1)](m.group(2)), text)
