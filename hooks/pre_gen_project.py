"""Validate the answers before anything is generated: a bad answer leaves nothing on disk.

Every answer becomes part of test_tipc/configs/<model_name>/train_pact_infer_python.txt. The rules for what a
config line may hold are the generated tree's own (test_tipc/tipc_config.py over the package test_tipc/pact_tipc,
which the config checker and the harness use), so a bake and a hand-edited config are held to the same standard.
This hook only knows which answer fills which config field, and what to tell the contributor to enter instead.
"""
import importlib.util
import json
import os
import re
import shlex
import sys

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# Answers that are argument names (config keys): prompt -> (config field, examples of the two argument styles).
KEYS = {
    "__device_key": ("device", "--device or -o Global.device"),
    "__epochs_key": ("epochs", "--epochs or -o Global.epochs"),
    "__output_dir_key": ("output_dir", "--output-dir or -o Global.output_dir"),
    "__batch_size_key": ("batch_size", "--batch-size or -o DataLoader.Train.sampler.batch_size"),
    "__pretrained_key": ("pretrained", "--pretrained or -o Global.pretrained_model"),
    "__data_path_key": ("data_path", "--data-path or -o DataLoader.Train.dataset.image_root"),
    "__save_inference_dir_key": ("save_inference_dir", "--save-inference-dir or -o Global.save_inference_dir"),
    "__export_weights_key": ("export_weights", "--pretrained or -o Global.pretrained_model"),
    "__use_gpu_key": ("use_gpu", "--use-gpu or -o Global.use_gpu"),
    "__infer_batch_size_key": ("infer_batch_size", "--batch-size or -o Global.batch_size"),
    "__model_dir_key": ("model_dir", "--model-dir or -o Global.inference_model_dir"),
    "__img_path_key": ("img_path", "--img-path or -o Global.infer_imgs"),
    "__benchmark_key": ("benchmark", "--benchmark or -o Global.benchmark"),
    "__train_list_key": ("train_list", "-o DataLoader.Train.dataset.cls_label_path"),
    "__eval_data_path_key": ("eval_data_path", "-o DataLoader.Eval.dataset.image_root"),
    "__eval_list_key": ("eval_list", "-o DataLoader.Eval.dataset.cls_label_path"),
}
# Answers that are one value of a config line: prompt -> config field.
VALUES = {
    "__device_cpu_value": "device", "__device_gpu_value": "device", "__pretrained_value": "pretrained",
    "__whole_pretrained_value": "pretrained", "__trained_weights_name": "train_model_name", "__data_path": "data_path",
    "__whole_data_path": "data_path", "__use_gpu_gpu_value": "use_gpu", "__use_gpu_cpu_value": "use_gpu",
    "__img_path": "img_path", "__benchmark_value": "benchmark", "__benchmark_gpu_value": "benchmark",
    "__train_list": "train_list", "__whole_train_list": "train_list", "__eval_list": "eval_list",
    "__whole_eval_list": "eval_list",
}
# Values of optional lines: the config has the line only when this key answer is not null.
VALUE_NEEDS_KEY = {"__train_list": "__train_list_key", "__whole_train_list": "__train_list_key",
                   "__eval_list": "__eval_list_key", "__whole_eval_list": "__eval_list_key"}
# Answers that are a whole optional line's value, null for no line: prompt -> (config field, the rule's name).
OPTIONAL_VALUES = {"__export_device": ("export_device", "flag_problem"),
                   "__infer_workdir": ("infer_workdir", "value_problem"),
                   "__infer_pattern": ("infer_pattern", "pattern_problem"),
                   "__python_path": ("python_path", "python_path_problem")}
# Answers that are commands (script and fixed arguments, no python): prompt -> (config field, example).
COMMANDS = {
    "__train_command": ("trainer_script", "train.py --pact_quant or tools/train.py -c configs/my_model_pact.yaml"),
    "__eval_command": ("eval", "train.py --test-only --pact_quant or tools/eval.py -c configs/my_model_pact.yaml"),
    "__export_command": ("norm_export",
                       "tools/export_model.py --pact_quant or tools/export_model.py -c configs/my_model_pact.yaml"),
    "__inference_command": ("inference", "deploy/inference_python/infer.py or "
                                       "deploy/python/predict_cls.py -c deploy/configs/inference_cls.yaml"),
    "__accuracy_command": ("accuracy_check", "tools/check_accuracy.py --img-path=./lite_data/val"),
    "__whole_accuracy_command": ("accuracy_check", "tools/check_accuracy.py --img-path=./whole_data/val"),
    "__fp32_pretrain_command": ("fp32_pretrain", "train.py --epochs=30 or tools/train.py -c configs/my_model.yaml"),
    "__fp32_export_command": ("fp32_export", "tools/export_model.py or tools/export_model.py -c configs/my_model.yaml"),
}


