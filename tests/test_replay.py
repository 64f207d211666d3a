"""Replayable randomness: the seed a sampler hands out with each index drives that sample's augmentation."""

import albumentations as A
import numpy as np

from kaggle_kit.training.replay import SampleSeeds, seeded_index
from kaggle_kit.training.samplers import EpochShuffleSampler


def flips(transform, seed, image):
    """(flipped left-right, flipped upside down) for the sample seed."""
    assert seeded_index((0, seed), transform) == 0
    out = transform(image=image)["image"]
    return (np.array_equal(out, image[:, ::-1]) or np.array_equal(out, image[::-1, ::-1]),
            np.array_equal(out, image[::-1]) or np.array_equal(out, image[::-1, ::-1]))


def test_each_seed_replays_and_transforms_draw_independently():
    image = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    t = A.Compose([A.HorizontalFlip(p=0.5), A.VerticalFlip(p=0.5)])
    seen = [flips(t, s, image) for s in range(200)]
    assert set(seen) == {(False, False), (False, True), (True, False), (True, True)}   # not all-or-none
    assert [flips(t, s, image) for s in range(200)] == seen                                     # the same again
    assert 70 < sum(h for h, _ in seen) < 130


def test_sample_seeds_follow_the_epoch_and_pass_it_on():
    s = SampleSeeds(EpochShuffleSampler(10, seed=3), seed=3)
    s.set_epoch(0)
    first = list(s)
    s.set_epoch(1)
    second = list(s)
    s.set_epoch(0)
    assert list(s) == first and first != second
    assert sorted(i for i, _ in first) == list(range(10)) and len({seed for _, seed in first}) == 10
