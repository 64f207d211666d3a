"""Replayable randomness: the seed a sampler hands out with each index drives that sample's augmentation, and
the per-epoch reseeding of torch's generator."""

import albumentations as A
import numpy as np
import torch

from kaggle_kit.training import replay
from kaggle_kit.training.replay import SampleSeeds, seed_torch, seeded_index
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


def test_seed_torch_draws_what_manual_seed_draws_and_skips_its_queueing_on_the_cpu(monkeypatch):
    torch.manual_seed(11)
    expected = (torch.rand(5), torch.randn(3), torch.randperm(7))
    calls = []
    real = torch.manual_seed
    monkeypatch.setattr(torch, "manual_seed", lambda s: calls.append(s) or real(s))
    monkeypatch.setattr(replay, "accelerator_present", lambda: False)
    seed_torch(11)
    assert calls == []                                    # the CPU generator alone
    got = (torch.rand(5), torch.randn(3), torch.randperm(7))
    assert all(torch.equal(a, b) for a, b in zip(got, expected, strict=True))
    monkeypatch.setattr(replay, "accelerator_present", lambda: True)
    seed_torch(11)
    assert calls == [11]                                  # a started accelerator is seeded too
    assert torch.equal(torch.rand(5), expected[0])


def test_accelerator_present_is_torch_accelerators_answer(monkeypatch):
    for answer in (False, True):
        monkeypatch.setattr(torch.accelerator, "is_available", lambda answer=answer: answer)
        assert replay.accelerator_present() is answer
