"""Detection TTA: every view's boxes map back to the original image, identical views fuse to the single view,
scale views run the detector at the scaled size and restore it."""

from types import SimpleNamespace

import pytest
import torch
from torch import nn
from torchvision.models.detection.transform import GeneralizedRCNNTransform

from kaggle_kit.detection.tta import fuse_views, predict_views, tta_views, unflip


class BrightBox(nn.Module):
    """A 'detector' that finds the bright rectangle in each input, in that input's pixels."""

    def __init__(self):
        super().__init__()
        self.transform = SimpleNamespace(min_size=(64,), max_size=64)
        self.sizes = []

    def forward(self, images):
        self.sizes.append((self.transform.min_size, self.transform.max_size))
        outs = []
        for im in images:
            ys, xs = torch.nonzero(im[0] > 0.5, as_tuple=True)
            box = torch.tensor([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], dtype=torch.float32)
            outs.append({"boxes": box, "scores": torch.tensor([0.9]), "labels": torch.tensor([2])})
        return outs


def images():
    a, b = torch.zeros(3, 40, 64), torch.zeros(3, 64, 50)
    a[:, 5:20, 3:30] = 1.0                         # x 3..30, y 5..20: far from the centre, so a flip moves it
    b[:, 30:60, 35:48] = 1.0
    return [a, b], [torch.tensor([3.0, 5, 30, 20]), torch.tensor([35.0, 30, 48, 60])]


def test_views():
    assert tta_views("none") == [(False, 1.0)]
    assert tta_views("hflip") == [(False, 1.0), (True, 1.0)]
    assert tta_views("hflip_scales", [0.8, 1.2]) == [(False, 1.0), (True, 1.0), (False, 0.8), (True, 0.8),
                                                     (False, 1.2), (True, 1.2)]
    with pytest.raises(ValueError):
        tta_views("vflip")


def test_unflip_inverts_a_flip():
    boxes = torch.tensor([[3.0, 5, 30, 20], [0, 0, 64, 40]])
    flipped = torch.stack([64 - boxes[:, 2], boxes[:, 1], 64 - boxes[:, 0], boxes[:, 3]], 1)
    assert torch.equal(unflip(flipped, 64), boxes)
    assert torch.equal(unflip(unflip(boxes, 64), 64), boxes)


@pytest.mark.parametrize("mode", ["none", "hflip", "hflip_scales"])
def test_every_view_maps_back_and_identical_views_fuse_to_one(mode):
    det, (ims, truth) = BrightBox(), images()
    views = tta_views(mode, [0.5, 1.5])
    per_view = predict_views(det, ims, views, image_size=64)
    assert len(per_view) == len(views)
    for outs in per_view:                                    # every view, back in the original image
        for out, box in zip(outs, truth, strict=True):
            assert torch.equal(out["boxes"][0], box)
    assert det.sizes == [((round(64 * s),), round(64 * s)) for _, s in views]   # scale views resize the input
    assert det.transform.min_size == (64,) and det.transform.max_size == 64      # ... and restore the size
    fused = fuse_views(per_view, ims, iou_thr=0.55, skip_box_thr=0.001, max_boxes=10)
    for out, box in zip(fused, truth, strict=True):
        assert len(out["boxes"]) == 1 and out["labels"].tolist() == [2]
        assert torch.allclose(out["boxes"][0], box, atol=1e-3)
        assert out["scores"][0].item() == pytest.approx(0.9, abs=1e-6)


class ResizingBrightBox(nn.Module):
    """Like BrightBox, behind torchvision's own detection transform: inputs resized to its size, the box found
    on the resized image, mapped back to the input's pixels by the transform's postprocess."""

    def __init__(self, size):
        super().__init__()
        self.transform = GeneralizedRCNNTransform(size, size, [0.0] * 3, [1.0] * 3)
        self.resized = []

    def forward(self, images):
        originals = [tuple(im.shape[-2:]) for im in images]
        batch, _ = self.transform(images)
        self.resized.append(batch.image_sizes)
        found = BrightBox()([t[:, :h, :w] for t, (h, w) in zip(batch.tensors, batch.image_sizes, strict=True)])
        return self.transform.postprocess(found, batch.image_sizes, originals)


def test_scale_views_resize_through_the_detector_transform_and_come_back():
    det, (ims, truth) = ResizingBrightBox(64).eval(), images()     # eval: postprocess maps boxes back
    views = tta_views("hflip_scales", [0.5, 1.5])
    per_view = predict_views(det, ims, views, image_size=64)
    for (_, scale), sizes in zip(views, det.resized, strict=True):
        assert [max(s) for s in sizes] == [round(64 * scale)] * 2              # the longer side at the view's scale
    for outs in per_view:
        for out, box in zip(outs, truth, strict=True):
            assert torch.allclose(out["boxes"][0], box, atol=2.5)              # back in input pixels (resampling)
    assert det.transform.min_size == (64,) and det.transform.max_size == 64
