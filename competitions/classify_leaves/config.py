"""classify-leaves config: the image-classification kind's keys, nothing of its own. Values live in
configs/leaves*.yaml."""

from kaggle_kit.vision.config import ImageClassifierConfig


class LeavesConfig(ImageClassifierConfig):
    pass
