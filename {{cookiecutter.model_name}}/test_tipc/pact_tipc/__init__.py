"""The Python of the TIPC PACT harness; the shell scripts only run processes, time them and log them.

The config (standard library only):

- ``schema``: the config's lines (the guide's 32, then the named extension lines) and shared constants
- ``values``: rules for one value, and the splitters (per-mode items, command words, "<key>=<value>" words)
- ``config``: the one reader of the file; fields addressed by name
- ``layout``: lining a config up against the guide's layout (a line deleted or added in the middle)
- ``checker``: every problem of a config's form; ``repo_checks``: what it points at in the repo
- ``explain``: the guide's table next to a config's lines (check_config.py --explain)
- ``devices``: the gpu_list entries (environment, launcher, log tag)
- ``plan``: the steps of a run and what prepare.sh makes
- ``docs``: the generated docs' commands, inference runs, log files and config values
- ``seg_data``, ``det_data``: the segmentation and detection data sets make_lite_data.py builds from the digits
  (``task:segmentation``, ``task:detection``)

The chain's int8 step and the checks after each step:

- ``model_files``: the files of an exported inference model folder and what its program holds (op types, feeds,
  parameter sizes), read without Paddle
- ``int8_ops``: which op types oneDNN runs in int8 (``auto``: per kind of CPU)
- ``images``: the images an inference step reads from its image argument (file, folder or list file)
- ``feeds``: the preprocessing an export asks for, the images and labels the step reads, the feeds it builds
- ``compare``: agreement of two runs' outputs (class scores, class maps, detection boxes, any tensor)
- ``int8_step``: the int8 step (Paddle Inference with and without int8 kernels, and FP32) and its report
- ``int8_report``: what the harness reads from that report (the summary's int8 facts, notes on inference rows);
  standard library only
- ``step_checks``: what a step that exited 0 must have done, and whether a GPU entry can run here

Command lines: ``test_tipc/tipc_config.py`` (plan, prepare, python-path), ``check_config.py``,
``int8_check.py``, ``check_step.py``. The reference repo's ``pact_cls`` imports
``model_files`` and ``int8_ops`` from here, so the repo and the harness follow one rule.
"""