def template_dir():
    """The template's folder. cookiecutter >= 2.2 tells hooks where it is; a relative path is relative to the
    directory cookiecutter was started from, which the shell's PWD still names."""
    repo_dir = ANSWERS.get("_repo_dir", "")
    if os.path.isabs(repo_dir):
        return repo_dir
    return os.path.join(os.environ.get("PWD", ""), repo_dir)


def load_rules():
    """test_tipc/tipc_config.py of this template: the names of the config's schema and rules (package pact_tipc)."""
    tree = "{% raw %}{{cookiecutter.model_name}}{% endraw %}"  # the template's own folder name, not rendered
    path = os.path.join(template_dir(), tree, "test_tipc", "tipc_config.py")
    if not os.path.isfile(path):
        sys.exit(f"ERROR: cannot find the template's test_tipc/tipc_config.py ({path}); "
                 "use cookiecutter >= 2.2, which tells hooks where the template is")
    spec = importlib.util.spec_from_file_location("tipc_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prompt_texts():
    """The prompts' text from the template's cookiecutter.json (cookiecutter drops __prompts__ from the answers)."""
    try:
        with open(os.path.join(template_dir(), "cookiecutter.json"), encoding="utf-8") as handle:
            return json.load(handle).get("__prompts__", {})
    except (OSError, ValueError):
        return {}


PROMPTS = prompt_texts()


def label(name):
    """A prompt as the contributor sees it: its name (for name=value on the command line) and its text."""
    text = PROMPTS.get(name)
    return f'{name} ("{text}")' if isinstance(text, str) else name


def where(rules, field):
    """Where an answer lands: 'config line N', or the optional line's name."""
    line = rules.FIELD[field].line
    return f"config line {line}" if line else f"the config's {field} line"


def errors(answers, rules):
    """The problems of the answers, one message per answer, each saying what to enter instead."""
    found = []
    problem = rules.model_name_problem(answers["model_name"])
    if problem:
        found.append(f"{label('model_name')}: {problem}; enter a name such as mobilenet_v3_small")
    problem = rules.python_problem(answers["python"])
    if problem:
        found.append(f"{label('python')}: {problem}")
    problem = rules.gpu_list_problem(answers["gpu_list"])
    if problem:
        found.append(f"{label('gpu_list')}: {answers['gpu_list']!r} is not a list of device entries ({problem}): "
                     "enter entries separated by |, each -1 (one CPU process), -1,-1 (two CPU processes) or GPU ids "
                     "such as 0 or 0,1; e.g. -1 for CPU only, or -1|-1,-1|0|0,1")
    found += key_errors(answers, rules) + value_errors(answers, rules) + command_errors(answers, rules)
    for name, (field, rule) in OPTIONAL_VALUES.items():
        value = answers[name]
        problem = None if value == "null" and name != "__export_device" else getattr(rules, rule)(value)
        if problem:
            found.append(f"{label(name)}: {value!r}: {problem}; enter a value for "
                         f"{where(rules, field)}" + ("" if name == "__export_device" else ", or null for none"))
    return found


def key_errors(answers, rules):
    found = []
    export_null = rules.is_null(answers["__export_command"])  # the export command fills lines 22 and 25
    needed = rules.required_keys(rules.is_null(answers["__eval_command"]), export_null, export_null)
    for name, (field, example) in KEYS.items():
        key, line = answers[name], where(rules, field)
        if key == "null":
            if field in needed:
                found.append(f"{label(name)}: null is not possible here, {needed[field]}: enter the argument "
                             f"name your script reads, e.g. {example}")
            continue
        problem = rules.key_problem(key)
        if problem:
            hint = "it cannot be null" if field in needed else "or null if your script has no such argument"
            found.append(f"{label(name)}: {key!r} {problem}. Enter your script's argument name as you would type "
                         f"it before '=', e.g. {example} ({hint}); it becomes the key of {line}")
    return found


def value_errors(answers, rules):
    found = []
    for name, field in VALUES.items():
        value, line = answers[name], where(rules, field)
        if answers.get(VALUE_NEEDS_KEY.get(name), "") == "null":
            continue  # the line is not written
        problem = rules.value_problem(value, per_mode=rules.FIELD[field].per_mode)
        if problem == "is empty":
            found.append(f"{label(name)}: the answer is empty: enter a value for {line}"
                         + (" (or null to leave the argument out)" if field == "pretrained" else ""))
        elif problem:
            found.append(f"{label(name)}: {value!r} {problem} ({line})")
    gpu_entries = any(not set(entry.split(",")) <= {"-1"} for entry in answers["gpu_list"].split("|"))
    for name, want_gpu in (("__use_gpu_gpu_value", True), ("__use_gpu_cpu_value", False)):
        value = answers[name]
        if want_gpu and not gpu_entries:
            continue  # a CPU-only bake writes no GPU value into line 28
        if value.strip() and rules.is_gpu_value(value) != want_gpu:
            found.append(f"{label(name)}: {value!r}: the harness runs inference with the value True or gpu (any "
                         "case) only on GPU entries, and any other value on CPU entries; enter "
                         + ("True or gpu" if want_gpu else "a CPU value such as False or cpu"))
    return found


def command_errors(answers, rules):
    found = []
    for name, (field, example) in COMMANDS.items():
        command, line = answers[name], where(rules, field)
        if rules.is_null(command):
            if field == "inference":
                found.append(f"{label(name)}: null is not possible here: enter the script the harness "
                             f"runs ({line}), without python, e.g. {example}")
            continue
        problem = rules.command_problem(command)
        if problem:
            found.append(f"{label(name)}: {command!r} {problem}. Enter the script path without python, "
                         f"then its fixed arguments, e.g. {example}"
                         + ("" if field == "inference" else " (or null to skip the step)") + f"; it becomes {line}")
    return found


# The list options of a suite's scripts: declared with nargs and argparse's default store action, so a second
# occurrence in one command replaces the first one's items. The harness gathers them after one occurrence when the
# config's list_options line names them.
STYLE_LIST_OPTIONS = {
    "paddledetection": ("-o", "ppdet/utils/cli.py declares -o with nargs='*'"),
    "paddleseg": ("--opts", "PaddleSeg's scripts declare --opts with nargs='+'"),
}


ARCHITECTURES = ("mobilenet_v3_small", "mobilenet_v3_large", "mobilenet_v2", "resnet18")
STYLES = ("reference", "argparse", "paddleclas", "paddleseg", "paddledetection")


def style_errors(answers):
    """The full repo is the reference repo: its scripts are the reference style's, its network one of
    paddle.vision's. A suite style needs the list options its parsers would otherwise drop."""
    style = answers["__style"]
    if style not in STYLES:
        return [f"{label('__style')}: {style!r}: enter one of {', '.join(STYLES)} (or leave it to repo_style)"]
    if answers["layout"] == "full_repo" and style != "reference":
        return [f"{label('repo_style')}: {answers['repo_style']!r} with layout full_repo: the full repo is this "
                "template's reference repo, whose scripts are the reference style; enter layout=test_tipc_only to "
                "bake a test_tipc/ tree for your own repo"]
    if answers["layout"] == "full_repo" and answers["__architecture"] not in ARCHITECTURES:
        return [f"{label('__architecture')}: {answers['__architecture']!r}: enter one of {', '.join(ARCHITECTURES)}"]
    option, why = STYLE_LIST_OPTIONS.get(style, (None, None))
    if option and option not in answers.get("__list_options", "").split():
        return [f"{label('__list_options')}: {answers.get('__list_options')!r} with repo style "
                f"{style}: {why}, so of the several {option} groups of a step (fixed ones and "
                f"the keys') argparse keeps only the last, silently; enter __list_options={option} (the default)"]
    return []


def checkout_errors(answers):
    """The checkout to install into: a folder, and only for a test_tipc/ tree."""
    checkout, folder = answers["checkout"].strip(), answers["__checkout_dir"]
    if not folder:
        return []
    if answers["layout"] == "full_repo":
        return [f"{label('checkout')}: {checkout!r} with layout full_repo: the full repo is a new repo of its own; "
                "enter layout=test_tipc_only to install a test_tipc/ tree into your checkout, or checkout=none"]
    if not os.path.isdir(folder):
        return [f"{label('checkout')}: {checkout!r} is not a folder ({folder}): enter the path of your repo's "
                "checkout, or none to only bake test_tipc/"]
    return []


def existing_files(answers):
    """A test_tipc-only bake must not go into an existing checkout: cookiecutter writes (and for copied
    folders first deletes) the reference repo's train.py, tools/, deploy/, ... there before the layout is
    trimmed, which would replace the contributor's own files."""
    if answers["layout"] != "test_tipc_only":
        return []
    present = sorted(entry for entry in os.listdir(".") if entry != "test_tipc")
    if not present:
        return []
    out = answers.get("_output_dir", "<output dir>")
    return [f"layout test_tipc_only: {os.getcwd()} already exists and holds {', '.join(present[:5])}"
            f"{', ...' if len(present) > 5 else ''}; baking into it would overwrite files of that checkout. "
            f"Bake into an empty folder and copy test_tipc/ over: cookiecutter <template> -o /tmp/tipc_bake "
            f"layout=test_tipc_only model_name={answers['model_name']} ..., then "
            f"cp -r /tmp/tipc_bake/{answers['model_name']}/test_tipc <your checkout>/ "
            f"(instead of -o {out})"]


# Which answers fill which config field: for the messages of the rendered config's check.
ANSWERS_OF_FIELD = {}
# The answers each message of the rendered config's check names.
CONFIG_ANSWERS = {}
for _name, _spec in {**KEYS, **COMMANDS, **OPTIONAL_VALUES}.items():
    ANSWERS_OF_FIELD.setdefault(_spec[0], []).append(_name)
for _name, _field in {**VALUES, "model_name": "model_name", "python": "python", "gpu_list": "gpu_list"}.items():
    ANSWERS_OF_FIELD.setdefault(_field, []).append(_name)


def rendered_config_errors(answers, rules):
    """The config these answers make, rendered from the template's own config file as cookiecutter will render it,
    judged by the config checker (with a checkout, against it: the scripts, config files and parsers it names;
    without one, the form only): a bake never writes a config that test_tipc/check_config.py refuses."""
    import tempfile

    import jinja2

    tree = "{% raw %}{{cookiecutter.model_name}}{% endraw %}"
    source = os.path.join(template_dir(), tree, "test_tipc", "configs", tree, "train_pact_infer_python.txt")
    with open(source, encoding="utf-8") as handle:
        text = jinja2.Environment(keep_trailing_newline=True).from_string(handle.read()).render(cookiecutter=answers)
    checkout = answers.get("__checkout_dir")
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "train_pact_infer_python.txt")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        if not checkout:
            problems = rules.Checker(path, repo=False).run()
        else:  # what the config points at must be in the checkout, as the harness will check there
            here = os.getcwd()
            os.chdir(checkout)
            try:
                problems = rules.Checker(path, repo=True).run()
            finally:
                os.chdir(here)
    found = []
    for problem in problems:
        location, _, message = problem.partition(": ")
        number = location.rsplit(":", 1)[-1]
        field = rules.BY_LINE.get(int(number)) if number.isdigit() else None
        names = ANSWERS_OF_FIELD.get(field.name, []) if field else []
        found.append(f"the config these answers make is refused by the checker, config line {number}: {message}"
                     + (f" (from the answer(s) {', '.join(label(n) for n in names)})" if names else ""))
        CONFIG_ANSWERS[found[-1]] = names
    return found


