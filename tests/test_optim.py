import torch

from kaggle_kit.training.optim import build_optimizer, param_groups


def test_no_weight_decay_on_bias_and_norm():
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.LayerNorm(8), torch.nn.Linear(8, 1))
    groups = param_groups(net, lr=0.1, weight_decay=0.05)
    decayed = {id(p) for g in groups if g["weight_decay"] > 0 for p in g["params"]}
    assert decayed == {id(net[0].weight), id(net[2].weight)}
    assert sum(len(g["params"]) for g in groups) == 6


def test_head_lr_multiplier():
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2))
    groups = param_groups(net, lr=0.1, weight_decay=0.01, head=net[1], head_lr_mult=10)
    head = {id(p) for p in net[1].parameters()}
    for g in groups:
        in_head = {id(p) in head for p in g["params"]}
        assert len(in_head) == 1
        assert g["lr"] == (1.0 if in_head.pop() else 0.1)
    opt = build_optimizer(groups, "sgd", 0.1)
    assert isinstance(opt, torch.optim.SGD) and opt.param_groups[0]["nesterov"]
