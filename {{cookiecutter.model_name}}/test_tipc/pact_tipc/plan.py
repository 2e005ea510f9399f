"""The plan of a TIPC run: the steps of a mode (their commands, logs, checks, what a failure skips) for the
harness, and what prepare.sh must make. Pure: it reads the config and the environment, runs nothing."""
import os
from typing import NamedTuple, Tuple

from .devices import DeviceEntry, entry_device, infer_device_tag, selected_entries
from .schema import LOOPS, STEP_TIMEOUTS, TIPC_DIR
from .values import (device_value, from_workdir, is_gpu_value, is_null, key_words, merge_list_options, option_groups,
                     shell_word, split_command, step_timeouts, word_safe)


class Step(NamedTuple):
    """One step: run ``argv`` with its output in ``log``, or skip it.

    skip: why it is skipped (when the chain it belongs to is not already skipped for a reason of its own).
    then_skip: the reason the rest of the chain is skipped after this step is skipped.
    on_fail: the reason the rest of the chain is skipped when this step fails ("" : the chain goes on).
    check, check_argv: what a step that exited 0 must have done, and the arguments of test_tipc/check_step.py
        that check it: weights (the weights file written), model (an inference model in the folder), predictions (a
        prediction line per input image in the step's log), outputs (a result file per input image in the
        inference output folder); int8 (the int8 step: no check, its exit status judges it, its report can make
        its row WARN).
    int8_report: for an inference step, the JSON report of the int8 step on the same model: when that model is
        quantized and the step does not report running it in int8, its row says so (int8_check.py note).
    cwd: the folder the step runs in ("": the repo root).
    """
    chain: int
    label: str
    log: str
    argv: Tuple[str, ...] = ()
    skip: str = ""
    then_skip: str = ""
    on_fail: str = ""
    check: str = ""
    check_argv: Tuple[str, ...] = ()
    cwd: str = ""
    timeout: str = ""
    int8_report: str = ""  # an inference step: the report of the int8 step on the model it runs ("" : none)
    int8_switch: str = ""  # an inference step: the config's argument that would run it with int8 kernels


class Chain(NamedTuple):
    skip: str        # why the whole chain is skipped ("" when it runs)
    needs_gpu: bool  # its entry is a GPU entry: the harness checks for CUDA before its first step