def template_context():
    """(the template's cookiecutter.json, each answer's default for the answers given): the first choice, or the
    default rendered as cookiecutter renders it (a derived answer's default follows the answers it names)."""
    import jinja2

    with open(os.path.join(template_dir(), "cookiecutter.json"), encoding="utf-8") as handle:
        raw = json.load(handle)
    sys.path.insert(0, template_dir())
    import local_extensions

    env = jinja2.Environment(extensions=[local_extensions.SuiteExtension])
    defaults = {}
    for name, value in raw.items():
        if name.startswith("_") and not name.startswith("__") or name == "__prompts__":
            continue
        try:
            defaults[name] = env.from_string(str(value[0] if isinstance(value, list) else value)).render(
                cookiecutter=ANSWERS)
        except jinja2.TemplateError:
            continue
    return raw, defaults


def sources(raw, name, seen=()):
    """The asked answers (no leading '_') the default of answer NAME is derived from, through derived answers."""
    found = set()
    for ref in set(re.findall(r"cookiecutter\.(\w+)", json.dumps(raw.get(name, "")))) - set(seen) - {name}:
        found |= sources(raw, ref, (*seen, name)) if ref.startswith("_") else {ref}
    return found


def answer_of(problem):
    """The answer a problem message is about (its first word), or None."""
    name = problem.split(" ", 1)[0].rstrip(":")
    return name if name in ANSWERS else None


