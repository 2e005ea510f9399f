"""The guide's table of lines next to a config's own lines and their problems (check_config.py --explain)."""
from .schema import FIELD, FIELDS, REQUIRED_LINES, TIPC_DIR


def explain(checker):
    """The guide's table with this config's lines and their problems, for a person to read."""
    by_line = {}
    for number, message in checker.problems:
        by_line.setdefault(number, []).append(message)
    out = [f"{checker.path}: {len(checker.lines)} lines, checked against the guide's train_pact_infer_python.txt "
           "layout (TIPC PACT guide, section 2.2)", ""]
    for message in by_line.pop("MODE", []) + by_line.pop(None, []):
        out.append(f"PROBLEM: {message}")
    if out[-1] != "":
        out.append("")
    for field in FIELDS:
        text = checker.line(field.line)
        mark = "!!" if field.line in by_line else "  "
        out.append(f"{mark} line {field.line:2d}: {field.meaning} [guide: {field.guide}]")
        out.append(f"            this config: {'(missing)' if text is None else text}")
        out.append(f"            goes here:   {field.goes_here}")
        for message in by_line.pop(field.line, []):
            out.append(f"            PROBLEM:     {message}")
    if len(checker.lines) > REQUIRED_LINES:
        out.append("   optional extensions (upstream scripts ignore them):")
        named = {entry.line: FIELD[name] for name, entry in (checker.config.entries.items() if checker.config else ())
                 if entry.line > REQUIRED_LINES}
        named[REQUIRED_LINES + 1] = FIELD["extension_header"]
        for number in range(REQUIRED_LINES + 1, len(checker.lines) + 1):
            field = named.get(number)
            mark = "!!" if number in by_line else "  "
            out.append(f"{mark} line {number:2d}: {field.meaning if field else 'not read by the harness'}"
                       + (f" [{field.guide}]" if field else ""))
            out.append(f"            this config: {checker.line(number)}")
            if field:
                out.append(f"            goes here:   {field.goes_here}")
            for message in by_line.pop(number, []):
                out.append(f"            PROBLEM:     {message}")
    out += ["", f"{len(checker.problems)} problem{'s' if len(checker.problems) != 1 else ''}. "
                "The commands the harness builds from these lines, without running them:",
            f"    TIPC_DRY_RUN=1 bash {TIPC_DIR}/test_train_inference_python.sh {checker.path} lite_train_lite_infer"]
    return "\n".join(out)