class Planner:
    """The steps of MODE: for every gpu_list entry, train -> eval -> export -> accuracy -> inference of each
    trainer (whole_infer: export of the line-24 weights -> accuracy -> inference)."""

    def __init__(self, config, mode):
        self.c = config
        self.mode = mode
        self.python = config.value("python")
        self.log_path = f"./log/{config.value('model_name')}/{mode}"
        self.limits = {**STEP_TIMEOUTS, **step_timeouts(config.value("step_timeout"))}
        self.chains = []
        self.steps = []
        self.entry_kind = "cpu"
        self.int8_report = ""  # the report of the current chain's int8 step ("" : none planned)
        self.int8_off = os.environ.get("TIPC_INT8_CHECK") == "0"  # the int8 step turned off for this run
        self.list_options = list_options(config)

    def step(self, label, argv=(), yml=False, **kwargs):
        kind = step_kind(label)
        argv = merge_list_options(list(argv), self.list_options)
        copy = start_weights_yml(self.c, self.mode, argv) if yml else None
        if copy:  # training reads the copy prepare.sh wrote, which names the line-9 start weights
            argv[argv.index(copy[0]) + 1] = copy[2]
        self.steps.append(Step(len(self.chains) - 1, label, self.log_of(label), tuple(argv),
                               timeout=str(self.limits[kind]), **kwargs))

    def log_of(self, label):
        return f"{self.log_path}/{label.replace('/', '_')}.log"

    def arg(self, name, value):
        return key_words(self.c.key(name), value)

    def mode_arg(self, name):
        """The words of an optional per-mode argument line for this mode (none without the line)."""
        return self.arg(name, self.c.value(name, self.mode)) if self.c.get(name) else []

    def plan(self, devices):
        trainers = [t for t in self.c.value("trainer").split("|") if t]
        for index, entry, skip in selected_entries(self.c, devices):
            self.entry_kind, self.int8_report = entry.kind, ""
            if self.mode == "whole_infer":
                if entry.nproc > 1 and not skip:
                    skip = "whole_infer runs single-process entries only"
                self.chains.append(Chain(skip, entry.kind == "gpu"))
                self.whole_infer_chain(entry, entry_device(self.c, index))
                continue
            for trainer in trainers:
                self.chains.append(Chain(skip, entry.kind == "gpu"))
                self.train_chain(trainer, entry, entry_device(self.c, index))
        return self.steps

    def train_chain(self, trainer, entry, device):
        self.int8_report = ""
        prefix = f"{trainer}_{entry.tag}"
        save_dir = f"{self.log_path}/{prefix}"
        weights = f"{save_dir}/{self.c.value('train_model_name')}"
        env = entry.env()
        script = self.c.value("trainer_script") if trainer == self.c.key("trainer_script") else None
        if not script or is_null(script):
            self.step(f"{prefix}/train", skip=f"no script for trainer {trainer} on line 14",
                      then_skip=f"trainer {trainer} has no script, nothing to evaluate")
        else:
            self.step(f"{prefix}/train", [
                *env, self.python, *entry.launch(f"{save_dir}/launch_logs"), *split_command(script),
                *self.arg("device", device), *self.arg("output_dir", save_dir),
                *self.arg("epochs", self.c.value("epochs", self.mode)),
                *self.arg("pretrained", self.c.value("pretrained", self.mode)),
                *self.arg("batch_size", self.c.value("batch_size", self.mode)),
                *self.arg("data_path", self.c.value("data_path", self.mode)), *self.mode_arg("train_list"),
                *(self.eval_data() if self.c.flag("train_eval_data") else [])],
                yml=True, on_fail="train failed", check="weights",
                check_argv=("weights", weights,
                            f"{self.c.where('train_model_name')}, {self.c.key('train_model_name')}"))
        eval_script = self.c.value("eval")
        if is_null(eval_script):
            self.step(f"{prefix}/eval", skip="line 17 (eval) is null")
        else:
            data = (self.eval_data() if self.c.get("eval_data_path")
                    else [*self.arg("data_path", self.c.value("data_path", self.mode)), *self.mode_arg("eval_list")])
            self.step(f"{prefix}/eval", [
                *env, self.python, *split_command(eval_script), *self.arg("device", device),
                *(key_words(self.c.value("eval_weights"), weights) if self.c.get("eval_weights")
                  else self.arg("pretrained", weights)), *data])
        export_script = self.c.value("norm_export")
        if is_null(export_script):
            self.step(f"{prefix}/export", skip="line 22 (norm_export) is null",
                      then_skip="nothing exported (line 22 is null)")
        else:
            save_dir = self.export_steps(prefix, env, export_script, weights, save_dir, device)
        self.infer_steps(prefix, env, entry.kind, save_dir)

    def eval_data(self):
        """The words of the evaluation data lines (eval_data_path, eval_list) for this mode."""
        return [*self.mode_arg("eval_data_path"), *self.mode_arg("eval_list")]

    def whole_infer_chain(self, entry, device):
        prefix = f"whole_infer_{entry.tag}"
        save_dir = f"{self.log_path}/{prefix}"
        model_dir = self.c.value("model_dir")
        env = entry.env()
        if is_null(self.c.value("infer_export")):
            self.step(f"{prefix}/export",
                      skip=f"line 25 (infer_export) is null: inference runs the model in {model_dir}")
            accuracy = self.c.value("accuracy_check", self.mode)
            if accuracy and not is_null(accuracy):
                self.step(f"{prefix}/accuracy",
                          skip="line 25 (infer_export) is null: no export of the line-24 weights to check")
            self.int8_step(prefix, env, model_dir)
        else:
            model_dir = self.export_steps(prefix, env, self.c.value("infer_export"), self.c.value("train_model"),
                                          save_dir, device)
        self.infer_steps(prefix, env, entry.kind, model_dir)

    def export_steps(self, prefix, env, script, weights, save_dir, device):
        """The export into SAVE_DIR, which must leave an inference model there (or in the subfolder the
        export_subfolder line names; else the chain's inference is skipped), then the accuracy check of that export
        (an optional extension line), whose failure stops nothing. Returns the inference model's folder."""
        argv = [*env, self.python, *split_command(script),
                *(self.arg("device", device) if self.c.flag("export_device") else []),
                *self.arg("export_weights", weights), *self.arg("save_inference_dir", save_dir)]
        save_dir = export_model_dir(self.c, argv, save_dir)
        self.step(f"{prefix}/export", argv, on_fail="export failed", check="model", check_argv=("model", save_dir))
        accuracy = self.c.value("accuracy_check", self.mode)
        if accuracy and is_null(accuracy):
            self.step(f"{prefix}/accuracy", skip=f"{self.c.where('accuracy_check')} (accuracy_check) is null")
        elif accuracy:
            self.step(f"{prefix}/accuracy", [*env, self.python, *split_command(accuracy),
                                             *self.arg("export_weights", weights), *self.arg("model_dir", save_dir)])
        self.int8_step(prefix, env, save_dir, self.fp32_export_step(prefix, env, device))
        return save_dir

    def fp32_export_step(self, prefix, env, device):
        """The optional FP32 export of the mode's line-9 weights, for the int8 step to compare with; returns its
        folder ("" when there is none)."""
        command = self.c.value("fp32_export", self.mode)
        if not command:
            return ""
        if is_null(command):
            self.step(f"{prefix}/fp32_export", skip=f"{self.c.where('fp32_export')} (fp32_export) is null")
            return ""
        weights = self.c.value("pretrained", self.mode)
        if not weights or is_null(weights):
            self.step(f"{prefix}/fp32_export", skip=f"line 9 names no FP32 weights in {self.mode}")
            return ""
        save_dir = f"{self.log_path}/{prefix}_fp32"
        argv = [*env, self.python, *split_command(command),
                *(self.arg("device", device) if self.c.flag("export_device") else []),
                *self.arg("export_weights", weights), *self.arg("save_inference_dir", save_dir)]
        save_dir = export_model_dir(self.c, argv, save_dir)
        self.step(f"{prefix}/fp32_export", argv, check="model", check_argv=("model", save_dir))
        return save_dir

    def int8_step(self, prefix, env, model_dir, fp32_dir=""):
        """The harness's own int8 step on the export in MODEL_DIR (test_tipc/int8_check.py check): with and without
        oneDNN int8 kernels on the inference images and the mode's data set; its failure stops nothing."""
        options = self.c.value("int8_check")
        self.int8_report = ""
        if self.int8_off:
            return  # turned off for this run (the harness says so once, in its hints)
        if options is not None and is_null(options):
            self.step(f"{prefix}/int8", skip=f"{self.c.where('int8_check')} (int8_check) is null")
            return
        data = (self.c.value("eval_data_path", self.mode) if self.c.get("eval_data_path")
                else self.c.value("data_path", self.mode))
        images = self.c.value("img_path")
        self.int8_report = f"{self.log_path}/{prefix}_int8.json"
        self.step(f"{prefix}/int8", [
            *env, self.python, os.path.join(TIPC_DIR, "int8_check.py"), "check", f"--model-dir={model_dir}",
            *([f"--images={images}"] if images and not is_null(images) else []),
            *([f"--data={data}"] if data and not is_null(data) else []),
            *([f"--fp32-model-dir={fp32_dir}"] if fp32_dir else []), f"--device={self.entry_kind}",
            f"--report={self.int8_report}", *split_command(options or "")],
            check="int8", int8_report=self.int8_report)

    def infer_steps(self, prefix, env, kind, model_dir):
        """Every line-28 device value x every line-29 batch size, and with the extension lines the loops:
        oneDNN x threads x precision for a CPU value, TensorRT x precision for a GPU value."""
        script = split_command(self.c.value("inference"))
        workdir = self.c.value("infer_workdir") or ""
        # The model argument names the export folder, or a file in it (the model_file line: PaddleSeg's
        # --config <export>/deploy.yaml).
        model_file = self.c.value("model_file")
        model_arg = f"{model_dir.rstrip('/')}/{model_file}" if model_file else model_dir
        model_arg, img_path = from_workdir(model_arg, workdir), from_workdir(self.c.value("img_path"), workdir)
        images = self.c.value("img_path") or ""  # what the after-step check reads, from the repo root
        output_key = self.c.value("infer_output")
        device_values = (self.c.value("use_gpu") or "").split("|")
        batches = (self.c.value("infer_batch_size") or "").split("|")
        for use_gpu in [v or None for v in device_values]:
            benchmark = device_value(self.c.value("benchmark"), use_gpu and is_gpu_value(use_gpu))
            loops = ("use_tensorrt", "precision") if use_gpu and is_gpu_value(use_gpu) else (
                "enable_mkldnn", "cpu_threads", "precision")
            for combo in self.loop_combinations(loops):
                tag = "_".join(f"{LOOPS[name][1]}_{word_safe(value)}" for name, _, value in combo if value)
                for batch in [b or None for b in batches]:
                    label = (f"{prefix}/infer_{infer_device_tag(use_gpu)}{'_' + tag if tag else ''}"
                             f"_batchsize_{word_safe(batch or 'null')}")
                    if kind == "cpu" and use_gpu and is_gpu_value(use_gpu):
                        self.step(label, skip=f"{self.c.key('use_gpu')}={use_gpu} needs a GPU entry")
                        continue
                    if output_key:
                        # The predictor writes its results (PaddleSeg: one mask per image) to a folder of the step's
                        # own; the check counts them there.
                        results = self.log_of(label)[: -len(".log")] + "_results"
                        output = key_words(output_key, from_workdir(results, workdir))
                        check = ("outputs", ("outputs", results, images))
                    else:
                        output = []
                        pattern = self.c.value("infer_pattern")
                        check = ("predictions", ("predictions", self.log_of(label), images,
                                                 *((pattern, self.c.where("infer_pattern")) if pattern else ())))
                    self.step(label, [
                        *env, self.python, *script, *self.arg("use_gpu", use_gpu),
                        *[word for _, key, value in combo for word in key_words(key, value)],
                        *self.arg("model_dir", model_arg), *self.arg("infer_batch_size", batch),
                        *self.arg("img_path", img_path), *self.arg("benchmark", benchmark),
                        *output],
                        check=check[0], check_argv=check[1], cwd=workdir, int8_report=self.int8_report,
                        int8_switch=int8_switch(combo))

    def loop_combinations(self, names):
        """Every combination of the values of the loops NAMES, as ((name, key, value), ...)."""
        combos = [()]
        for name in names:
            key, values = self.c.loop(name)
            combos = [combo + ((name, key, value),) for combo in combos for value in values]
        return combos

    def hints(self):
        """What is missing before the chain runs, with what makes it."""
        hints = []
        if self.int8_off:
            hints.append("TIPC_INT8_CHECK=0: the int8 step is off for this run; nothing checks that the exported "
                         "model runs in int8")
        if self.mode == "whole_infer":
            return hints
        prepare = shell_word(os.path.join(TIPC_DIR, "prepare.sh"))
        for name, what in (("data_path", "data set"), ("pretrained", "weights")):
            value = self.c.value(name, self.mode)
            if value and not is_null(value) and not os.path.exists(value):
                hints.append(f"{what} '{value}' (config {self.c.where(name)}) not found: run bash "
                             f"{prepare} {shell_word(self.c.path)} {self.mode} first")
        return hints


