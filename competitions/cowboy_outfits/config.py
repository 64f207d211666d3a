"""cowboyoutfits config keys beside the core's. Values live in configs/cowboy*.yaml."""

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from kaggle_kit.config import TrainConfig
from kaggle_kit.detectors import KINDS


class CowboyConfig(TrainConfig):
    PREDICTION_KEYS: ClassVar[frozenset[str]] = TrainConfig.PREDICTION_KEYS | {"fold_weights", "wbf_iou",
                                                                               "wbf_skip"}

    detector: Literal[KINDS] = "fcos"            # noqa: F821 (torchvision: fcos, retinanet, faster_rcnn)
    backbone: str = "resnet18"                   # a timm model (features_only) through an FPN, or
    #                                              "torchvision/resnet50": torchvision's ResNet FPN
    pretrained: bool = False                     # timm's hub weights for the backbone (online users)
    pretrained_path: str | None = None           # local backbone weights file (offline users)
    image_size: int = Field(640, ge=32)          # longer image side fed to the detector
    fpn_channels: int = Field(256, ge=8)
    head_convs: int = Field(4, ge=1)             # FCOS head depth
    anchor_size: int = Field(32, ge=2)           # box size at stride 8; doubles per pyramid level
    augment: Literal["none", "light", "strong"] = "light"
    score_thresh: float = Field(0.001, ge=0, lt=1)     # low: mAP needs the low-score tail
    detections_per_img: int = Field(100, ge=1)
    ensemble: Literal["wbf"] = "wbf"             # folds fused by weighted boxes fusion
    fold_weights: list[float] | None = None      # one weight per fold; null: equal
    wbf_iou: float = Field(0.55, gt=0, lt=1)
    wbf_skip: float = Field(0.001, ge=0, lt=1)

    @model_validator(mode="after")
    def _fcos_group_norm(self):
        if self.detector == "fcos" and self.fpn_channels % 32:
            raise ValueError(f"fpn_channels must be a multiple of 32 with detector=fcos (its head uses GroupNorm "
                             f"with 32 groups); got {self.fpn_channels}")
        return self
