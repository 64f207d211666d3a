"""Detection config keys beside the core's (every competition of the kind accepts them). Loads no torch: the
mode names live here, and the modules that use them import them from here."""

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from kaggle_kit.config import TrainConfig
from kaggle_kit.vision.config import ImageTrainConfig

DETECTOR_KINDS = ("fcos", "retinanet", "faster_rcnn")   # torchvision's (kaggle_kit.detection.detectors)
TTA_MODES = ("none", "hflip", "hflip_scales")           # kaggle_kit.detection.tta


class DetectionConfig(ImageTrainConfig):
    PREDICTION_KEYS: ClassVar[frozenset[str]] = TrainConfig.PREDICTION_KEYS | {
        "fold_weights", "wbf_iou", "wbf_skip", "tta", "tta_scales", "tta_wbf_iou"}

    detector: Literal[DETECTOR_KINDS] = "fcos"   # noqa: F821 (torchvision: fcos, retinanet, faster_rcnn)
    backbone: str = "resnet18"                   # a timm model (features_only) through an FPN, or
    #                                              "torchvision/resnet50": torchvision's ResNet FPN
    image_size: int = Field(640, ge=32)          # longer image side fed to the detector
    fpn_channels: int = Field(256, ge=8)
    head_convs: int = Field(4, ge=1)             # FCOS head depth
    anchor_size: int = Field(32, ge=2)           # box size at stride 8; doubles per pyramid level
    augment: Literal["none", "light", "strong"] = "light"
    sampler: Literal["shuffle", "repeat_factor", "class_aware"] = "shuffle"   # against class imbalance
    repeat_threshold: float = Field(0.1, gt=0, le=1)   # repeat_factor: classes in fewer images than this
    #                                                    fraction repeat by sqrt(threshold / fraction)
    class_weight_power: float = Field(0.0, ge=0)       # FCOS: positives of class c weigh
    #                                                    (f_max / f(c)) ** power in the focal loss; 0 is off
    score_thresh: float = Field(0.001, ge=0, lt=1)     # low: mAP needs the low-score tail
    detections_per_img: int = Field(100, ge=1)
    ensemble: Literal["wbf"] = "wbf"             # folds fused by weighted boxes fusion
    fold_weights: list[float] | None = None      # one weight per fold; null: equal
    wbf_iou: float = Field(0.55, gt=0, lt=1)
    wbf_skip: float = Field(0.001, ge=0, lt=1)
    tta: Literal[TTA_MODES] = "none"           # noqa: F821 (views fused by WBF per fold, OOF images too)
    tta_scales: list[float] = [0.8, 1.2]         # hflip_scales: image_size times these, besides 1.0
    tta_wbf_iou: float = Field(0.55, gt=0, lt=1)

    def tta_name(self) -> str:
        """The prediction set's name: the tta mode, with its scales and a non-default fusion IoU where they
        matter, so that changing any of them predicts again instead of reusing another setting's boxes."""
        if self.tta == "none":
            return "none"
        parts = [self.tta, *(f"{s:g}" for s in self.tta_scales)] if self.tta == "hflip_scales" else [self.tta]
        default_iou = type(self).model_fields["tta_wbf_iou"].default
        return "-".join(parts + ([f"iou{self.tta_wbf_iou:g}"] if self.tta_wbf_iou != default_iou else []))

    @model_validator(mode="after")
    def _fcos_only_keys(self):
        if self.detector == "fcos" and self.fpn_channels % 32:
            raise ValueError(f"fpn_channels must be a multiple of 32 with detector=fcos (its head uses GroupNorm "
                             f"with 32 groups); got {self.fpn_channels}")
        if any(s <= 0 or s == 1 for s in self.tta_scales) or len(set(self.tta_scales)) < len(self.tta_scales):
            raise ValueError(f"tta_scales must be distinct positive scales other than 1 (the plain view is always "
                             f"there); got {self.tta_scales}")
        if self.class_weight_power and self.detector != "fcos":
            raise ValueError(f"class_weight_power needs detector=fcos (got {self.detector}); set it to 0")
        return self
