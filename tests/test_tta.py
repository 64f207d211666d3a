import pytest
import torch
from torch import nn

from kaggle_kit.vision.tta import n_views, predict_probs, probability_model


class LeftRight(nn.Module):
    """Logits = (mean of the left half, mean of the right half): a horizontal flip swaps them."""

    def forward(self, x):
        w = x.shape[-1] // 2
        return torch.stack([x[..., :w].mean((1, 2, 3)), x[..., w:].mean((1, 2, 3))], 1)


def test_views_per_mode():
    assert [n_views(m, 4) for m in ["none", "hflip", "flips", "five_crop", "ten_crop"]] == [1, 2, 4, 5, 10]


def test_hflip_averages_probabilities_not_logits():
    x = torch.zeros(1, 3, 4, 4)
    x[..., :2] = 2.0                                     # left half bright: logits (2, 0)
    probs = probability_model(LeftRight(), "hflip", 4)(x)
    p = torch.softmax(torch.tensor([2.0, 0.0]), 0)
    expected = (p + p.flip(0)) / 2                       # original view and the flipped one, averaged
    assert probs[0].tolist() == pytest.approx(expected.tolist())
    assert probs[0].tolist() == pytest.approx([0.5, 0.5])
    plain = probability_model(LeftRight(), "none", 4)(x)
    assert plain[0].tolist() == pytest.approx(p.tolist())


def test_five_crop_views_are_crops_of_the_larger_image():
    x = torch.zeros(1, 3, 6, 6)
    x[..., :, :3] = 1.0
    probs = probability_model(LeftRight(), "five_crop", 4)(x)
    # crops of width 4: left-top/left-bottom see cols 0-3 (left half of crop all 1, right half 1,0 -> mean .5),
    # right crops see cols 2-5, the centre crop cols 1-4
    views = []
    for c0 in (0, 0, 2, 2, 1):
        crop = x[..., :4, c0:c0 + 4]
        views.append(torch.softmax(LeftRight()(crop)[0], 0))
    assert probs[0].tolist() == pytest.approx(torch.stack(views).mean(0).tolist())
    assert probs.sum().item() == pytest.approx(1.0)


def test_predict_probs_over_a_loader():
    loader = [(torch.rand(3, 3, 4, 4), torch.zeros(3)), (torch.rand(2, 3, 4, 4), torch.zeros(2))]
    out = predict_probs(LeftRight(), loader, "flips", 4)
    assert out.shape == (5, 2) and torch.allclose(out.sum(1), torch.ones(5))


def test_image_normalize_on_the_batch_matches_albumentations():
    import albumentations as A
    import numpy as np

    from kaggle_kit.vision.normalize import ImageNormalize

    img = np.random.default_rng(0).integers(0, 256, (10, 12, 3), dtype=np.uint8)
    ref = A.Normalize()(image=img)["image"].transpose(2, 0, 1)
    out = ImageNormalize()(torch.from_numpy(img).permute(2, 0, 1)[None])[0].numpy()
    assert np.allclose(out, ref, atol=1e-5)
    with pytest.raises(TypeError):
        ImageNormalize()(torch.zeros(1, 3, 4, 4))