def prepare_plan(config, mode, devices):
    """The variables prepare.sh acts on: (scalars, arrays)."""
    if mode == "whole_infer":
        return {"PREP_ACTION": "whole_infer", "PREP_WEIGHTS": config.value("train_model"),
                "PREP_EXPORT_NULL": str(int(is_null(config.value("infer_export")))),
                "PREP_MODEL_DIR": config.value("model_dir"),
                "PREP_TRAIN_MODEL_NAME": config.value("train_model_name")}, {}
    whole = mode == "whole_train_whole_infer"
    root = "whole_data" if whole else "lite_data"
    data_path = config.value("data_path", mode) or ""
    weights = config.value("pretrained", mode)
    where = config.where("fp32_pretrain")
    out = {"PREP_ACTION": "whole" if whole else "lite", "PREP_TAR": data_tarball(config, root),
           "PREP_DATA_PATH": data_path,
           "PREP_BUILD_WHOLE": str(int(data_path.rstrip("/") in ("./whole_data", "whole_data"))),
           "PREP_WEIGHTS": "" if not weights or is_null(weights) else weights, "PREP_FP32_WHERE": where,
           "PREP_FP32_MISSING": (f"{where} (fp32_pretrain) gives no command that trains them"
                                 if config.get("fp32_pretrain")
                                 else "the config has no fp32_pretrain line that trains them")}
    command = config.value("fp32_pretrain", mode)
    arrays = {"PREP_FP32_ARGV": [], "PREP_MAKE_ARGS": make_data_args(config, root)}
    if not command or is_null(command) or not out["PREP_WEIGHTS"]:
        return out, arrays
    index, entry = next(((i, e) for i, e, skip in selected_entries(config, devices) if not skip), (None, None))
    if entry is None:
        out["PREP_FP32_ERROR"] = (f"{config.path}:4: no gpu_list entry is selected by TIPC_DEVICES={devices}, so "
                                  f"there is no device for the FP32 training ({where}); run with TIPC_DEVICES=all "
                                  "or a kind of entry the config has")
        return out, arrays
    run_dir = (weights[: -len(".pdparams")] if weights.endswith(".pdparams") else weights) + "_train"
    single = DeviceEntry.parse(entry.text.split(",")[0])  # the FP32 training runs as one process
    argv = [*single.env(), config.value("python"), *split_command(command),
            *key_words(config.key("device"), entry_device(config, index)),
            *key_words(config.key("output_dir"), run_dir), *key_words(config.key("data_path"), data_path),
            *(key_words(config.key("train_list"), config.value("train_list", mode))
              if config.get("train_list") else [])]
    out.update(PREP_FP32_RUN_DIR=run_dir, PREP_FP32_TRAINED=f"{run_dir}/{config.value('train_model_name')}")
    return out, {**arrays, "PREP_FP32_ARGV": merge_list_options(argv, list_options(config))}


