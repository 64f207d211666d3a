import math

import pytest
import torch

from kaggle_kit.training.schedule import lr_factor, make_scheduler


def test_warmup_then_cosine_hand_computed():
    # 10 warmup steps of 110: factor (s+1)/10, then cosine over the remaining 100 steps down to 0.1.
    assert lr_factor(0, 110, 10, 0.1) == pytest.approx(0.1)
    assert lr_factor(4, 110, 10, 0.1) == pytest.approx(0.5)
    assert lr_factor(9, 110, 10, 0.1) == pytest.approx(1.0)
    assert lr_factor(10, 110, 10, 0.1) == pytest.approx(1.0)
    assert lr_factor(60, 110, 10, 0.1) == pytest.approx(0.55)          # midpoint: 0.1 + 0.9 * 0.5
    assert lr_factor(35, 110, 10, 0.1) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 4)))
    assert lr_factor(110, 110, 10, 0.1) == pytest.approx(0.1)
    assert lr_factor(500, 110, 10, 0.1) == pytest.approx(0.1)           # clamps past the end


def test_constant_schedule_and_no_warmup():
    assert lr_factor(0, 100, 0, 0.0) == pytest.approx(1.0)
    assert lr_factor(50, 100, 0, 0.0) == pytest.approx(0.5)
    assert lr_factor(3, 100, 4, 0.0, kind="constant") == pytest.approx(1.0)
    assert lr_factor(1, 100, 4, 0.0, kind="constant") == pytest.approx(0.5)
    assert lr_factor(80, 100, 4, 0.0, kind="constant") == 1.0


def test_scheduler_steps_per_batch():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=2.0)
    sched = make_scheduler(opt, total_steps=20, warmup_steps=4, min_ratio=0.0, kind="cosine")
    lrs = []
    for _ in range(20):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[:5] == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.0])
    assert lrs[12] == pytest.approx(1.0)   # step 12 is the cosine midpoint of steps 4..20
