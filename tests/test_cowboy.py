"""cowboyoutfits pieces: the sample's layout, exact 64-bit ids, COCO AP, box fusion and the answer schema."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from competitions.cowboy_outfits.sample import N_TEST, N_TRAIN, N_VALID
from kaggle_kit.detection.box_fusion import fuse_image
from kaggle_kit.detection.coco_eval import coco_ground_truth, evaluate
from kaggle_kit.detection.download import read_coco_download
from kaggle_kit.detection.predictions import DetectionPredictions
from kaggle_kit.errors import UserError
from kaggle_kit.registry import get_task

COWBOY = get_task("cowboy")
CATEGORIES = COWBOY.spec.categories


def read_download(root):
    return read_coco_download(COWBOY.spec, root, COWBOY.slug)


def test_sample_layout(cowboy_sample):
    coco = json.loads((cowboy_sample / "train.json").read_text())
    assert [(c["id"], c["name"]) for c in coco["categories"]] == [(87, "belt"), (1034, "sunglasses"), (131, "boot"),
                                                                 (318, "cowboy_hat"), (588, "jacket")]
    assert len(coco["images"]) == N_TRAIN
    ids = [im["id"] for im in coco["images"]]
    assert all(isinstance(i, int) and 0 <= i < 2**64 for i in ids) and len(set(ids)) == len(ids)
    assert np.mean([i > 2**63 - 1 for i in ids]) > 0.6                       # most above int64
    for im in coco["images"]:
        assert re.fullmatch(r"[0-9a-f]{16}\.jpg", im["file_name"])
        assert (cowboy_sample / "images" / im["file_name"]).is_file()
    sizes = {(im["width"], im["height"]) for im in coco["images"]}
    assert len(sizes) > 50                                                   # varied sizes
    counts = pd.Series([a["category_id"] for a in coco["annotations"]]).value_counts()
    assert counts.index[:2].tolist() in ([1034, 588], [588, 1034])           # sunglasses and jackets most common
    assert 0 < counts[87] < 0.03 * counts.sum()                              # belt about 1 box in 100
    for a in coco["annotations"][:50]:
        assert all(v == round(v, 2) for v in a["bbox"]) and a["bbox"][2] > 0 and a["bbox"][3] > 0
    assert any("segmentation" in a for a in coco["annotations"])
    for split, n in (("valid", N_VALID), ("test", N_TEST)):
        frame = pd.read_csv(cowboy_sample / f"{split}.csv", dtype=str)
        assert list(frame.columns) == ["id", "file_name"] and len(frame) == n
        assert any(int(i) > 2**63 - 1 for i in frame["id"])


def test_ids_above_int64_survive_loading(cowboy_sample):
    train, splits, _, _ = read_download(cowboy_sample)
    raw = json.loads((cowboy_sample / "train.json").read_text())
    assert train.ids == [im["id"] for im in raw["images"]]
    assert splits["valid"].ids == [int(i) for i in pd.read_csv(cowboy_sample / "valid.csv", dtype=str)["id"]]
    assert max(train.ids) > 2**63 and all(type(i) is int for i in train.ids)


def test_coco_eval_of_ground_truth_is_perfect():
    sizes = [(100, 80), (120, 90), (60, 60)]
    boxes = [[[10, 10, 40, 50, 87], [50, 5, 90, 30, 588]], [[0, 0, 120, 90, 1034]], []]
    gt = coco_ground_truth(sizes, boxes, CATEGORIES)
    dets = np.array([[i, b[0], b[1], b[2] - b[0], b[3] - b[1], 0.9, b[4]] for i, bs in enumerate(boxes) for b in bs])
    result = evaluate(gt, np.arange(3), dets, CATEGORIES)
    assert result["AP"] == pytest.approx(1.0) and result["AP50"] == pytest.approx(1.0)
    assert result["per_class"]["belt"] == pytest.approx(1.0) and np.isnan(result["per_class"]["boot"])
    assert result["per_class_AP50"]["belt"] == pytest.approx(1.0) and np.isnan(result["per_class_AP50"]["boot"])
    shifted = dets.copy()
    shifted[:, 1] += 12                                                     # IoU below 0.5 for the small boxes
    moved = evaluate(gt, np.arange(3), shifted, CATEGORIES)
    assert moved["AP50"] < 0.7
    assert moved["per_class_AP50"]["sunglasses"] == pytest.approx(1.0)                  # the big box still matches
    assert moved["per_class_AP50"]["belt"] < 0.5 and moved["per_class"]["sunglasses"] < 1.0
    assert evaluate(gt, np.array([1]), dets, CATEGORIES)["AP"] == pytest.approx(1.0)   # restricted to rows


def test_weighted_boxes_fusion():
    a = np.array([[10, 10, 50, 50, 0.9, 1], [60, 60, 90, 95, 0.4, 2]])
    fused = fuse_image([a, a.copy(), a.copy()], 100, 100)
    order = np.argsort(-fused[:, 4])
    assert np.allclose(fused[order], a, atol=1e-4)                          # identical sets: the same boxes
    half = fuse_image([a, np.zeros((0, 6))], 100, 100)
    assert np.allclose(np.sort(half[:, 4]), np.sort(a[:, 4]) / 2)           # a missing vote halves the score
    b = a.copy()
    b[0, :4] = [14, 10, 54, 50]
    b[0, 4] = 0.3
    one = fuse_image([a[:1], b[:1]], 100, 100, weights=[3, 1])
    assert np.allclose(one[0, :4], (3 * 0.9 * a[0, :4] + 0.3 * b[0, :4]) / (3 * 0.9 + 0.3), atol=1e-3)


def test_detection_values_map_ids_to_their_rows():
    """Many detections of one image all land on its row; an id index that repeats an image, or a detection of
    an image the index lacks, is refused instead of silently misaligned."""
    from types import SimpleNamespace

    big = str(2**64 - 5)
    frame = pd.DataFrame({"image_id": [big, "7", big], "category_id": [87, 1034, 588], "x": [1.0, 0, 2],
                          "y": [2, 3, 4], "w": [10, 5.5, 3], "h": [4, 4, 4], "score": [0.5, 0.001, 0.2]})
    data = SimpleNamespace(ids=["3"], test_ids=["7", big, "9"])
    values = DetectionPredictions().values(None, data, frame, "test")
    assert values[:, 0].tolist() == [1, 0, 1] and values[:, 6].tolist() == [87, 1034, 588]
    assert values[2, 1:6].tolist() == [2, 4, 3, 4, 0.2]
    with pytest.raises(ValueError, match=f"image {big} is listed twice"):
        DetectionPredictions().values(None, SimpleNamespace(ids=[], test_ids=["7", big, big]), frame, "test")
    with pytest.raises(UserError, match="not among the train images"):
        DetectionPredictions().values(None, data, frame, "train")


def test_images_in_both_splits_are_answered_once(cowboy_overlap):
    """test.csv repeating valid.csv images: each image is predicted once (one row of the answer set), each
    split keeps every row of its csv."""
    train, splits, answer, _ = read_download(cowboy_overlap)
    valid, test = splits["valid"].ids, splits["test"].ids
    shared = set(valid) & set(test)
    assert shared and len(answer.ids) == len(set(valid) | set(test)) == len(valid) + len(test) - len(shared)
    assert answer.ids == list(dict.fromkeys(valid + test))
    assert dict(zip(answer.ids, answer.files, strict=True)) == {**dict(zip(test, splits["test"].files, strict=True)),
                                                                  **dict(zip(valid, splits["valid"].files, strict=True))}


def test_coco_results_round_trip_keeps_64_bit_ids(tmp_path):
    big = str(2**64 - 5)
    frame = pd.DataFrame({"image_id": [big, "7"], "category_id": [87, 1034], "x": [1.234, 0], "y": [2, 3],
                          "w": [10, 5.5], "h": [4, 4], "score": [0.5, 0.001]})
    DetectionPredictions().write(tmp_path / "p.json", frame)
    text = (tmp_path / "p.json").read_text()
    assert f'"image_id": {big}' in text                                      # an unquoted JSON integer
    back = DetectionPredictions().read(tmp_path / "p.json", "image_id")
    assert back["image_id"].tolist() == [big, "7"] and back["x"].tolist() == [1.23, 0]


@pytest.mark.parametrize("kind,backbone", [("fcos", "resnet10t"), ("retinanet", "resnet10t"),
                                           ("faster_rcnn", "resnet10t"), ("fcos", "torchvision/resnet18")])
def test_detectors_train_and_predict(kind, backbone):
    import torch

    from kaggle_kit.detection.detectors import build_detector, label_offset

    torch.manual_seed(0)
    det = build_detector(kind, backbone, 5, 64, fpn_channels=32, head_convs=1, anchor_size=8,
                         detections_per_img=7)
    images = [torch.rand(3, 64, 48), torch.rand(3, 40, 64)]
    off = label_offset(kind)
    targets = [{"boxes": torch.tensor([[5.0, 6.0, 30.0, 40.0]]), "labels": torch.tensor([2 + off])},
               {"boxes": torch.zeros((0, 4)), "labels": torch.zeros(0, dtype=torch.int64)}]
    losses = det.train()(images, targets)
    total = sum(losses.values())
    assert torch.isfinite(total) and total.requires_grad
    total.backward()
    out = det.eval()(images)
    assert len(out) == 2 and all(len(o["boxes"]) <= 7 for o in out)
    for o, im in zip(out, images, strict=True):
        assert (o["boxes"][:, 2] <= im.shape[2] + 1e-3).all() and (o["labels"] >= off).all()
        assert (o["labels"] < 5 + off).all()


def test_fcos_box_regression_recovers_from_negative_outputs():
    """torchvision's FCOS ReLU on box distances dies when every pre-activation is negative (seen on the sample:
    a fold stuck at AP50 ~0); the detector's regression keeps a gradient there and still gives positive
    distances."""
    import torch

    from kaggle_kit.detection.detectors import build_detector

    torch.manual_seed(0)
    det = build_detector("fcos", "resnet10t", 5, 64, fpn_channels=32, head_convs=1, anchor_size=8)
    conv = det.head.regression_head.bbox_reg[0]
    with torch.no_grad():
        conv.bias.fill_(-3.0)                               # every distance's pre-activation below zero
    images = [torch.rand(3, 64, 64), torch.rand(3, 64, 64)]
    targets = [{"boxes": torch.tensor([[5.0, 6.0, 40.0, 50.0]]), "labels": torch.tensor([2])}] * 2
    losses = det.train()(images, targets)
    losses["bbox_regression"].backward()
    assert conv.bias.grad is not None and conv.bias.grad.abs().sum() > 0 and (conv.bias.grad < 0).any()
    with torch.no_grad():
        regression, _ = det.eval().head.regression_head(list(det.backbone(torch.rand(2, 3, 64, 64)).values()))
    assert (regression > 0).all()


def test_class_weighted_fcos_loss():
    """Weights of 1 give torchvision's loss; a weight on the target's class raises only the classification loss,
    a weight on an absent class changes nothing."""
    import torch

    from kaggle_kit.detection.detectors import build_detector

    images = [torch.rand(3, 64, 64), torch.rand(3, 64, 64)]

    def losses(weights, label):
        torch.manual_seed(0)
        det = build_detector("fcos", "resnet10t", 5, 64, fpn_channels=32, head_convs=1, anchor_size=8,
                             class_weights=weights).train()
        targets = [{"boxes": torch.tensor([[5.0, 6.0, 40.0, 50.0]]), "labels": torch.tensor([label])}] * 2
        torch.manual_seed(1)
        return {k: v.item() for k, v in det(images, targets).items()}

    plain = losses(None, 2)
    assert losses([1.0] * 5, 2) == pytest.approx(plain, rel=1e-5)
    up = losses([1, 1, 4, 1, 1], 2)
    assert up["classification"] > plain["classification"] * 1.01
    assert up["bbox_regression"] == pytest.approx(plain["bbox_regression"], rel=1e-5)
    assert losses([1, 1, 4, 1, 1], 0) == pytest.approx(losses(None, 0), rel=1e-5)
    with pytest.raises(ValueError):
        build_detector("retinanet", "resnet10t", 5, 64, fpn_channels=32, class_weights=[1.0] * 5)
