"""WBF blending of detection experiments, tuned on OOF AP, on a hand-made case where one member is right and
the other confidently wrong."""

import numpy as np
import pytest

from kaggle_kit.detection.coco_eval import coco_ground_truth, evaluate
from kaggle_kit.ensembling import box_rules as db
from kaggle_kit.ensembling.blend import Member, check_same_folds
from kaggle_kit.errors import UserError

CATS = {1: "thing"}
N = 30


def case():
    """Every image holds one true box. Member `right` finds it (score 0.8); member `wrong` puts a box beside it
    (IoU 0 with the truth) with a higher score (0.9)."""
    rng = np.random.default_rng(0)
    xy = rng.uniform(5, 40, size=(N, 2))
    truth = [[[x, y, x + 30, y + 30, 1]] for x, y in xy]
    gt = coco_ground_truth([(100, 100)] * N, truth, CATS)
    rows = np.arange(N)
    right = np.column_stack([rows, xy, np.full((N, 2), 30.0), np.full(N, 0.8), np.ones(N)])
    wrong = right.copy()
    wrong[:, 1] = np.where(xy[:, 0] < 35, xy[:, 0] + 40, xy[:, 0] - 35)      # moved clear of the true box
    wrong[:, 5] = 0.9
    return gt, [right, wrong]


def scorer(gt):
    return lambda rows, dets: evaluate(gt, rows, dets, CATS)["AP"]


def test_tuned_weights_beat_the_plain_mean_on_oof_ap():
    gt, members = case()
    score, rows = scorer(gt), np.arange(N)
    fused = db.Fused(members, [(100, 100)] * N)
    mean = db.rule_mean(fused, rows, score, 2)
    tuned = db.rule_weighted(fused, rows, score, 2)
    ap_mean = score(rows, fused.setting(mean))
    ap_tuned = score(rows, fused.setting(tuned))
    assert score(rows, members[0]) == pytest.approx(1.0)           # the right member alone is perfect
    assert ap_mean < 0.6                                           # equal weights rank the wrong boxes first
    assert ap_tuned == pytest.approx(1.0) and ap_tuned > ap_mean + 0.3
    assert tuned["weights"][0] > tuned["weights"][1]               # the right member weighs more
    assert tuned["iou"] in db.IOUS

    fold = np.arange(N) % 3
    nested = db.nested(db.rule_weighted, fused, fold, score, m=2)
    assert sorted(set(nested[:, 0].astype(int))) == list(range(N))   # every image, from its own fold's setting
    assert score(rows, nested) == pytest.approx(1.0)
    test = db.apply(tuned, members, [(100, 100)] * N)               # the test fusion is the same operation
    assert np.allclose(test, fused.setting(tuned))


def test_identical_members_fuse_to_themselves():
    gt, members = case()
    fused = db.Fused([members[0], members[0].copy()], [(100, 100)] * N)
    out = fused((1.0, 1.0), 0.55)
    assert out.shape == members[0].shape
    assert np.allclose(out[np.argsort(out[:, 0])][:, 1:], members[0][:, 1:], atol=1e-3)


def test_members_with_other_folds_are_refused():
    a = Member("a", [np.zeros((0, 7))], np.zeros((0, 7)), [np.array([0, 1, 0, 1])], ["multilabel-k2-x.csv"])
    b = Member("b", [np.zeros((0, 7))], np.zeros((0, 7)), [np.array([1, 0, 0, 1])], ["multilabel-k2-x.csv"])
    with pytest.raises(UserError, match="different folds"):
        check_same_folds([a, b])


def test_rank_mean_ignores_each_members_scale():
    from kaggle_kit.ensembling.blend import rule_prob_rank_mean, rule_rank_mean

    rng = np.random.default_rng(1)
    a, b = rng.normal(12, 0.4, size=(2, 50))
    apply, _ = rule_rank_mean(None, None, None, None)
    plain = apply(np.stack([a, b], 1))
    stretched = apply(np.stack([a, 10 * b - 100], 1))             # b on another scale: the same ranks ...
    assert np.array_equal(np.argsort(plain), np.argsort(stretched))  # ... so the same order of the rows
    mean = (a + b) / 2
    assert mean.min() - 1e-9 <= plain.min() and plain.max() <= mean.max() + 1e-9   # on the plain mean's scale
    assert np.corrcoef(plain, mean)[0, 1] > 0.9
    both = np.stack([a, a], 1)
    assert np.allclose(apply(both), a)                             # identical members come back unchanged

    y = np.array([0, 1, 2, 0])
    good = np.eye(3)[y] * 0.7 + 0.1
    squashed = np.eye(3)[y] * 0.01 + 0.33                          # right, but barely: ranks still agree
    apply, _ = rule_prob_rank_mean(None, None, None, None)
    out = apply(np.stack([good, squashed], 1))
    assert out.argmax(1).tolist() == y.tolist() and np.allclose(out.sum(1), 1)
