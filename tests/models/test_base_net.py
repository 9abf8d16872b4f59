"""The learned base network: exact integer path, bounds, compressai import without torchvision."""

from __future__ import annotations

import sys

import pytest
import torch

from picd_desktop.models.base_net import AB, BaseNet, NetConfig, QConv
from picd_desktop.models.compressai_compat import install_torchvision_standin


def test_compressai_imports_without_torchvision() -> None:
    install_torchvision_standin()
    import compressai

    assert compressai.__version__ == "1.2.8"
    assert "torchvision" in sys.modules  # stand-in (no real torchvision in this venv)


@pytest.mark.parametrize("act", ["relu", "signed"])
def test_exact_path_equals_fake_quant_path(act: str) -> None:
    torch.manual_seed(0)
    conv = QConv(6, 8, 3, act=act).double()
    x_int = torch.randint(-300, 300, (1, 6, 16, 16)).double()
    with torch.no_grad():
        fq = conv(x_int / 2 ** AB) * 2 ** AB
    assert torch.equal(conv.exact(x_int), fq)


def test_exact_synthesis_is_integer_and_bounded() -> None:
    torch.manual_seed(1)
    net = BaseNet(NetConfig()).eval()
    assert net.check_exact_bounds() < 2 ** 53
    cond = torch.randint(0, 256, (1, 5, 64, 64)).double()
    feats = net.features(cond, exact=True)
    y = torch.randint(-500, 500, (1, net.cfg.m, 4, 4)).double()
    with torch.no_grad():
        px = net.synthesis(y, feats, exact=True)
    assert px.shape == (1, 3, 64, 64)
    assert torch.equal(px, torch.round(px)) and px.min() >= 0 and px.max() <= 255


def test_bound_check_rejects_huge_weights() -> None:
    net = BaseNet(NetConfig())
    with torch.no_grad():
        net.s2.conv.weight.fill_(2.0 ** 40)
    with pytest.raises(ValueError):
        net.check_exact_bounds()


def test_training_forward_has_gradients() -> None:
    torch.manual_seed(2)
    net = BaseNet(NetConfig(cond=False))
    x = torch.rand(2, 3, 64, 64)
    out = net(x, None, torch.tensor([0, 7]))
    loss = out["x_hat"].mean() + sum(-torch.log2(v).mean() for v in out["likelihoods"].values())
    loss.backward()
    assert net.a1.conv.weight.grad is not None and net.a1.conv.weight.grad.abs().sum() > 0
    assert net.s1.conv.weight.grad.abs().sum() > 0


GROWN = NetConfig(ga_res=1, gs_res=1, half=8)


def _randomise(net: BaseNet, std: float = 0.02) -> BaseNet:
    """Give every zero-initialised residual branch real weights."""
    with torch.no_grad():
        for p in net.parameters():
            if p.abs().sum() == 0:
                p.add_(torch.randn_like(p) * std)
    return net


def test_grown_net_starts_as_the_net_it_grew_from() -> None:
    torch.manual_seed(3)
    small = BaseNet(NetConfig()).eval()
    grown = BaseNet(GROWN).eval()
    own = grown.state_dict()
    grown.load_state_dict({k: v for k, v in small.state_dict().items()
                           if own[k].shape == v.shape}, strict=False)
    x, cond = torch.rand(1, 3, 64, 64), torch.randint(0, 256, (1, 5, 64, 64)).double()
    with torch.no_grad():
        a = small(x, cond.float() / 256, torch.tensor([3]))["x_hat"]
        b = grown(x, cond.float() / 256, torch.tensor([3]))["x_hat"]
        y = torch.randint(-500, 500, (1, 64, 4, 4)).double()
        ea = small.synthesis(y, small.features(cond, exact=True), exact=True)
        eb = grown.synthesis(y, grown.features(cond, exact=True), exact=True)
    assert torch.equal(a, b) and torch.equal(ea, eb)


@pytest.mark.parametrize("cfg", [GROWN, NetConfig(cond=False, gs_res=2, half=4)])
def test_grown_exact_synthesis_matches_the_training_path(cfg: NetConfig) -> None:
    torch.manual_seed(4)
    net = _randomise(BaseNet(cfg)).eval()
    assert net.check_exact_bounds() < 2 ** 53
    cond = torch.randint(0, 256, (1, 5, 64, 64)).double() if cfg.cond else None
    y = torch.randint(-500, 500, (1, cfg.m, 4, 4)).double()
    with torch.no_grad():
        px = net.synthesis(y, net.features(cond, exact=True), exact=True)
        ref = net.double().synthesis(y / 2 ** AB, net.features(
            None if cond is None else cond / 256))
    assert px.shape == (1, 3, 64, 64) and px.min() >= 0 and px.max() <= 255
    assert torch.equal(px, torch.floor(ref * 255 + 0.5).clamp(0, 255))
    assert px.std() > 0
