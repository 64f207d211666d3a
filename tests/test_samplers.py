"""Imbalance samplers: LVIS repeat factors against hand-computed values, class-aware draw frequencies, fixed
epoch length and determinism per (seed, epoch)."""

import numpy as np
import pytest

from kaggle_kit.training.samplers import ClassAwareSampler, RepeatFactorSampler, repeat_factors

TOY = [{"a"}, {"a", "b"}, {"c"}]           # f(a) = 2/3, f(b) = f(c) = 1/3


def test_repeat_factors_by_hand():
    # t = 1: r(a) = sqrt(1 / (2/3)) = 1.2247, r(b) = r(c) = sqrt(3) = 1.7321; an image takes its classes' max
    assert repeat_factors(TOY, 1.0) == pytest.approx([np.sqrt(1.5), np.sqrt(3), np.sqrt(3)])
    # t = 0.5: r(a) = max(1, sqrt(0.75)) = 1, r(b) = r(c) = sqrt(1.5)
    assert repeat_factors(TOY, 0.5) == pytest.approx([1.0, np.sqrt(1.5), np.sqrt(1.5)])
    # an image without boxes repeats once; a threshold below every frequency changes nothing
    assert repeat_factors([*TOY, set()], 1.0)[-1] == 1.0
    assert repeat_factors(TOY, 0.1) == pytest.approx([1.0, 1.0, 1.0])


def test_repeat_factor_sampler_repeats_images_by_their_factor():
    sampler = RepeatFactorSampler(TOY, 1.0, seed=3)
    factors = repeat_factors(TOY, 1.0)
    assert len(sampler) == round(factors.sum()) == 5
    counts = np.zeros(3)
    for epoch in range(3000):
        sampler.set_epoch(epoch)
        idx = list(sampler)
        assert len(idx) == 5
        counts += np.bincount(idx, minlength=3)
    share = counts / counts.sum()
    assert share == pytest.approx(factors / factors.sum(), abs=0.01)
    sampler.set_epoch(7)
    again = RepeatFactorSampler(TOY, 1.0, seed=3)
    again.set_epoch(7)
    assert list(sampler) == list(again)
    again.set_epoch(8)
    assert list(sampler) != list(again)


def test_class_aware_sampler_draws_classes_uniformly():
    images = [{"a"}, {"a"}, {"a"}, {"b"}, set()]
    sampler = ClassAwareSampler(images, seed=0, length=30000)
    share = np.bincount(list(sampler), minlength=5) / 30000
    assert share == pytest.approx([1 / 6, 1 / 6, 1 / 6, 1 / 2, 0], abs=0.01)
    assert len(ClassAwareSampler(images, seed=0)) == 5
    with pytest.raises(ValueError):
        ClassAwareSampler([set(), set()], seed=0)
