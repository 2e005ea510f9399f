"""The README's first screen and CI agree (.ci/run runs the README's test command)."""
import re

from conftest import TEMPLATE_ROOT


def fenced_commands(text):
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_ci_runs_the_readme_test_command():
    readme = (TEMPLATE_ROOT / "README.md").read_text(encoding="utf-8")
    first_block = fenced_commands(readme.split("## ", 1)[0])
    assert len(first_block) == 2, first_block
    main_job, test_command = first_block
    assert main_job.endswith("nox -s tipc_lite_cpu")
    assert test_command.endswith("nox -s lint tests")
    ci = (TEMPLATE_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_lines = [line.strip() for line in ci.splitlines()]
    ci_commands = [line for line in ci_lines if line and not line.startswith(("#", "set ", "cd "))]
    assert ci_commands == [test_command]
