"""The schema of the TIPC config train_pact_infer_python.txt: its lines, what each one means, and the constants the
readers, the checker and the planner share.

Lines 1-32 are the guide's layout, read by position: ``key:value`` lines, '##' separators and '====' headers.
'|' separates alternatives; some lines take one value per mode as ``mode=value`` items; null switches an
argument or a step off. After line 32 come optional extension lines (upstream scripts ignore them): the header
``====infer_benchmark_params====``, then lines addressed by name, ``<name>:<content>``, in any order
(EXTENSIONS). Configs written before the lines had names hold them at fixed positions 34-39 (LEGACY_POSITIONS);
those are read the same way.
"""
import os
import re
from typing import NamedTuple, Optional

MODES = ("lite_train_lite_infer", "lite_train_whole_infer", "whole_train_whole_infer", "whole_infer")
DEVICE_SELECTIONS = ("cpu", "gpu", "all")
REQUIRED_LINES = 32
# This tree's folder as seen from the repo root (test_tipc, or test_tipc/pact beside a suite's own harness), for the
# commands messages suggest.
TIPC_DIR = os.path.relpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Field(NamedTuple):
    """One line of the config.

    name: how the code, the pre-generation hook and the extension lines call it.
    line: its position among the 32 lines (None for a named extension line).
    key: its fixed key (None: a header or separator, or the contributor's own argument name).
    kind: header, separator, fixed (a fixed key and a value), argument (the contributor's argument name and
        a value), command (a script and its fixed arguments), loop (an inference argument and the values the
        inference steps loop over).
    meaning, guide, goes_here: what the line is, the guide's name for it, what to write there.
    per_mode: whether its value may be ``mode=value`` items separated by '|'.
    """
    name: str
    line: Optional[int]
    key: Optional[str]
    kind: str
    meaning: str
    guide: str
    goes_here: str
    per_mode: bool = False


def _header(name):
    return f"{'=' * 27}{name}{'=' * 27}"