def list_options(config):
    """The options of the config's list_options line (none without it)."""
    return [option for option in (config.value("list_options") or "").split("|") if option]


def step_kind(label):
    """The kind of the step LABEL names: train, eval, export, fp32, accuracy, int8 or infer."""
    return label.rsplit("/", 1)[1].split("_", 1)[0]


def export_model_dir(config, argv, save_dir):
    """Where the export ARGV leaves its inference model: SAVE_DIR, or with the export_subfolder line its subfolder
    named after the file of the last listed option the command gives (PaddleDetection writes into
    <output dir>/<base name of the config file it read last>/)."""
    groups = option_groups(argv)
    named = [groups[option][-1][0] for option in (config.value("export_subfolder") or "").split("|")
             if groups.get(option) and groups[option][-1]]
    if not named:
        return save_dir
    return f"{save_dir}/{os.path.splitext(os.path.basename(named[-1]))[0]}"


def start_weights_yml(config, mode, argv):
    """(option, source yml, copy, key, weights) when the config's start_weights_yml line says training reads its
    start weights from a yml file given with an option (PaddleDetection's QAT reads pretrain_weights from the
    --slim_config file, before any -o override): the copy, next to the mode's line-9 weights, names those weights
    under the key. None when there is no such line, no weights for MODE, or ARGV lacks the option."""
    spec, weights = config.value("start_weights_yml"), config.value("pretrained", mode)
    if not spec or not weights or is_null(weights) or is_null(spec):
        return None
    option, _, key = spec.partition(":")
    if option not in argv[:-1]:
        return None
    source = argv[argv.index(option) + 1]
    stem = weights[: -len(".pdparams")] if weights.endswith(".pdparams") else weights
    return option, source, f"{stem}_{os.path.basename(source)}", key, weights


