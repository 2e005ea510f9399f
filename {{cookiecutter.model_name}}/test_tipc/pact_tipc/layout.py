"""Lining a config up against the guide's 32-line layout: when a line was deleted or added in the middle, every
line below it is read as the wrong field, so the checker names the first displaced line instead of reporting
each of them."""
from .schema import BY_LINE, FIXED_KEYS, HEADER_LINES, MODES, REQUIRED_LINES, TIPC_DIR

# Lines of the suites' own TIPC configs (PaddleClas, PaddleSeg, PaddleDetection, PaddleOCR test_tipc/configs/*/
# train_*_infer_python.txt: trainer and export lines for every kind of training, AMP) that the PACT guide's layout
# does not have.
SUITE_KEYS = ("norm_train", "fpgm_train", "distill_train", "quant_export", "fpgm_export", "distill_export",
              "Global.auto_cast", "infer_quant", "kl_quant", "--profiler_options")


def classify(text, trainers):
    """What a config line looks like, for lining it up against the guide's layout."""
    if text == "##":
        return "separator"
    if ":" not in text:
        return "header" if text.startswith("=") else "text"
    key, value = text.split(":", 1)
    if key in FIXED_KEYS:
        return key
    if key in trainers:
        return "trainer-script"
    if any("=" in item and item.split("=", 1)[0] in MODES for item in value.split("|")):
        return "per-mode"
    return "argument"


def expected_kind(number):
    field = BY_LINE[number]
    if number in HEADER_LINES:
        return "header-or-separator"
    if field.name == "trainer_script":
        return "trainer-script"
    return field.key or "argument"


def fits(number, kind):
    """Whether a line of KIND can stand on the guide's line NUMBER."""
    expected = expected_kind(number)
    if expected == "header-or-separator":
        return kind in ("header", "separator", "text")
    if BY_LINE[number].per_mode:
        return kind in ("per-mode", "argument")
    return kind == expected


def find_shift(lines, path):
    """(first displaced line, lines missing (>0) or added (<0), message) when a line was deleted or added above a
    line that does not fit where it stands; None when the lines stand where the guide puts them (or no shift
    explains the misfits)."""
    trainers = {"pact_train", "norm_train"}
    for text in lines:
        if text.startswith("trainer:"):
            trainers.update(t for t in text.split(":", 1)[1].split("|") if t)
    kinds = [classify(text, trainers) for text in lines]
    last = min(len(kinds), REQUIRED_LINES)
    first = next((n for n in range(1, last + 1) if not fits(n, kinds[n - 1])), None)
    if first is None:
        return None
    # A deleted line shows at the line below it (start = first); an added line either looks like the
    # line it displaced (start = first) or is itself the first misfit (start = first + lines added).
    candidates = [(shift, first) for shift in (1, -1, 2, -2, 3, -3)] + [(-n, first + n) for n in (1, 2, 3)]
    for shift, start in candidates:
        numbers = [m for m in range(start, len(kinds) + 1) if 1 <= m + shift <= REQUIRED_LINES]
        if not 1 <= start + shift <= REQUIRED_LINES or len(numbers) < 2:
            continue
        if all(fits(m + shift, kinds[m - 1]) for m in numbers):
            break
    else:
        return None
    # The last line above the misfit that stands where the guide puts it and says so by itself.
    anchor = max([n for n in range(1, first) if expected_kind(n) not in ("argument", "header-or-separator")
                  and fits(n, kinds[n - 1])] or [0])
    count = abs(shift)
    plural = f"{count} line{'s' if count > 1 else ''}"
    where = f"between line {anchor} and line {start}" if anchor else f"above line {start}"
    if shift > 0:
        what = f"{plural} {'are' if count > 1 else 'is'} missing {where}"
        moved = f"every line from {start} on is {plural} too high"
    else:
        what = f"there {'are' if count > 1 else 'is'} {count} extra line{'s' if count > 1 else ''} {where}"
        moved = f"every line from {start} on is {plural} too low"
    guide = range(anchor + 1, start + shift)
    what += (f" (the guide has {len(guide)} line{'s' if len(guide) != 1 else ''} there" +
             "".join(f"{'; ' if i else ': '}{n} {BY_LINE[n].meaning}" for i, n in enumerate(guide)) +
             f", this file {start - anchor - 1})")
    if start == first:
        found = (f"found '{lines[first - 1]}', which is what belongs on line {first + shift} "
                 f"({BY_LINE[first + shift].meaning})")
    else:
        found = f"found '{lines[first - 1]}', which the guide does not have here"
    return first, shift, (f"line {first} should be the {BY_LINE[first].meaning}, {found}: {what}; {moved}. "
                          f"`python3 {TIPC_DIR}/check_config.py --explain {path}` shows the guide's lines next "
                          "to this file")


def suite_layout(lines, path):
    """One message when LINES are a suite's own TIPC config rather than the PACT guide's layout (None otherwise):
    reading it line by line against the guide would only list every line as misplaced."""
    found = [(n, text.split(":", 1)[0]) for n, text in enumerate(lines, 1) if text.split(":", 1)[0] in SUITE_KEYS]
    if len(found) < 2:
        return None
    name = lines[1].split(":", 1)[1] if len(lines) > 1 and lines[1].startswith("model_name:") else "<model_name>"
    where = ", ".join(f"line {n} {key}" for n, key in found[:4])
    return (f"this is a suite's own TIPC config ({where}: the {len(lines)}-line train_infer_python layout that "
            "PaddleClas, PaddleSeg, PaddleDetection and PaddleOCR keep in test_tipc/configs/ and read with their own "
            "test_tipc/test_train_inference_python.sh), not the PACT guide's 32-line layout this harness reads. Make "
            f"this model's PACT config with: cookiecutter <this template> layout=test_tipc_only checkout=<this "
            f"checkout> model_name={name} (the suite is recognised from the checkout, the config installed into it); "
            f"`python3 {TIPC_DIR}/check_config.py --explain {path}` shows the guide's lines")
