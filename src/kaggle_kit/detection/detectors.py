"""torchvision detectors (FCOS, RetinaNet, Faster R-CNN) on a timm backbone through an FPN (or torchvision's
ResNet FPN: backbone "torchvision/resnet18"), sized by config.

Images reach the detector already resized (longer side = image_size) as uint8; the detector's own transform
only normalises and pads, so min_size/max_size equal image_size and nothing is resized twice."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import timm
import torch
from torch import nn
from torchvision.models.detection import FCOS, FasterRCNN, RetinaNet
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.fcos import FCOSHead
from torchvision.models.detection.retinanet import RetinaNetHead
from torchvision.ops import FeaturePyramidNetwork, MultiScaleRoIAlign, sigmoid_focal_loss
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool, LastLevelP6P7

from kaggle_kit.detection.config import DETECTOR_KINDS as KINDS
from kaggle_kit.vision.models import weights_kwargs


class TimmFPN(nn.Module):
    """A timm model's last three feature levels (strides 8, 16, 32) through a feature pyramid."""

    def __init__(self, name: str, out_channels: int, extra: str, pretrained: bool = False,
                 *, pretrained_file: str | None = None):
        super().__init__()
        self.body = timm.create_model(name, features_only=True, out_indices=(-3, -2, -1),
                                      **weights_kwargs(pretrained, pretrained_file))
        channels = self.body.feature_info.channels()
        blocks = LastLevelP6P7(out_channels, out_channels) if extra == "p6p7" else LastLevelMaxPool()
        self.fpn = FeaturePyramidNetwork(channels, out_channels, extra_blocks=blocks)
        self.out_channels = out_channels
        self.mean = self.body.pretrained_cfg.get("mean", (0.485, 0.456, 0.406))
        self.std = self.body.pretrained_cfg.get("std", (0.229, 0.224, 0.225))

    def forward(self, x: torch.Tensor) -> OrderedDict:
        return self.fpn(OrderedDict((str(i), f) for i, f in enumerate(self.body(x))))


def torchvision_fpn(name: str, extra: str, pretrained: bool = False, pretrained_file: str | None = None):
    """torchvision's ResNet FPN backbone (FPN width 256). Random or file init gets trainable BatchNorm (the
    frozen default would freeze random statistics); hub weights keep torchvision's frozen BatchNorm."""
    from torchvision.models import get_model_weights
    from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
    from torchvision.ops import FrozenBatchNorm2d

    weights = get_model_weights(name).DEFAULT if pretrained and not pretrained_file else None
    body = resnet_fpn_backbone(backbone_name=name, weights=weights,
                               norm_layer=FrozenBatchNorm2d if weights else nn.BatchNorm2d,
                               trainable_layers=3 if weights else 5, returned_layers=[2, 3, 4],
                               extra_blocks=LastLevelP6P7(256, 256) if extra == "p6p7" else LastLevelMaxPool())
    if pretrained_file:
        state = torch.load(pretrained_file, map_location="cpu", weights_only=True)
        body.body.load_state_dict(state.get("state_dict", state), strict=False)   # the classifier is not used
    body.mean, body.std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    return body


