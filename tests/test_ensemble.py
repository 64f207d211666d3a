import numpy as np
import pytest

from kaggle_kit.ensembling import average


def test_mean_and_weighted_mean():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([3.0, 4.0, 5.0])
    assert average.mean([a, b]).tolist() == [2.0, 3.0, 4.0]
    assert average.weighted_mean([a, b], [3, 1]).tolist() == [1.5, 2.5, 3.5]
    with pytest.raises(ValueError):
        average.weighted_mean([a, b], [1, -1])
    with pytest.raises(ValueError):
        average.mean([a, np.array([np.nan, 1, 1])])


def test_probability_mean():
    p1 = np.array([[0.6, 0.4], [0.2, 0.8]])
    p2 = np.array([[0.2, 0.8], [0.4, 0.6]])
    assert np.allclose(average.prob_mean([p1, p2]), [[0.4, 0.6], [0.3, 0.7]])
    assert np.allclose(average.prob_mean([p1, p2], [1, 3]), [[0.3, 0.7], [0.35, 0.65]])


def test_majority_vote_counts_models_not_probabilities():
    # row 0: two models say class 0 weakly, one says class 2 strongly -> vote picks 0, the mean picks 2
    m1 = np.array([[0.40, 0.30, 0.30], [0.1, 0.8, 0.1]])
    m2 = np.array([[0.40, 0.35, 0.25], [0.1, 0.1, 0.8]])
    m3 = np.array([[0.00, 0.00, 1.00], [0.1, 0.8, 0.1]])
    assert average.majority_vote([m1, m2, m3]).tolist() == [0, 1]
    assert average.prob_mean([m1, m2, m3]).argmax(1).tolist() == [2, 1]
    # weights: m3 alone outweighs the other two
    assert average.majority_vote([m1, m2, m3], [1, 1, 3]).tolist() == [2, 1]


def test_vote_tie_broken_by_summed_probability():
    m1 = np.array([[0.9, 0.1]])
    m2 = np.array([[0.45, 0.55]])
    assert average.majority_vote([m1, m2]).tolist() == [0]