FIELDS = (
    Field("train_header", 1, None, "header", "train_params header", "注释",
          f"the header line {_header('train_params')}"),
    Field("model_name", 2, "model_name", "fixed", "model name", "模型名字",
          "model_name:<your model's name>; it names log/<model_name>/"),
    Field("python", 3, "python", "fixed", "python command", "python环境",
          "python:<the python that runs every step>, e.g. python3"),
    Field("gpu_list", 4, "gpu_list", "fixed", "device list (-1 = CPU process, card ids = GPUs; '|' separates entries)",
          "gpu id", "gpu_list:<entries separated by '|'>: -1 one CPU process, -1,-1 two, 0 GPU 0, 0,1 GPUs 0 and 1"),
    Field("device", 5, None, "argument", "device argument and its value per gpu_list entry", "是否使用GPU",
          "<your training script's device argument>:<its value for each gpu_list entry>, "
          "e.g. --device:cpu|cpu|gpu|gpu or -o Global.device:cpu|gpu"),
    Field("epochs", 6, None, "argument", "epochs argument (per mode)", "迭代的epoch数目",
          "<your epochs argument>:lite_train_lite_infer=<N>|whole_train_whole_infer=<N>, e.g. --epochs:...", True),
    Field("output_dir", 7, None, "argument", "training output directory argument", "输出目录",
          "<your output directory argument>:./output/ (the harness sets the value to log/.../<trainer>_<entry>)"),
    Field("batch_size", 8, None, "argument", "training batch size argument (per mode)", "训练的batch size",
          "<your batch size argument>:lite_train_lite_infer=<N>|whole_train_whole_infer=<N>", True),
    Field("pretrained", 9, None, "argument", "pretrained weights argument (per mode)", "预训练模型",
          "<the argument that loads weights>:<FP32 weights to start from, or null; or per mode, e.g. "
          "lite_train_lite_infer=null|whole_train_whole_infer=./pretrain_models/fp32.pdparams>; evaluation "
          "passes the trained weights with the same argument", True),
    Field("train_model_name", 10, "train_model_name", "fixed", "file name of the weights training saves",
          "训练结果的模型名字",
          "train_model_name:<the file training writes in its output directory>, e.g. latest.pdparams"),
    Field("data_path", 11, None, "argument", "data set path argument (per mode)", "数据集路径",
          "<your data path argument>:<data set path>, e.g. --data-path:./lite_data, or per mode, e.g. "
          "lite_train_lite_infer=./lite_data|whole_train_whole_infer=./whole_data", True),
    Field("sep12", 12, None, "separator", "separator", "段落分隔符", "##"),
    Field("trainer", 13, "trainer", "fixed", "list of trainers", "训练方法", "trainer:pact_train"),
    Field("trainer_script", 14, None, "command", "training script of the trainer (trainer name as key)",
          "pact_train的训练脚本",
          "pact_train:<training script and the fixed arguments that turn PACT on>, "
          "e.g. pact_train:train.py --pact_quant"),
    Field("sep15", 15, None, "separator", "separator", "段落分隔符", "##"),
    Field("eval_header", 16, None, "header", "eval_params header", "注释", f"the header line {_header('eval_params')}"),
    Field("eval", 17, "eval", "command", "evaluation script", "评估脚本",
          "eval:<evaluation script and fixed arguments>, or eval:null"),
    Field("sep18", 18, None, "separator", "separator", "段落分隔符", "##"),
    Field("infer_header", 19, None, "header", "infer_params header", "注释",
          f"the header line {_header('infer_params')}"),
    Field("save_inference_dir", 20, None, "argument", "export output directory argument", "动转静输出目录",
          "<your export script's output directory argument>:<any path> (the harness sets the value)"),
    Field("export_weights", 21, None, "argument", "export weights argument", "预训练模型路径",
          "<your export script's weights argument>: (empty value; the harness passes the trained weights)"),
    Field("norm_export", 22, "norm_export", "command", "export script", "模型动转静导出命令",
          "norm_export:<export script and fixed arguments>, e.g. norm_export:tools/export_model.py --pact_quant"),
    Field("sep23", 23, None, "separator", "separator", "段落分隔符", "##"),
    Field("train_model", 24, "train_model", "fixed", "trained weights for whole_infer", "训练模型保存路径",
          "train_model:<weights the whole_infer mode exports>"),
    Field("infer_export", 25, "infer_export", "command", "export script for whole_infer", "推理前是否需要导出",
          "infer_export:<the same as line 22>, or infer_export:null to run inference on line 30's model"),
    Field("sep26", 26, None, "separator", "separator", "段落分隔符", "##"),
    Field("inference", 27, "inference", "command", "inference script", "推理脚本",
          "inference:<inference script and fixed arguments>"),
    Field("use_gpu", 28, None, "argument", "inference device argument and values", "是否使用GPU",
          "<your inference device argument>:<GPU value>|<CPU value>, e.g. --use-gpu:True|False"),
    Field("infer_batch_size", 29, None, "argument", "inference batch size argument and values", "推理batch size",
          "<your inference batch size argument>:1 (several sizes separated by '|')"),
    Field("model_dir", 30, None, "argument", "inference model directory argument", "推理模型保存路径",
          "<your inference model directory argument>:<model dir whole_infer uses when line 25 is null>"),
    Field("img_path", 31, None, "argument", "image path argument", "图片路径或者图片文件夹路径",
          "<your image argument>:<an image or a folder of images>"),
    Field("benchmark", 32, None, "argument", "benchmark argument", "是否使用benchmark",
          "<your benchmark argument>:<its value>, e.g. --benchmark:True, or cpu=<value>|gpu=<value> for a value "
          "per inference device, e.g. --run_benchmark:cpu=False|gpu=True"),
)
EXTENSION_HEADER = _header("infer_benchmark_params")
EXTENSION_HEADER_RE = re.compile(r"^=+infer_benchmark_params=+$")
EXTENSIONS = (
    Field("extension_header", 33, None, "header", "infer_benchmark_params header (optional extensions)", "扩展：注释",
          f"the header line {EXTENSION_HEADER}, needed before any extension line"),
    Field("accuracy_check", None, "accuracy_check", "command", "accuracy check script, run after every export",
          "扩展：精度检查脚本",
          "accuracy_check:<script and fixed arguments> run as <script> <line 21 key>=<exported weights> "
          "<line 30 key>=<export folder>, e.g. accuracy_check:tools/check_accuracy.py --img-path=./lite_data/val; "
          "or mode=<script> items separated by '|' (e.g. a --compare-results ground truth for whole_infer only); "
          "or accuracy_check:null", True),
    Field("enable_mkldnn", None, "enable_mkldnn", "loop", "oneDNN (MKLDNN) loop of CPU inference",
          "扩展：CPU 是否开启 mkldnn",
          "enable_mkldnn:<your inference script's oneDNN argument>:<values>, e.g. "
          "enable_mkldnn:--enable-mkldnn:True|False (CPU inference only)"),
    Field("cpu_threads", None, "cpu_threads", "loop", "CPU threads loop of CPU inference", "扩展：CPU 线程数",
          "cpu_threads:<your CPU threads argument>:<values>, e.g. cpu_threads:--cpu-threads:1|2 (CPU inference only)"),
    Field("precision", None, "precision", "loop", "precision loop of inference", "扩展：推理精度",
          "precision:<your precision argument>:<values>, e.g. precision:--precision:auto or "
          "precision:--precision:fp32|int8"),
    Field("use_tensorrt", None, "use_tensorrt", "loop", "TensorRT loop of GPU inference",
          "扩展：GPU 是否开启 TensorRT",
          "use_tensorrt:<your TensorRT argument>:<values>, e.g. use_tensorrt:--use-tensorrt:False|True "
          "(GPU inference only)"),
    Field("train_list", None, "train_list", "argument", "training label list argument (per mode)",
          "扩展：训练标签列表",
          "train_list:<your training script's label-list argument>:<list file, or per mode>, e.g. "
          "train_list:-o DataLoader.Train.dataset.cls_label_path:lite_train_lite_infer=./lite_data/train_list.txt|"
          "whole_train_whole_infer=./whole_data/train_list.txt (suite data sets read an image root and a list)", True),
    Field("eval_data_path", None, "eval_data_path", "argument", "evaluation data set path argument (per mode)",
          "扩展：评估数据集路径",
          "eval_data_path:<your evaluation script's image-root argument>:<path, or per mode>, e.g. "
          "eval_data_path:-o DataLoader.Eval.dataset.image_root:./lite_data; evaluation then gets it instead of "
          "line 11", True),
    Field("eval_list", None, "eval_list", "argument", "evaluation label list argument (per mode)",
          "扩展：评估标签列表",
          "eval_list:<your evaluation script's label-list argument>:<list file, or per mode>, e.g. "
          "eval_list:-o DataLoader.Eval.dataset.cls_label_path:./lite_data/val_list.txt", True),
    Field("export_device", None, "export_device", "flag", "whether the export gets the entry's device",
          "扩展：导出时传入设备",
          "export_device:True to pass the line-5 device argument of each entry to the export too (for exports that "
          "read the device, e.g. PaddleClas's -o Global.device), or export_device:False"),
    Field("infer_workdir", None, "infer_workdir", "value", "folder inference runs from", "扩展：推理工作目录",
          "infer_workdir:<folder relative to the repo root>, e.g. infer_workdir:deploy; line 27's command is "
          "written as seen from there (e.g. inference:python/predict_cls.py -c configs/inference_cls.yaml), the "
          "model folder and the image path are passed relative to it"),
    Field("infer_pattern", None, "infer_pattern", "value", "pattern of the prediction line inference prints per image",
          "扩展：推理结果行格式",
          "infer_pattern:<regular expression (Python re) that each image's prediction line matches>; without it a "
          "prediction line is one that names its image's file, as the reference's 'image_name: <path>, ...' and "
          "PaddleClas's '<path>: class id(s): [...]' do"),
    Field("python_path", None, "python_path", "value", "folders every step imports from", "扩展：PYTHONPATH",
          "python_path:<folder>|<package>=<folder>..., folders relative to the repo root put first on PYTHONPATH "
          "for every step; <package>=<folder> makes the folder importable under that package name, e.g. "
          "python_path:paddleclas=.|. for PaddleClas, whose deploy/ predictor imports the repo as package paddleclas "
          "and its modules import ppcls"),
    Field("step_timeout", None, "step_timeout", "value", "time limits of the steps, in seconds", "扩展：步骤超时",
          "step_timeout:<step>=<seconds>|..., steps train, eval, export, fp32 (fp32_export), accuracy, int8, infer, "
          "e.g. "
          "step_timeout:train=7200|infer=600; a step past its limit is stopped with everything it started and "
          "recorded as failed (defaults: train 7200, the others 1800; TIPC_STEP_TIMEOUT=<seconds> sets every step)"),
    Field("fp32_export", None, "fp32_export", "command",
          "export of the mode's line-9 FP32 weights, which the int8 step compares with", "扩展：FP32 导出脚本",
          "fp32_export:<export script and fixed arguments, without PACT> run after each export as <script> "
          "<line 21 key>=<line 9 weights of the mode> <line 20 key>=<export folder>_fp32 when line 9 names FP32 "
          "weights (skipped when it is null); or mode=<script> items separated by '|'; or fp32_export:null", True),
    Field("int8_check", None, "int8_check", "value", "options of the chain's int8 step, or null to turn it off",
          "扩展：int8 检查",
          "int8_check:<options for test_tipc/int8_check.py check>, e.g. int8_check:--img-size=320 --max-images=16; "
          "without the line the int8 step runs after every export with its defaults; int8_check:null turns it off"),
    Field("int8_strict", None, "int8_strict", "flag",
          "whether an inference step that ran the int8 model without int8 kernels fails", "扩展：int8 严格模式",
          "int8_strict:True to record such a step as failed, or int8_strict:False (the default: it passes with a "
          "WARN row that says so)"),
    Field("model_file", None, "model_file", "value", "file in the export folder that inference's model argument names",
          "扩展：推理模型文件",
          "model_file:<a file name in the export folder>, e.g. model_file:deploy.yaml for PaddleSeg, whose predictor "
          "takes --config <export folder>/deploy.yaml; inference then gets <line 30 key>=<export folder>/<file>"),
    Field("infer_output", None, "infer_output", "value", "the inference script's output folder argument",
          "扩展：推理结果目录参数",
          "infer_output:<your inference script's output folder argument>, e.g. infer_output:--save_dir for a "
          "predictor that writes a result file per image (PaddleSeg's masks) instead of printing a line; each "
          "inference step then gets <argument>=<its log name>_results and must write a result file per input image "
          "there (named after the image)"),
    Field("list_options", None, "list_options", "value", "options that take a list of values",
          "扩展：列表型参数",
          "list_options:<option>|..., e.g. list_options:--opts for PaddleSeg's --opts key=value key=value (argparse "
          "nargs='+': a second --opts replaces the first); every step's words after each occurrence of such an "
          "option are gathered after its first occurrence"),
    Field("export_subfolder", None, "export_subfolder", "value",
          "the options whose config file names the folder an export writes into", "扩展：导出子目录",
          "export_subfolder:<option>|..., e.g. export_subfolder:-c|--slim_config for PaddleDetection, whose export "
          "writes into <output dir>/<base name of the config file it read last>/ (the --slim_config file's when given, "
          "else the -c file's): the inference model of each export is then looked for in <line 20 folder>/<base name "
          "of the file of the last of these options its command gives>"),
    Field("train_eval_data", None, "train_eval_data", "flag", "whether training also gets the evaluation data lines",
          "扩展：训练时传入评估数据",
          "train_eval_data:True to pass the eval_data_path and eval_list lines to training too (for a training "
          "script that evaluates as it goes and saves its best model, e.g. PaddleSeg's --do_eval), or "
          "train_eval_data:False (the default)"),
    Field("eval_weights", None, "eval_weights", "value", "evaluation's trained-weights argument, when not line 9's",
          "扩展：评估权重参数",
          "eval_weights:<your evaluation script's weights argument>, e.g. eval_weights:-o weights for PaddleDetection, "
          "whose training starts from -o pretrain_weights (line 9) while evaluation and export load -o weights; "
          "evaluation then gets <argument>=<the trained weights> instead of line 9's key"),
    Field("start_weights_yml", None, "start_weights_yml", "value",
          "the yml file and key training reads its start weights from", "扩展：起始权重所在的 yml",
          "start_weights_yml:<option>:<key>, e.g. start_weights_yml:--slim_config:pretrain_weights for "
          "PaddleDetection, whose QAT training loads the start weights named in its --slim_config file before any -o "
          "override; prepare.sh writes a copy of that file next to the mode's line-9 weights with <key>: <those "
          "weights>, and training gets the copy"),
    Field("task", None, "task", "value", "what the model does: the data set prepare.sh makes", "扩展：任务类型",
          "task:classification (the default: class folders and label lists), task:segmentation (images, label "
          "PNGs and image/label list files, as PaddleSeg reads them) or task:detection (images and COCO "
          "instances_<split>.json boxes, as PaddleDetection's COCODataSet reads them)"),
    Field("fp32_pretrain", None, "fp32_pretrain", "command",
          "FP32 training that prepare.sh runs when line 9's weights are missing", "扩展：FP32 预训练脚本",
          "fp32_pretrain:<training script and fixed arguments, without PACT> run by prepare.sh as <script> "
          "<line 5 key>=<device> <line 7 key>=<line 9 weights without .pdparams>_train <line 11 key>=<data set>, "
          "whose <line 10> file becomes the line-9 weights; or mode=<script> items separated by '|'; "
          "or fp32_pretrain:null", True),
)
FIELD = {field.name: field for field in FIELDS + EXTENSIONS}
BY_LINE = {field.line: field for field in FIELDS}
NAMED = {field.name: field for field in EXTENSIONS if field.line is None}
# Where configs written before the extension lines had names hold them: by position, the loop lines as
# "<argument>:<values>" (null:null for none).
LEGACY_POSITIONS = {34: "accuracy_check", 35: "enable_mkldnn", 36: "cpu_threads", 37: "precision",
                    38: "use_tensorrt", 39: "fp32_pretrain"}
