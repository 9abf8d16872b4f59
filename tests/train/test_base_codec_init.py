"""Starting the learned codec's training from a shipped model (grown, or without the glyph
condition for the ablation)."""

from __future__ import annotations

import pytest
import torch

from picd_desktop.models.base_net import BaseNet, NetConfig
from picd_desktop.models.weights import load_net, model_dir
from picd_desktop.train.base_codec import grow_from

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
