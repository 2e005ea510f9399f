"""Agreement of two runs of the same program on the same inputs, per output (numpy only).

An output's kind is read from what the program returned, so one step serves every task:

- ``class scores``: float [N, C]: top-1 agreement (inputs where the reference's best two classes are within
  TIE_MARGIN of each other in softmax probability are near-ties: counted apart, as the reference repo's accuracy
  check does); with fewer than MIN_DECIDED inputs that are not near-ties, the largest class probability
  difference instead;
- ``class map``: integer [N, H, W] (or [N, 1, H, W]): the share of pixels with the same class;
- ``score map``: float [N, C, H, W] with C > 1: the same, on the argmax over C;
- ``boxes``: float [M, 6] rows ``class, score, x1, y1, x2, y2`` (PaddleDetection's NMS output; a [N] integer output
  beside it counts the boxes per image): the share of the reference's boxes above BOX_SCORE that the other run has,
  same class and IoU >= BOX_IOU; and, reported but not judged, the same share for each image's TOP_BOXES
  highest-scoring boxes whatever their score (a briefly trained detector scores no box BOX_SCORE, and its
  low-score boxes may swap places between two runs without either run being wrong);
- any other tensor: cosine similarity and max abs difference only.

Cosine similarity and max abs difference are reported for every float output whose shapes match; the cosine bar
applies to the outputs of no other kind.
"""
import numpy as np

# The documented bars of the int8 step (README, "The int8 step"): below one, the output disagrees.
MIN_COSINE = 0.99
MIN_TOP1 = 0.90
MIN_PIXELS = 0.90
MIN_BOXES = 0.80
# Top-1 agreement is judged on at least this many inputs whose best two classes are apart; with fewer (a barely
# trained lite-mode classifier puts every input near a tie) the class probabilities must agree within MAX_PROB_DIFF.
# The direction and the spread of the scores less each input's mean (what softmax sees) are reported, not judged: on
# scores that flat, rounding alone turns the direction (the cosine of the centred scores was 0.85 and 0.99 for two
# lite trainings of the same reference model, both within 0.007 in probability), and a 1-epoch whole-mode model's
# program without int8 kernels gave the same scores for every input while its int8 run varied within 0.014 in
# probability.
MIN_DECIDED = 5
MAX_PROB_DIFF = 0.10
TIE_MARGIN = 0.01
BOX_SCORE = 0.3
BOX_IOU = 0.5
TOP_BOXES = 10


def output_kind(values, others=()):
    """The kind of one output (a numpy array) among all outputs of the run (OTHERS)."""
    if values.dtype.kind in "iu":
        if values.ndim == 3 or (values.ndim == 4 and values.shape[1] == 1):
            return "class map"
        return "tensor"
    if values.ndim == 2 and values.shape[1] == 6 and any(o.dtype.kind in "iu" and o.ndim == 1 for o in others):
        return "boxes"
    if values.ndim == 2 and values.shape[1] > 1:
        return "class scores"
    if values.ndim == 4 and values.shape[1] > 1 and values.shape[2] > 1 and values.shape[3] > 1:
        return "score map"
    return "tensor"


