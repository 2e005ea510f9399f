"""The Python of the TIPC PACT harness that is not the config: the chain's own int8 step and the checks after
each step.

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

``test_tipc/int8_check.py`` is the command line over them. The reference repo's ``pact_cls`` imports
``model_files`` and ``int8_ops`` from here, so the repo and the harness follow one rule.
"""
