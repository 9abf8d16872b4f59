"""The renderer's training objectives on a tiny model: the trajectory objective runs the
default sampler and trains only its last step; an untrained model's samples are the anchor."""

from __future__ import annotations

import torch

from picd_desktop.render.diffusion.model import RenderNet, RenderNetConfig, anchor_image
from picd_desktop.render.diffusion.pipeline import RenderSettings
from picd_desktop.render.diffusion.scheduler import make_scheduler
from picd_desktop.train.renderer import OBJECTIVES, _step_batch, sample


def _batch(n: int = 2, side: int = 32) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(0)
    x0 = torch.rand(n, 3, side, side, generator=gen) * 2 - 1
    base = (x0 + 0.2 * torch.randn(n, 3, side, side, generator=gen)).clamp(-1, 1)
    glyphs = -torch.ones(n, 4, side, side)
    glyphs[:, :, 8:12, 4:20] = 1.0  # a white opaque bar
    return x0, base, glyphs, torch.tensor([0, 1])


def _net() -> RenderNet:
    torch.manual_seed(0)
    return RenderNet(RenderNetConfig(widths=(8, 16, 16), cond_width=8, t_dim=16))


def test_untrained_sampler_returns_the_anchor() -> None:
    net, sched = _net(), make_scheduler()
    _, base, glyphs, domain = _batch()
    anchor = anchor_image(base, glyphs)
    noise = torch.randn(anchor.shape)
    with torch.no_grad():
        for k in (None, 0, RenderSettings.steps - 1):
            out = sample(net, sched, base, glyphs, domain, anchor, noise, stop_after=k)
            assert torch.allclose(out, anchor, atol=1e-6)


def test_every_objective_trains_and_the_trajectory_grads_only_its_last_step() -> None:
    for objective in OBJECTIVES:
        net, sched = _net(), make_scheduler()
        with torch.no_grad():  # leave the zero init, so the earlier steps matter
            for p in net.parameters():
                p.add_(0.01 * torch.randn_like(p))
        loss, pred = _step_batch(net, sched, _batch(), torch.Generator().manual_seed(1),
                                 objective)
        assert torch.isfinite(loss) and pred.shape == (2, 3, 32, 32)
        loss.backward()
        grads = [p.grad for p in net.parameters() if p.grad is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads)

    # the trajectory's earlier steps run without gradients: the graph holds one forward
    net, sched = _net(), make_scheduler()
    calls = []
    net.register_forward_hook(lambda m, i, o: calls.append(torch.is_grad_enabled()))
    x0, base, glyphs, domain = _batch()
    anchor = anchor_image(base, glyphs)
    last = RenderSettings.steps - 1
    sample(net, sched, base, glyphs, domain, anchor, torch.randn(anchor.shape), stop_after=last)
    assert RenderSettings.steps >= 2 and calls == [False] * last + [True]
