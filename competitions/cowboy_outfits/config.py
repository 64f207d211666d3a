"""cowboyoutfits config: the detection kind's keys, nothing of its own. Values live in configs/cowboy*.yaml."""

from kaggle_kit.detection.config import DetectionConfig


class CowboyConfig(DetectionConfig):
    pass