def build_detector(kind: str, backbone: str, num_classes: int, image_size: int, *, fpn_channels: int = 64,
                   head_convs: int = 2, anchor_size: int = 16, pretrained: bool = False,
                   pretrained_path: str | None = None, score_thresh: float = 0.001,
                   detections_per_img: int = 100, class_weights: list[float] | None = None) -> nn.Module:
    """A detector predicting labels 0..num_classes-1 (Faster R-CNN's background class is added inside).
    `class_weights` (FCOS only) weigh each class's positives in the classification loss."""
    if kind not in KINDS:
        raise ValueError(f"unknown detector {kind!r}; one of {KINDS}")
    if class_weights is not None and (kind != "fcos" or len(class_weights) != num_classes):
        raise ValueError(f"class_weights need detector fcos and one weight per class ({num_classes})")
    if pretrained_path and not Path(pretrained_path).is_file():
        raise FileNotFoundError(pretrained_path)
    extra = "maxpool" if kind == "faster_rcnn" else "p6p7"
    if backbone.startswith("torchvision/"):
        body = torchvision_fpn(backbone.split("/", 1)[1], extra, pretrained, pretrained_path)
    else:
        body = TimmFPN(backbone, fpn_channels, extra, pretrained, pretrained_file=pretrained_path)
    fpn_channels = body.out_channels
    common = dict(min_size=image_size, max_size=image_size, image_mean=list(body.mean), image_std=list(body.std))
    sizes = tuple((anchor_size * 2**i,) for i in range(5))          # one size per level, strides 8..128
    if kind == "fcos":
        head = (FCOSHead(fpn_channels, 1, num_classes, num_convs=head_convs) if class_weights is None else
                ClassWeightedFCOSHead(fpn_channels, 1, num_classes, num_convs=head_convs, class_weights=class_weights))
        keep_regression_alive(head)
        return FCOS(body, num_classes, anchor_generator=AnchorGenerator(sizes, ((1.0,),) * 5), head=head,
                    score_thresh=score_thresh, detections_per_img=detections_per_img, **common)
    if kind == "retinanet":
        scales = tuple(tuple(int(s[0] * 2 ** (k / 3)) for k in range(3)) for s in sizes)
        anchors = AnchorGenerator(scales, ((0.5, 1.0, 2.0),) * 5)
        head = RetinaNetHead(fpn_channels, anchors.num_anchors_per_location()[0], num_classes)
        return RetinaNet(body, num_classes, anchor_generator=anchors, head=head, score_thresh=score_thresh,
                         detections_per_img=detections_per_img, **common)
    anchors = AnchorGenerator(sizes[:4], ((0.5, 1.0, 2.0),) * 4)
    return FasterRCNN(body, num_classes + 1, rpn_anchor_generator=anchors,
                      box_roi_pool=MultiScaleRoIAlign(["0", "1", "2"], 7, 2), box_score_thresh=score_thresh,
                      box_detections_per_img=detections_per_img, **common)


class ClassWeightedFCOSHead(FCOSHead):
    """FCOS head whose focal classification loss weighs the positive terms of class c by weights[c] (rare
    classes up); box regression and centre-ness losses are torchvision's."""

    def __init__(self, *args, class_weights: list[float], **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("class_weights", torch.tensor(class_weights, dtype=torch.float32), persistent=False)

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        """torchvision's losses, plus (weights[c] - 1) times the focal term of each positive (location, c):
        only the positives' terms are computed again, not the whole (N, HWA, C) map."""
        losses = super().compute_loss(targets, head_outputs, anchors, matched_idxs)
        classes = torch.stack([t["labels"][m.clip(min=0)] if len(t["labels"]) else m.new_zeros(len(m))
                               for t, m in zip(targets, matched_idxs, strict=True)])
        foreground = torch.stack(matched_idxs) >= 0
        positive = classes[foreground]
        logits = head_outputs["cls_logits"][foreground, positive]
        extra = sigmoid_focal_loss(logits, torch.ones_like(logits), reduction="none")
        extra = (extra * (self.class_weights.to(logits.dtype)[positive] - 1.0)).sum()
        losses["classification"] = losses["classification"] + extra / max(1, int(foreground.sum()))
        return losses


def keep_regression_alive(head: FCOSHead) -> None:
    """torchvision's FCOS passes its box distances through a ReLU: once a step pushes the regression layer's
    outputs below zero everywhere, its gradient is zero and boxes stay degenerate for good. Measured on the
    sample from random init: one fold in three ended that way (every pre-activation negative, AP50 ~0). A
    Softplus after the layer keeps the distances positive with a gradient everywhere (the ReLU after it is
    then the identity)."""
    reg = head.regression_head
    reg.bbox_reg = nn.Sequential(reg.bbox_reg, nn.Softplus())


def label_offset(kind: str) -> int:
    """Faster R-CNN reserves label 0 for the background; the one-stage detectors do not."""
    return 1 if kind == "faster_rcnn" else 0
