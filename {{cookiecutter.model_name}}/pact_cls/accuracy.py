"""Does the exported inference model predict what the dygraph model predicts? And does it still match a
saved ground truth (PaddleOCR's compare_results idea: class ids exact, probabilities within atol/rtol)?"""
import json
import os

import numpy as np

from . import UserError
from .predictor import softmax


def inference_results(classifier, paths, batch_size=8):
    """{image path: (class_id, prob, probs)} from Paddle Inference."""
    return _results(lambda chunk: classifier.infer(classifier.preprocess(chunk)), paths, batch_size)


def dygraph_results(model, classifier, paths, batch_size=8):
    """The same images through the dygraph network, with the very same preprocessing."""
    import paddle

    model.eval()
    with paddle.no_grad():
        return _results(lambda chunk: model(paddle.to_tensor(classifier.preprocess(chunk))).numpy(), paths,
                        batch_size)


def _results(logits_of, paths, batch_size):
    """{image path: (class_id, prob, probs)} from ``logits_of(paths of one batch)``."""
    results = {}
    for start in range(0, len(paths), batch_size):
        chunk = paths[start:start + batch_size]
        for path, probs in zip(chunk, softmax(logits_of(chunk))):
            results[path] = (int(probs.argmax()), float(probs.max()), probs)
    return results


def agreement(reference, candidate, tie_margin=0.0):
    """(images whose class differs, near-ties among them, max |prob difference| over all classes).

    A near-tie is an image on which the reference model itself rates the candidate's class within ``tie_margin`` of
    its own top class: an undecided model (e.g. a barely trained one, whose probabilities are all close to
    1/classes) flips such images on any rounding difference, so a flip there says nothing about the export.
    """
    differ, ties = [], []
    for path, (ref_class, _, ref_probs) in reference.items():
        cand_class = candidate[path][0]
        if cand_class != ref_class:
            (ties if ref_probs[ref_class] - ref_probs[cand_class] <= tie_margin else differ).append(path)
    max_diff = max(float(np.abs(reference[p][2] - candidate[p][2]).max()) for p in reference)
    return differ, ties, max_diff


def folder_labels(img_path, paths):
    """{image: class index} when ``img_path`` is an ImageFolder split (``<img_path>/<class>/<image>``): classes
    are its sub-folders in sorted order, as training numbers them. None when some image is not in a class folder."""
    if not os.path.isdir(img_path):
        return None
    classes = sorted(d.name for d in os.scandir(img_path) if d.is_dir())
    index = {name: i for i, name in enumerate(classes)}
    labels = {}
    for path in paths:
        parent = os.path.relpath(path, img_path).split(os.sep)[0]
        if parent not in index or os.path.dirname(os.path.relpath(path, img_path)) != parent:
            return None
        labels[path] = index[parent]
    return labels


def top1(results, labels):
    """Fraction of the labelled images whose predicted class is the label."""
    return sum(results[path][0] == label for path, label in labels.items()) / len(labels)


def save_results(results, path):
    rel = {img: {"class_id": cid, "prob": prob} for img, (cid, prob, _) in sorted(results.items())}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(rel, f, indent=1, sort_keys=True)


def compare_with_saved(results, path, atol, rtol):
    """Problems (empty = match) between ``results`` and a ground-truth file written by save_results."""
    if not os.path.isfile(path):
        raise UserError(f"ground-truth file {path!r} not found: write one with --save-results")
    with open(path, encoding="utf-8") as f:
        truth = json.load(f)
    problems = []
    for img in sorted(set(truth) | set(results)):
        if img not in results:
            problems.append(f"{img}: in the ground truth but not predicted")
        elif img not in truth:
            problems.append(f"{img}: predicted but not in the ground truth")
        else:
            cid, prob, _ = results[img]
            want = truth[img]
            if cid != want["class_id"]:
                problems.append(f"{img}: class_id {cid}, ground truth {want['class_id']}")
            elif not np.isclose(prob, want["prob"], atol=atol, rtol=rtol):
                problems.append(f"{img}: prob {prob:.6f}, ground truth {want['prob']:.6f} (atol {atol}, rtol {rtol})")
    return problems