def data_tarball(config, root):
    """The tarball prepare.sh builds ROOT (lite_data or whole_data) from: one per task, so a checkout holding a
    classifier and a segmenter keeps both."""
    task = config.value("task") or "classification"
    return f"test_images/{root}.tar" if task == "classification" else f"test_images/{root}_{task}.tar"


def make_data_args(config, root):
    """The arguments of make_lite_data.py that build ROOT for the config's task: lite_data is its default small set,
    whole_data every image it has."""
    task = config.value("task") or "classification"
    args = [] if task == "classification" else ["--task", task]
    if root == "whole_data":
        args += (["--num-classes", "0", "--train-per-class", "0", "--val-per-class", "0"] if task == "classification"
                 else ["--train-count", "0", "--val-count", "0"])
        args += ["--root-name", "whole_data"]
    return args


def int8_switch(combo):
    """The loop arguments that would run an inference step of loop values COMBO ((name, key, value), ...) with int8
    kernels, where the config's loop lines know them ("" : none): oneDNN on, precision int8."""
    words = []
    for name, key, value in combo:
        if name == "enable_mkldnn" and value and value.lower() in ("false", "0", "no"):
            words += key_words(key, "True")
        elif name == "precision" and value and value.lower() not in ("int8", "auto"):
            words += key_words(key, "int8")
    return " ".join(words)