def fold_derived(problems, raw, defaults):
    """PROBLEMS with the refusals of derived answers that kept the default made from a refused asked answer folded
    into that answer's message (one mistake, reported once); and {asked answer: [derived answers]}."""
    refused = {answer_of(p) for p in problems} - {None}
    follows, kept = {}, []
    for problem in problems:
        name = answer_of(problem)
        origin = sorted(sources(raw, name) & refused) if name and name.startswith("__") else []
        if origin and ANSWERS[name] == defaults.get(name):
            follows.setdefault(origin[0], []).append(name)
        else:
            kept.append(problem)
    return [p + (f" (the default{'s' if len(follows[n]) > 1 else ''} of {', '.join(follows[n])} "
                 f"follow{'' if len(follows[n]) > 1 else 's'} from it and {'were' if len(follows[n]) > 1 else 'was'}"
                 " refused with it)" if n in follows else "")
            for p in kept for n in [answer_of(p)]], follows


def replay_file():
    """The replay file cookiecutter wrote these answers to before generating (None where it cannot be told)."""
    try:
        from cookiecutter.config import get_user_config

        folder = get_user_config()["replay_dir"]
    except Exception:  # an unreadable user config: say nothing rather than a wrong path
        return None
    path = os.path.join(folder, os.path.basename(os.path.abspath(template_dir())) + ".json")
    return path if os.path.isfile(path) else None