# The inference loops: which device's inference a loop applies to, and the word naming it in step labels.
LOOPS = {"enable_mkldnn": ("cpu", "mkldnn"), "cpu_threads": ("cpu", "threads"),
         "precision": ("any", "precision"), "use_tensorrt": ("gpu", "tensorrt")}
# Seconds a step may run before the harness stops it (a hung step would otherwise hang the run): generous, since
# whole_train_whole_infer trains for real; the config's step_timeout line and TIPC_STEP_TIMEOUT change them.
STEP_TIMEOUTS = {"train": 7200, "eval": 1800, "export": 1800, "fp32": 1800, "accuracy": 1800, "int8": 1800,
                 "infer": 1800}
# What the task line may say: the kinds of data set prepare.sh makes.
TASKS = ("classification", "segmentation", "detection")
# The data sets prepare.sh extracts, so paths in them need not exist before it ran.
PREPARED_DATA = ("lite_data", "whole_data")
HEADER_LINES = tuple(f.line for f in FIELDS if f.kind in ("header", "separator"))
FIXED_KEYS = {f.key: f.line for f in FIELDS if f.key}
PER_MODE_VALUE = re.compile(r"^[A-Za-z_]+=")
# Lines whose value the harness passes as one value (per mode, where the line allows it), and lines whose value is
# a '|' list of alternatives; the other argument lines' values are set by the harness.
SINGLE_VALUES = ("pretrained", "train_model_name", "data_path", "train_model", "img_path", "benchmark")
ALTERNATIVES = ("device", "use_gpu", "infer_batch_size")
# A value per inference device (line 32): cpu=<value>|gpu=<value>.
DEVICE_ITEMS = re.compile(r"^(cpu|gpu)=")
MODE_ITEMS = re.compile(r"^(%s)=" % "|".join(MODES))
GPU_ITEM = re.compile(r"^(-1|[0-9]+)$")
PLAIN_WORD = re.compile(r"^[A-Za-z0-9_./:,+@%=-]+$")
MODEL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

# Characters bash passes through untouched. Keys are written into commands as words ("-o Global.epochs" is two
# words), and commands are split into words, so anything else (; & | ` $ > < ( ) quotes, globs, ...) would
# mean something else to the shell a contributor reads the command in, and to upstream harnesses that eval it.
KEY_WORD = re.compile(r"^[A-Za-z0-9_./,+@%-]+$")
COMMAND_WORD = re.compile(r"^[A-Za-z0-9_./,+@%=:\"'-]+$")
PYTHON_WORD = re.compile(r"^(.*/)?python[0-9.]*$")
# No python command holds these; a line-3 value that does is a mistake (a command line instead of a command).
SHELL_META = re.compile(r"[;&|<>`$(){}\\\"'\n*?!#~]")
