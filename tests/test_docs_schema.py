"""The generated docs' tables of config lines agree with the schema (test_tipc/pact_tipc/schema.py),
and their commands with the harness's plan.

test_tipc/docs/test_train_pact_inference_python{,_en}.md describe the config in two tables: the 32 lines by
position (line number, key, meaning, value) and the optional extension lines by name. pact_tipc/schema.py is the one
home of the schema (FIELDS, EXTENSIONS, LEGACY_POSITIONS); these tests read the rendered docs of both layouts and
compare their tables with it, and with the config the same bake wrote.

No Paddle: tipc_config is imported from the template tree (it is copied into bakes unrendered).
"""
import os
import re
import subprocess

import pytest

from conftest import CONFIG_REL, load_tipc_config

DOCS = {"zh": "test_tipc/docs/test_train_pact_inference_python.md",
        "en": "test_tipc/docs/test_train_pact_inference_python_en.md"}
# The first header cell of each kind of table, in either language.
LINE_TABLE = {"行号", "Line"}
NAME_TABLE = {"名称", "Name"}


tc = load_tipc_config()


# ---------------------------------------------------------------- reading the rendered docs

def markdown_tables(text):
    """Every markdown table of TEXT as a list of rows, a row as its cells ('\\|' unescaped, the ':---' row left out)."""
    tables, current = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if current is None:
            current = []
            tables.append(current)
        if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
            current.append(cells)
    return tables


def the_table(text, first_header, rel):
    """The body rows of the one table whose first header cell is in FIRST_HEADER."""
    found = [t for t in markdown_tables(text) if t and t[0][0] in first_header]
    assert len(found) == 1, f"{rel}: expected one table headed {sorted(first_header)}, found {len(found)}"
    return found[0][1:]


def code(cell):
    """The text of a cell that is one `code span`, else None."""
    match = re.fullmatch(r"`([^`]+)`", cell)
    return match.group(1) if match else None


def config_lines(project):
    name = project.name
    return (project / CONFIG_REL.format(name=name)).read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def baked_tipc_only(cookies_session):
    """A test_tipc_only bake with default answers (read-only)."""
    result = cookies_session.bake(extra_context={"layout": "test_tipc_only"})
    assert result.exit_code == 0, result.exception
    return result.project_path


@pytest.fixture(params=["full_repo", "test_tipc_only"])
def project(request):
    fixture = "baked_reference" if request.param == "full_repo" else "baked_tipc_only"
    return request.getfixturevalue(fixture)


LANGS = pytest.mark.parametrize("lang", sorted(DOCS))


# ---------------------------------------------------------------- lines 1-32

@LANGS
def test_docs_line_table_matches_fields(project, lang):
    rel = DOCS[lang]
    rows = the_table((project / rel).read_text(encoding="utf-8"), LINE_TABLE, rel)
    numbers = [row[0] for row in rows]
    assert numbers == [str(n) for n in range(1, tc.REQUIRED_LINES + 1)], (
        f"{rel}: the line table should list lines 1-{tc.REQUIRED_LINES} once each, in order; found {numbers}")
    by_line = {int(row[0]): row for row in rows}
    config = config_lines(project)
    problems = []
    for field in tc.FIELDS:
        cell = by_line[field.line][1]
        if field.key is not None:
            expected = f"`{field.key}`"
        elif field.kind in ("header", "separator"):
            expected = "-"
        else:
            # The contributor's own argument name (or the trainer name on line 14): what the bake wrote there.
            expected = f"`{config[field.line - 1].partition(':')[0]}`"
            if code(cell) in tc.FIXED_KEYS:
                problems.append(f"line {field.line} ({field.meaning}): key cell {cell} is the fixed key of line "
                                f"{tc.FIXED_KEYS[code(cell)]}")
        if cell != expected:
            problems.append(f"line {field.line} ({field.meaning}): key cell {cell!r}, expected {expected!r}")
    assert not problems, f"{rel}:\n" + "\n".join(problems)


# ---------------------------------------------------------------- the named extension lines