def changed_answers(raw, defaults):
    """name=value words for every answer that differs from its default, asked answers first."""
    names = [n for n in raw if n in defaults and n in ANSWERS and str(ANSWERS[n]) != defaults[n]]
    names.sort(key=lambda n: n.startswith("_"))
    return [f"{n}={shlex.quote(str(ANSWERS[n]))}" for n in names]


def report(problems):
    """Every refusal once, then how to bake again: the replay file cookiecutter already wrote (to fix and replay),
    and one command line holding every answer given."""
    raw, defaults = template_context()
    problems, follows = fold_derived(problems, raw, defaults)
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    template = shlex.quote(str(ANSWERS.get("_template") or template_dir()))
    out = shlex.quote(ANSWERS.get("_output_dir") or ".")
    refused = list(dict.fromkeys(n for p in problems for n in ([answer_of(p)] if answer_of(p) else
                                                               CONFIG_ANSWERS.get(p, []))))
    lines = ["Nothing was generated."]
    replay = replay_file()
    if replay and refused:
        derived = [d for n in refused for d in follows.get(n, [])]
        lines += [f"cookiecutter saved every answer in {replay}: fix {', '.join(refused)}"
                  + (f" and the derived {', '.join(derived)} (the file holds what was derived from the refused answer)"
                     if derived else "") + " there, then run:",
                  f"  cookiecutter {template} --replay-file {shlex.quote(replay)} -o {out}"]
    lines += ["Or bake again with the answers that differ from their defaults (correct the refused ones; derived "
              "answers are derived again):",
              f"  cookiecutter {template} --no-input -o {out} {' '.join(changed_answers(raw, defaults))}".rstrip()]
    print("\n".join(lines), file=sys.stderr)


def main():
    rules = load_rules()
    problems = (style_errors(ANSWERS) + checkout_errors(ANSWERS) + errors(ANSWERS, rules)
                + existing_files(ANSWERS))
    if not problems:
        problems = rendered_config_errors(ANSWERS, rules)
    if problems:
        report(problems)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
