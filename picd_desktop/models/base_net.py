"""The learned base-layer network: a small mean-scale hyperprior conditioned on the glyph image.

Every convolution is a `QConv`: weights on a 2**-WB grid, biases on 2**-(WB+in_bits), outputs
re-quantised to a 2**-AB grid. Training sees these grids through straight-through rounding. The
decoder path (glyph features, hyper-synthesis h_s, synthesis g_s) also runs `exact`: integer
tensors in float64, where every product and partial sum is an integer below 2**53 (checked by
`check_exact_bounds`), so the result does not depend on summation order, thread count or
device; re-quantisation is a division by a power of two and a floor (exact IEEE operations).
Hence the entropy parameters (scale-table index, means on a 1/64 grid) and the decoded pixels
are bit-identical everywhere. No transcendental function runs on the decode path.

Variable rate: per quality level a gain vector scales y before quantisation (encoder, float)
and an inverse gain on a 2**-WB grid scales y_hat before g_s (decoder, exact integers).
The condition: 5 uint8 planes at full resolution (glyph RGB premultiplied by alpha, alpha,
coverage of all words) -> 16-channel features at 1/4, 1/8 and 1/16, fed to g_a, h_s and g_s.

Optional capacity (NetConfig fields, 0 = the v1 architecture): `ga_res` residual blocks in g_a
at 1/8 and 1/16, `gs_res` residual blocks in g_s at 1/4, and `half`: a refinement stage at 1/2
resolution (with its own glyph features) whose output is added to the 1/4-stage image. Every
new block's output layer starts at zero, so a grown net starts as the net it grew from.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from picd_desktop.models.compressai_compat import import_compressai
from picd_desktop.models.threads import respect_omp_thread_limit

import_compressai()
from compressai.entropy_models import EntropyBottleneck, GaussianConditional  # noqa: E402

WB = 8          # weight grid 2**-8
AB = 6          # activation / latent-mean grid 2**-6
IN_BITS = 8     # image and condition planes enter as uint8 / 256
AMAX = 8.0      # activations clamp to [0, AMAX) (ReLU) or (-SMAX, SMAX) (signed outputs)
SMAX = 64.0
LOG_SCALE_MIN = -2.25   # scale table: exp(LOG_SCALE_MIN + i / 8), i < N_SCALES
N_SCALES = 52
STRIDE = 64             # total stride of y -> z; tiles are multiples of this
LEVELS = 8              # quality levels 1..8
QSTEPS = 8              # quality resolution: 1/8 between levels
EXACT_LIMIT = 2.0 ** 53
GROWABLE = ("ga_res", "gs_res", "half")  # NetConfig fields whose blocks start as the identity
Y_CLAMP = 256.0         # |y_hat| after the inverse gain and |z_hat| are clamped to these
Z_CLAMP = 1024.0


respect_omp_thread_limit()


def scale_table() -> list[float]:
    """The Gaussian scales the entropy coder knows (index i <-> exp(LOG_SCALE_MIN + i/8))."""
    return [math.exp(LOG_SCALE_MIN + i / 8) for i in range(N_SCALES)]


@dataclass(frozen=True)
class NetConfig:
    """Channel counts and whether the glyph condition is used."""

    m: int = 64          # latent channels (1/16)
    z: int = 32          # hyper-latent channels (1/64)
    cond: bool = True
    cond_ch: int = 16    # glyph feature channels per scale
    gs: int = 32         # g_s feature channels at 1/8 and 1/4
    ga_res: int = 0      # residual blocks in g_a at 1/8 and at 1/16 (encoder only)
    gs_res: int = 0      # residual blocks in g_s at 1/4
    half: int = 0        # channels of the 1/2-resolution refinement stage (0: none)

    def as_dict(self) -> dict:
        return asdict(self)


class _StraightThrough(torch.autograd.Function):
    """`op(x)` forward (exact), identity gradient backward."""

    @staticmethod
    def forward(ctx, x: Tensor, op) -> Tensor:  # noqa: D102
        return op(x)

    @staticmethod
    def backward(ctx, g: Tensor) -> tuple[Tensor, None]:  # noqa: D102
        return g, None


def ste_round(x: Tensor) -> Tensor:
    """Round with a straight-through gradient."""
    return _StraightThrough.apply(x, torch.round)


def ste_floor(x: Tensor) -> Tensor:
    """Floor with a straight-through gradient."""
    return _StraightThrough.apply(x, torch.floor)


class QConv(nn.Module):
    """Conv2d on fixed-point grids. `act`: 'relu' (clamp to [0, AMAX)), 'signed' (clamp to
    +-SMAX) or 'none' (no re-quantisation: float output, encoder-only or final layers)."""

    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, act: str = "relu",
                 in_bits: int = AB) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, padding=k // 2)
        self.act, self.in_bits, self.stride = act, in_bits, stride

    def weight_q(self) -> tuple[Tensor, Tensor]:
        """Weights on 2**-WB and bias on 2**-(WB+in_bits), straight-through."""
        w = ste_round(self.conv.weight * 2 ** WB) / 2 ** WB
        sb = 2 ** (WB + self.in_bits)
        return w, ste_round(self.conv.bias * sb) / sb

    def forward(self, x: Tensor) -> Tensor:
        w, b = self.weight_q()
        y = F.conv2d(x, w, b, self.stride, self.conv.padding)
        if self.act == "none":
            return y
        y = ste_floor(y * 2 ** AB + 0.5) / 2 ** AB
        if self.act == "relu":
            return y.clamp(0.0, AMAX - 2 ** -AB)
        return y.clamp(-SMAX, SMAX)

    def int_params(self) -> tuple[Tensor, Tensor]:
        """(weights as integers, bias as integers) in float64."""
        w = torch.round(self.conv.weight.detach().double() * 2 ** WB)
        b = torch.round(self.conv.bias.detach().double() * 2 ** (WB + self.in_bits))
        return w, b

    def exact(self, x: Tensor) -> Tensor:
        """Integer path: `x` holds integers (units 2**-in_bits) in float64; returns integers in
        units 2**-AB (clamped like forward)."""
        w, b = self.int_params()
        acc = F.conv2d(x, w, b, self.stride, self.conv.padding)
        shift = 2.0 ** (WB + self.in_bits - AB)
        y = torch.floor((acc + shift / 2) / shift)
        top = 2 ** AB
        if self.act == "relu":
            return y.clamp(0.0, AMAX * top - 1)
        if self.act == "signed":
            return y.clamp(-SMAX * top, SMAX * top)
        raise ValueError("exact path needs a re-quantised layer")

    def bound(self, in_max: float) -> float:
        """Largest |partial sum| (plus bias) for inputs with |x| <= in_max (integer units)."""
        w, b = self.int_params()
        return float(w.abs().sum(dim=(1, 2, 3)).max() * in_max + b.abs().max())


def _zero(layer: QConv) -> QConv:
    """`layer` with zero weights and bias (a residual branch that starts as the identity)."""
    nn.init.zeros_(layer.conv.weight)
    nn.init.zeros_(layer.conv.bias)
    return layer


class GlyphFeatures(nn.Module):
    """5 condition planes (full resolution) -> features at 1/4, 1/8, 1/16 and, with `half`,
    1/2 (1x1 convs on pixel-unshuffled planes)."""

    def __init__(self, ch: int, half: bool = False) -> None:
        super().__init__()
        self.c4 = QConv(5 * 16, ch, 1, in_bits=IN_BITS)
        self.c8 = QConv(ch * 4, ch, 1)
        self.c16 = QConv(ch * 4, ch, 1)
        self.c2 = QConv(5 * 4, ch // 2, 1, in_bits=IN_BITS) if half else None

    def forward(self, cond: Tensor, exact: bool = False) -> list[Tensor | None]:
        """[f4, f8, f16, f2 or None]."""
        run = (lambda m, t: m.exact(t)) if exact else (lambda m, t: m(t))
        f4 = run(self.c4, F.pixel_unshuffle(cond, 4))
        f8 = run(self.c8, F.pixel_unshuffle(f4, 2))
        f16 = run(self.c16, F.pixel_unshuffle(f8, 2))
        f2 = None if self.c2 is None else run(self.c2, F.pixel_unshuffle(cond, 2))
        return [f4, f8, f16, f2]


class BaseNet(nn.Module):
    """Mean-scale hyperprior with gain units and an optional glyph condition."""

    def __init__(self, cfg: NetConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg = cfg or NetConfig()
        c = cfg.cond_ch if cfg.cond else 0
        if cfg.cond:
            self.glyph = GlyphFeatures(cfg.cond_ch, half=cfg.half > 0)
        # analysis (encoder only): float after fake-quantised weights
        self.a1 = QConv(3 * 16 + c, 96, 3, 2, act="none", in_bits=IN_BITS)   # 1/4 -> 1/8
        self.a2 = QConv(96 + c, 96, 3, 2, act="none")                        # 1/8 -> 1/16
        self.a3 = QConv(96 + c, cfg.m, 3, 1, act="none")
        self.a_res8 = nn.ModuleList(_zero(QConv(96 + c, 96, 3, act="none"))
                                    for _ in range(cfg.ga_res))
        self.a_res16 = nn.ModuleList(_zero(QConv(96 + c, 96, 3, act="none"))
                                     for _ in range(cfg.ga_res))
        self.h_a1 = QConv(cfg.m, 64, 3, 2, act="none")
        self.h_a2 = QConv(64, cfg.z, 3, 2, act="none")
        # hyper-synthesis (exact): z (1/64) -> means, log-scales (1/16)
        self.h_s1 = QConv(cfg.z, 64 * 4, 3)
        self.h_s2 = QConv(64, 64 * 4, 3)
        self.h_s3 = QConv(64 + c, 2 * cfg.m, 3, act="signed")
        # synthesis (exact): y_hat (1/16) -> image
        self.s1 = QConv(cfg.m + c, cfg.gs * 4, 3)
        self.s2 = QConv(cfg.gs + c, cfg.gs * 4, 3)
        self.s3 = QConv(cfg.gs + c, 3 * 16, 3, act="signed")
        self.s_res = nn.ModuleList(_zero(QConv(cfg.gs + c, cfg.gs, 3, act="signed"))
                                   for _ in range(cfg.gs_res))
        if cfg.half:
            self.s_half = QConv(cfg.gs + c, cfg.half * 4, 3)                 # 1/4 -> 1/2
            self.s_out2 = _zero(QConv(cfg.half + c // 2, 3 * 4, 3, act="signed"))
        start = 2.0 ** (torch.arange(LEVELS, dtype=torch.float32) / 2 - 1.5)  # 0.35 .. 4
        self.gain = nn.Parameter(start[:, None].repeat(1, cfg.m))
        self.inv_gain = nn.Parameter(1 / start[:, None].repeat(1, cfg.m))
        with torch.no_grad():
            self.s3.conv.bias.fill_(0.5)  # start from mid-grey
        self.entropy_bottleneck = EntropyBottleneck(cfg.z)
        self.gaussian_conditional = GaussianConditional(scale_table())

    # ---- pieces -------------------------------------------------------------------------
    def features(self, cond: Tensor | None, exact: bool = False) -> list[Tensor | None]:
        """Glyph features [f4, f8, f16, f2] (all None without the condition)."""
        if not self.cfg.cond:
            return [None, None, None, None]
        assert cond is not None, "this net needs the glyph condition"
        return self.glyph(cond, exact)

    @staticmethod
    def _cat(x: Tensor, f: Tensor | None) -> Tensor:
        return x if f is None else torch.cat([x, f], 1)

    def analysis(self, x: Tensor, feats: list[Tensor | None]) -> Tensor:
        h = F.relu(self.a1(self._cat(F.pixel_unshuffle(x, 4), feats[0])))
        for block in self.a_res8:
            h = F.relu(h + block(self._cat(h, feats[1])))
        h = F.relu(self.a2(self._cat(h, feats[1])))
        for block in self.a_res16:
            h = F.relu(h + block(self._cat(h, feats[2])))
        return self.a3(self._cat(h, feats[2]))

    def hyper_analysis(self, y: Tensor) -> Tensor:
        return self.h_a2(F.relu(self.h_a1(y)))

    def hyper_synthesis(self, z_hat: Tensor, f16: Tensor | None, exact: bool = False
                        ) -> tuple[Tensor, Tensor]:
        """(means, log-scales); exact: integers in units 2**-AB."""
        z_hat = z_hat.clamp(-Z_CLAMP, Z_CLAMP)
        if exact:
            h = F.pixel_shuffle(self.h_s1.exact(z_hat * 2 ** AB), 2)
            h = F.pixel_shuffle(self.h_s2.exact(h), 2)
            out = self.h_s3.exact(self._cat(h, f16))
        else:
            h = F.pixel_shuffle(self.h_s1(z_hat), 2)
            h = F.pixel_shuffle(self.h_s2(h), 2)
            out = self.h_s3(self._cat(h, f16))
        return out.chunk(2, 1)

    def synthesis(self, y_hat: Tensor, feats: list[Tensor | None], exact: bool = False) -> Tensor:
        """Image in [0, 1] (float) or uint8-valued integers (exact, y_hat in units 2**-AB
        after the inverse gain)."""
        run = (lambda m, t: m.exact(t)) if exact else (lambda m, t: m(t))
        top = AMAX * 2 ** AB - 1 if exact else AMAX - 2 ** -AB
        h = F.pixel_shuffle(run(self.s1, self._cat(y_hat, feats[2])), 2)
        h = F.pixel_shuffle(run(self.s2, self._cat(h, feats[1])), 2)
        for block in self.s_res:  # sums of values on one grid: exact in both paths
            h = (h + run(block, self._cat(h, feats[0]))).clamp(0, top)
        out = F.pixel_shuffle(run(self.s3, self._cat(h, feats[0])), 4)
        if self.cfg.half:
            t = F.pixel_shuffle(run(self.s_half, self._cat(h, feats[0])), 2)
            out = out + F.pixel_shuffle(run(self.s_out2, self._cat(t, feats[3])), 2)
        if exact:  # units 2**-AB of [0, 1] -> 0..255: floor(v * 255 / 64 + 1/2), exact
            return torch.floor(out * 255 / 2 ** AB + 0.5).clamp(0, 255)
        return out

    # ---- rate control -------------------------------------------------------------------
    @staticmethod
    def quality_steps(quality: float) -> int:
        """Quality in [1, 8] -> integer steps of 1/QSTEPS from level 1 (0 .. 56)."""
        return int(round((float(quality) - 1.0) * QSTEPS))

    def gains(self, qstep: int) -> Tensor:
        """Encoder gain (float, geometric interpolation between levels)."""
        lo, k = divmod(qstep, QSTEPS)
        hi = min(lo + 1, LEVELS - 1)
        g = self.gain.abs() + 1e-3
        return g[lo] ** (1 - k / QSTEPS) * g[hi] ** (k / QSTEPS)

    def inv_gain_int(self, qstep: int) -> Tensor:
        """Decoder inverse gain as integers on 2**-WB (linear integer interpolation)."""
        lo, k = divmod(qstep, QSTEPS)
        hi = min(lo + 1, LEVELS - 1)
        ig = torch.round(self.inv_gain.detach().double().abs() * 2 ** WB)
        return torch.floor((ig[lo] * (QSTEPS - k) + ig[hi] * k) / QSTEPS)

    def inv_gain_q(self, level: Tensor) -> Tensor:
        """Training inverse gain per sample (level: long tensor), straight-through grid."""
        return ste_round(self.inv_gain.abs()[level] * 2 ** WB) / 2 ** WB

    # ---- training / differentiable path -------------------------------------------------
    def forward(self, x: Tensor, cond: Tensor | None, level: Tensor) -> dict:
        """x in [0, 1] (B,3,H,W), cond uint8/256 planes, level (B,) in 0..7 -> x_hat and
        likelihoods (noise for the rate, straight-through rounding for the reconstruction)."""
        feats = self.features(cond)
        gain = (self.gain.abs() + 1e-3)[level][:, :, None, None]
        y = self.analysis(x, feats) * gain
        z = self.hyper_analysis(y)
        _, z_lik = self.entropy_bottleneck(z)
        z_hat = ste_round(z)
        means, log_scales = self.hyper_synthesis(z_hat, feats[2])
        scales = torch.exp(LOG_SCALE_MIN + ste_round(
            ((log_scales - LOG_SCALE_MIN) * 8).clamp(0, N_SCALES - 1)) / 8)
        _, y_lik = self.gaussian_conditional(y, scales, means)
        y_hat = ste_round(y - means) + means
        ig = self.inv_gain_q(level)[:, :, None, None]
        y_in = (ste_floor(y_hat * ig * 2 ** AB + 0.5) / 2 ** AB).clamp(-Y_CLAMP, Y_CLAMP)
        x_hat = self.synthesis(y_in, feats)
        return {"x_hat": x_hat, "likelihoods": {"y": y_lik, "z": z_lik}}

    # ---- exactness ----------------------------------------------------------------------
    def check_exact_bounds(self, max_y_int: float = Y_CLAMP * 2 ** AB) -> float:
        """Largest possible |partial sum| on the exact path (raises if >= 2**53)."""
        act, sgn = AMAX * 2 ** AB, SMAX * 2 ** AB
        worst = [self.h_s1.bound(Z_CLAMP * 2 ** AB), self.h_s2.bound(act),
                 self.h_s3.bound(act), self.s1.bound(max(max_y_int, act)),
                 self.s2.bound(act), self.s3.bound(act)]
        worst += [m.bound(act) for m in self.s_res]
        if self.cfg.half:
            worst += [self.s_half.bound(act), self.s_out2.bound(act)]
        if self.cfg.cond:
            worst += [self.glyph.c4.bound(255), self.glyph.c8.bound(act),
                      self.glyph.c16.bound(act)]
            if self.glyph.c2 is not None:
                worst += [self.glyph.c2.bound(255)]
        top = max(worst) + 2.0 ** (WB + IN_BITS)  # re-quantisation adds half a step
        if top >= EXACT_LIMIT or sgn * 255 >= EXACT_LIMIT:
            raise ValueError(f"exact path could exceed 2**53 ({top:.3g})")
        return top
