"""Starting the learned codec's training from a shipped model (grown, or without the glyph
condition for the ablation)."""

from __future__ import annotations

import pytest
import torch

from picd_desktop.models.base_net import BaseNet, NetConfig
from picd_desktop.models.weights import load_net, model_dir
from picd_desktop.train.base_codec import LAMBDAS, grow_from, lambdas
from picd_desktop.train.codec_grow import relevel

SHIPPED = "learned-hp-v2"


def _zero_feats(net: BaseNet, h: int, w: int) -> list[torch.Tensor | None]:
    c = net.cfg.cond_ch
    return [torch.zeros(1, c, h // 4, w // 4), torch.zeros(1, c, h // 8, w // 8),
            torch.zeros(1, c, h // 16, w // 16), None]


def test_dropping_the_condition_keeps_the_image_weights() -> None:
    src, card = load_net(SHIPPED)
    assert src.cfg.cond
    net = BaseNet(NetConfig(**dict(src.cfg.as_dict(), cond=False)))
    steps, _, runs = grow_from(net, model_dir(SHIPPED))
    assert steps == card["steps"] and runs
    assert not hasattr(net, "glyph")
    torch.manual_seed(0)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        # the net without the condition computes what the shipped one does on zero features
        y_net = net.analysis(x, [None] * 4)
        y_src = src.analysis(x, _zero_feats(src, 64, 64))
        assert torch.allclose(y_net, y_src, atol=1e-5)
        y_hat = torch.round(y_src)
        assert torch.allclose(net.synthesis(y_hat, [None] * 4),
                              src.synthesis(y_hat, _zero_feats(src, 64, 64)), atol=1e-5)
        means, scales = net.hyper_synthesis(torch.zeros(1, src.cfg.z, 1, 1), None)
        means_s, scales_s = src.hyper_synthesis(torch.zeros(1, src.cfg.z, 1, 1),
                                                torch.zeros(1, src.cfg.cond_ch, 4, 4))
        assert torch.allclose(means, means_s, atol=1e-5)
        assert torch.allclose(scales, scales_s, atol=1e-5)


def test_another_base_config_is_refused() -> None:
    src, _ = load_net(SHIPPED)
    net = BaseNet(NetConfig(**dict(src.cfg.as_dict(), m=src.cfg.m // 2)))
    with pytest.raises(SystemExit, match="another base config"):
        grow_from(net, model_dir(SHIPPED))


def test_widening_the_latents_keeps_what_the_old_channels_do() -> None:
    src, _ = load_net(SHIPPED)
    m0 = src.cfg.m
    net = BaseNet(NetConfig(**dict(src.cfg.as_dict(), m=m0 + 32)))
    grow_from(net, model_dir(SHIPPED))
    torch.manual_seed(0)
    x = torch.rand(1, 3, 64, 64)
    cond = (torch.rand(1, 5, 64, 64) > 0.9).float() * 200 / 256
    with torch.no_grad():
        f_src, f_net = src.features(cond), net.features(cond)
        y_src, y_net = src.analysis(x, f_src), net.analysis(x, f_net)
        assert torch.equal(y_net[:, :m0], y_src)
        assert y_net[:, m0:].abs().mean() > 0.01  # the new channels carry something to train
        # the synthesis and the hyper-analysis start blind to the new channels
        y_hat = torch.round(y_net)
        assert torch.equal(net.synthesis(y_hat, f_net), src.synthesis(y_hat[:, :m0], f_src))
        assert torch.equal(net.hyper_analysis(y_net), src.hyper_analysis(y_src))
        z = torch.round(src.hyper_analysis(y_src))
        means, scales = net.hyper_synthesis(z, f_net[2])
        means_s, scales_s = src.hyper_synthesis(z, f_src[2])
        assert torch.equal(means[:, :m0], means_s) and torch.equal(scales[:, :m0], scales_s)
        assert not means[:, m0:].any() and not scales[:, m0:].any()
        assert torch.equal(net.gain[:, :m0], src.gain)
    net.check_exact_bounds()


def test_relevel_moves_the_gains_down_the_lambda_ladder() -> None:
    """--lambda-shift 3: level k starts with the exported level k - 3's gains; the three new
    bottom levels continue the geometric step (channels with a zero step keep the end value);
    the lambdas move alike."""
    src, _ = load_net(SHIPPED)
    net = BaseNet(src.cfg)
    grow_from(net, model_dir(SHIPPED), lambda_shift=3)
    g, old = net.gain.detach().abs(), src.gain.detach().abs()
    assert torch.equal(g[3:], old[:5])
    ratio = torch.where(old[1] > 0, old[0] / old[1], torch.ones_like(old[0]))
    assert torch.allclose(g[0], old[0] * ratio ** 3)
    assert torch.equal(net.inv_gain.detach().abs()[3:], src.inv_gain.detach().abs()[:5])
    assert relevel(torch.tensor([[1.0, 2.0], [2.0, 0.0]]), -1).tolist() == [[2, 0], [4, 0]]
    lams = lambdas(3)
    assert lams[3] == pytest.approx(LAMBDAS[0]) and lams[7] == pytest.approx(LAMBDAS[4])