class Agreement:
    """Running agreement of one output over the inputs: call add() per input, then summary()."""

    def __init__(self, name, kind):
        self.name, self.kind = name, kind
        self.dot = self.norm_a = self.norm_b = 0.0
        self.max_abs = 0.0
        self.shape_mismatch = 0
        self.non_finite = 0
        self.same = self.counted = self.ties = 0   # top-1 (inputs), pixels, or reference boxes
        self.top_same = self.top_counted = 0  # boxes: each image's TOP_BOXES best boxes, whatever their score
        self.top_score = 0.0  # boxes: the highest score of the reference
        self.compared = 0  # inputs whose float values were compared
        self.max_prob_diff = 0.0  # class scores: largest difference of a class probability
        self.centered = [0.0, 0.0, 0.0]  # class scores: dot and norms of the scores less each row's mean

    def add(self, ref, other):
        """One input's output of the reference run (REF) and of the run under test (OTHER)."""
        if not np.all(np.isfinite(other.astype("float64"))):
            self.non_finite += 1
        if ref.shape == other.shape and ref.dtype.kind == "f":
            a, b = ref.astype("float64").ravel(), np.nan_to_num(other.astype("float64").ravel())
            self.compared += 1
            self.dot += float(a @ b)
            self.norm_a += float(a @ a)
            self.norm_b += float(b @ b)
            if a.size:
                self.max_abs = max(self.max_abs, float(np.abs(a - b).max()))
        elif ref.shape != other.shape and self.kind != "boxes":
            self.shape_mismatch += 1
            return
        if self.kind == "class scores":
            self._top1(ref, other)
        elif self.kind in ("class map", "score map"):
            if self.kind == "score map":
                ref, other = ref.argmax(axis=1), other.argmax(axis=1)
            self.same += int((ref == other).sum())
            self.counted += int(ref.size)
        elif self.kind == "boxes":
            matched, total = match_boxes(ref, other)
            self.same += matched
            self.counted += total
            if len(ref):
                best = ref[np.argsort(-ref[:, 1], kind="stable")[:TOP_BOXES]]
                matched, total = match_boxes(best, other, score=0.0)
                self.top_same += matched
                self.top_counted += total
                self.top_score = max(self.top_score, float(ref[:, 1].max()))

    def _top1(self, ref, other):
        probs, other_probs = probabilities(ref), probabilities(other)
        self.max_prob_diff = max(self.max_prob_diff, float(np.abs(probs - other_probs).max()))
        a = (ref - ref.mean(axis=-1, keepdims=True)).astype("float64").ravel()
        b = np.nan_to_num((other - other.mean(axis=-1, keepdims=True)).astype("float64").ravel())
        self.centered = [self.centered[0] + float(a @ b), self.centered[1] + float(a @ a),
                         self.centered[2] + float(b @ b)]
        top2 = np.sort(probs, axis=-1)[:, -2:]
        for row in range(ref.shape[0]):
            if top2[row, 1] - top2[row, 0] < TIE_MARGIN:
                self.ties += 1
                continue
            self.counted += 1
            self.same += int(ref[row].argmax() == other[row].argmax())

    def cosine(self):
        if not self.compared:
            return None
        if self.norm_a == 0 and self.norm_b == 0:
            return 1.0
        if self.norm_a == 0 or self.norm_b == 0:
            return 0.0
        return self.dot / (self.norm_a ** 0.5 * self.norm_b ** 0.5)

    def share(self):
        return self.same / self.counted if self.counted else None

    def summary(self):
        """(facts dict, problem or "")."""
        cosine, share = self.cosine(), self.share()
        facts = {"output": self.name, "kind": self.kind, "max_abs_diff": self.max_abs,
                 "cosine": cosine, "agree": share,
                 "agree_of": self.counted, "near_ties": self.ties}
        if self.kind == "boxes":
            facts["top_agree"] = self.top_same / self.top_counted if self.top_counted else None
            facts["top_agree_of"], facts["top_score"] = self.top_counted, self.top_score
            facts["box_score"] = BOX_SCORE  # the score a box needs to be judged
        if self.kind == "class scores":
            facts["max_prob_diff"] = self.max_prob_diff
            dot, norm_a, norm_b = self.centered
            facts["centered_cosine"] = (dot / (norm_a * norm_b) ** 0.5 if norm_a and norm_b
                                        else 1.0 if not norm_a and not norm_b else 0.0)  # constant scores
            facts["spread_ratio"] = (norm_b / norm_a) ** 0.5 if norm_a else (float("inf") if norm_b else 1.0)
        if self.non_finite:
            return facts, f"output {self.name}: {self.non_finite} input(s) gave NaN or inf"
        if self.shape_mismatch:
            return facts, f"output {self.name}: other shape than the reference for {self.shape_mismatch} input(s)"
        bar = {"class scores": MIN_TOP1, "class map": MIN_PIXELS, "score map": MIN_PIXELS, "boxes": MIN_BOXES}
        what = {"class scores": "top-1 agreement", "class map": "pixel agreement", "score map": "pixel agreement",
                "boxes": f"boxes matched (class, IoU >= {BOX_IOU}, score >= {BOX_SCORE})"}
        if self.kind == "class scores" and self.counted < MIN_DECIDED:
            if self.max_prob_diff > MAX_PROB_DIFF:
                return facts, (f"output {self.name} ({self.kind}): class probabilities differ by up to "
                               f"{self.max_prob_diff:.3f} > {MAX_PROB_DIFF}")
            return facts, ""
        if self.kind in bar and share is not None and share < bar[self.kind]:
            return facts, f"output {self.name} ({self.kind}): {what[self.kind]} {share:.1%} < {bar[self.kind]:.0%}"
        # A kind with a bar of its own is judged by it: the logits of a barely trained classifier are close to each
        # other, and a small absolute difference moves their cosine a lot without changing a decision.
        if self.kind not in bar and cosine is not None and cosine < MIN_COSINE:
            return facts, f"output {self.name} ({self.kind}): cosine similarity {cosine:.4f} < {MIN_COSINE}"
        return facts, ""


def probabilities(scores):
    """Class probabilities: the scores themselves when they already are (non-negative, rows summing to 1)."""
    scores = scores.astype("float64")
    if scores.min() >= 0 and np.allclose(scores.sum(axis=-1), 1, atol=1e-3):
        return scores
    return softmax(scores)


def softmax(logits):
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def iou(a, b):
    """IoU of two x1, y1, x2, y2 boxes."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match_boxes(ref, other, score=BOX_SCORE, min_iou=BOX_IOU):
    """(matched, total): of the reference's boxes with score >= SCORE (rows class, score, x1, y1, x2, y2), how many
    have a box of OTHER with the same class, IoU >= MIN_IOU and a score of at least half of SCORE (each used
    once)."""
    ref = ref[ref[:, 1] >= score] if len(ref) else ref
    candidates = [row for row in other if row[1] >= score / 2] if len(other) else []
    used, matched = set(), 0
    for box in ref:
        best, best_iou = None, min_iou
        for index, cand in enumerate(candidates):
            if index in used or int(cand[0]) != int(box[0]):
                continue
            overlap = iou(box[2:6], cand[2:6])
            if overlap >= best_iou:
                best, best_iou = index, overlap
        if best is not None:
            used.add(best)
            matched += 1
    return matched, len(ref)


def accuracy(scores, labels):
    """Top-1 accuracy of class scores [N, C] per input against LABELS (None where the scores are no classes)."""
    if not labels or any(s.ndim != 2 or s.shape[1] <= max(labels) for s in scores):
        return None
    return sum(int(s[0].argmax() == label) for s, label in zip(scores, labels)) / len(labels)