@LANGS
def test_docs_extension_table_matches_extensions(project, lang):
    rel = DOCS[lang]
    text = (project / rel).read_text(encoding="utf-8")
    rows = the_table(text, NAME_TABLE, rel)
    names = [code(row[0]) for row in rows]
    expected = [f.name for f in tc.EXTENSIONS if f.kind != "header"]
    assert len(names) == len(set(names)), f"{rel}: extension names listed twice: {names}"
    assert set(names) == set(expected), f"{rel}: extension table names {names}, EXTENSIONS has {expected}"
    # What the bake's config holds after the header, by name.
    config = config_lines(project)
    named = {}
    if len(config) > tc.REQUIRED_LINES:
        assert tc.EXTENSION_HEADER_RE.match(config[tc.REQUIRED_LINES]), config[tc.REQUIRED_LINES]
        named = {line.partition(":")[0]: line for line in config[tc.REQUIRED_LINES + 1:]}
    problems = []
    for name, row in zip(names, rows):
        written, this_repo = row[1], row[-1]
        if not written.startswith(f"`{name}:"):
            problems.append(f"{name}: the 'written as' cell should start with `{name}:, found {written!r}")
        want = f"`{named[name]}`" if name in named else "–"
        if this_repo != want:
            problems.append(f"{name}: the config's line is {want!r}, the table says {this_repo!r}")
    assert not problems, f"{rel}:\n" + "\n".join(problems)


@LANGS
def test_docs_address_extension_lines_by_name(project, lang):
    """Positions 34-39 appear only in the paragraph on the older positional form, which gives each position's name;
    the command-assembly lines name the extension lines."""
    rel = DOCS[lang]
    text = (project / rel).read_text(encoding="utf-8")
    for position, name in tc.LEGACY_POSITIONS.items():
        assert f"{position} `{name}`" in text, f"{rel}: the older positional form should map {position} to {name}"
    positional = re.findall(r"<(?:line |第)3[3-9](?: key|行)?>", text)
    assert not positional, f"{rel}: extension lines addressed by position: {positional}"
    for name in ("accuracy_check", "enable_mkldnn", "cpu_threads", "precision", "use_tensorrt"):
        assert f"<{name}>" in text, f"{rel}: the command-assembly lines should name <{name}>"


# ---------------------------------------------------------------- commands and runs: from the plan

@pytest.mark.parametrize("gpu_list", ["-1", "-1|-1,-1|0|0,1", "0"])
def test_docs_show_the_commands_the_harness_runs(cookies, gpu_list):
    """The docs' dry-run example is the harness's own dry run of the example entry, and their inference table
    lists only inference steps the harness runs: a CPU-only config has no GPU inference row."""
    result = cookies.bake(extra_context={"gpu_list": gpu_list})
    assert result.exit_code == 0, result.exception
    project = result.project_path
    config = CONFIG_REL.format(name=project.name)
    proc = subprocess.run(["bash", "test_tipc/test_train_inference_python.sh", config, "lite_train_lite_infer"],
                          cwd=project, capture_output=True, text=True, env={**os.environ, "TIPC_DRY_RUN": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    harness = [line for line in proc.stdout.splitlines() if line.startswith(("[dry-run] ", "[skip] "))]
    for rel in DOCS.values():
        text = (project / rel).read_text(encoding="utf-8")
        assert "@@" not in text, f"{rel}: a marker was left unfilled"
        example = [line for line in text.splitlines() if line.startswith(("[dry-run] ", "[skip] "))]
        assert example == harness[:len(example)] and len(example) >= 6, (rel, example, harness)
        rows = the_table(text, {"条目（第 4 行）", "Entry (line 4)"}, rel)
        infer_rows = [row for row in rows if row[1].startswith("`infer_")]
        assert infer_rows, f"{rel}: no inference rows"
        has_gpu = "0" in gpu_list.split("|")
        kinds = {row[0].split()[1] for row in infer_rows}
        assert kinds == {"(CPU)" if "-1" in gpu_list else "(GPU)"} | ({"(GPU)"} if has_gpu else set()), rel
        assert ("infer_gpu" in " ".join(r[1] for r in infer_rows)) == has_gpu, rel
