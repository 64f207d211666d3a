"""Image config keys beside the core's: ImageTrainConfig, the ones every image kind (classification, detection)
accepts, and ImageClassifierConfig, classification's own. Loads no torch: the mode names live here, and the
modules that use them import them from here."""

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from kaggle_kit.config import StrictModel, TrainConfig

TTA_MODES = ("none", "hflip", "flips", "five_crop", "ten_crop")   # ttach views (kaggle_kit.vision.tta)


class AugmentOverrides(StrictModel):
    """Details of the `augment` preset; a value left null keeps the preset's."""
    crop_scale_min: float | None = Field(None, gt=0, le=1)   # random-resized-crop lower area bound
    hflip: float | None = Field(None, ge=0, le=1)
    vflip: float | None = Field(None, ge=0, le=1)
    rotate: float | None = Field(None, ge=0, le=180)          # degrees, both ways
    color_jitter: float | None = Field(None, ge=0, le=1)      # brightness/contrast/saturation strength


class ImageTrainConfig(TrainConfig):
    """Keys of every image kind: where the network's weights come from, and how its image loaders run."""
    EXECUTION_KEYS: ClassVar[frozenset[str]] = TrainConfig.EXECUTION_KEYS | {"worker_nice"}

    pretrained: bool = False                     # timm's hub weights (online users)
    pretrained_path: str | None = None           # local weights file (offline users); implies pretrained
    worker_nice: int = Field(0, ge=0, le=19)      # lower priority of loader workers: on a machine with few cores
    #                                              they fill idle moments instead of preempting the training threads


class ImageClassifierConfig(ImageTrainConfig):
    PREDICTION_KEYS: ClassVar[frozenset[str]] = TrainConfig.PREDICTION_KEYS | {"tta"}   # one prediction set each
    EXECUTION_KEYS: ClassVar[frozenset[str]] = ImageTrainConfig.EXECUTION_KEYS | {"channels_last",
                                                                                      "cache_test_images",
                                                                                      "cache_train_images"}

    model: str = "resnet18"                      # any timm model name
    image_size: int = Field(224, ge=16)
    eval_resize: float | None = Field(1.14, ge=1)   # eval images are resized to image_size * this, then cropped;
    #                                              null: the training resolution with augment none, else 1.14
    augment: Literal["none", "light", "strong"] = "light"
    aug: AugmentOverrides = AugmentOverrides()
    duplicate_distance: int | None = Field(None, ge=0, le=16)   # group images whose 64-bit perceptual hashes
    #                                             differ by at most this many bits into one fold; null: no grouping
    tta: Literal[TTA_MODES] = "none"             # noqa: F821 (Literal of the tuple's values)
    ensemble: Literal["mean", "vote"] = "mean"
    head_lr_mult: float | None = Field(10.0, gt=0)   # the classifier head's rate over lr; null: 10 with
    #                                              pretrained weights, 1 from random initialisation
    freeze_epochs: int = Field(0, ge=0)
    label_smoothing: float = Field(0.1, ge=0, lt=1)
    mixup: float = Field(0.0, ge=0)              # timm Mixup alpha; 0 is off
    cutmix: float = Field(0.0, ge=0)             # timm CutMix alpha; 0 is off
    mix_prob: float = Field(1.0, ge=0, le=1)
    ema_decay: float | None = Field(None, gt=0, lt=1)   # EMA of the weights (e.g. 0.999); validated and kept
    channels_last: bool = True                   # NHWC weights: faster convolutions on GPUs and CPUs
    cache_train_images: bool = True              # decode the training images once (runs/<comp>/cache/), shared by
    #                                              every fold and epoch: resized for validation and augment none,
    #                                              as decoded for augmentation (when one size and they fit)
    cache_test_images: bool = True               # decode + resize the test set once (runs/<comp>/cache/), not
    #                                              once per fold and TTA setting

    @property
    def head_rate(self) -> float:
        if self.head_lr_mult is not None:
            return self.head_lr_mult
        return 10.0 if self.pretrained or self.pretrained_path else 1.0

    @property
    def eval_scale(self) -> float:
        if self.eval_resize is not None:
            return self.eval_resize
        return 1.0 if self.augment == "none" else 1.14

    @model_validator(mode="after")
    def _even_batches_for_mixing(self):
        if (self.mixup or self.cutmix) and self.batch_size % 2:
            raise ValueError(f"batch_size must be even with mixup/cutmix (got {self.batch_size})")
        return self
