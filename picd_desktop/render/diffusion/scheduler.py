"""The noise schedule and few-step sampling times (diffusers' DDIM scheduler, configured as data).

The model predicts the clean image ("sample" prediction). Sampling starts from the anchor image
noised to `strength` (a fraction of the training time range) and takes `steps` DDIM steps down
to t = 0, like image-to-image diffusion; the last step returns the model's clean estimate.
"""

from __future__ import annotations

import math

SCHEDULER_CONFIG: dict = {
    "num_train_timesteps": 1000,
    "beta_schedule": "squaredcos_cap_v2",
    "prediction_type": "sample",
    "clip_sample": False,
    "set_alpha_to_one": True,
    "timestep_spacing": "trailing",
}
NUM_TRAIN_TIMESTEPS = SCHEDULER_CONFIG["num_train_timesteps"]
T_TRAIN_MAX = 600  # training draws t in [0, T_TRAIN_MAX): strengths up to 0.6
# Training noises a bridge between the clean image and the anchor: at t the clean part is
# x0 + min(1, t / T_BRIDGE) * (anchor - x0). Sampling starts from the noised anchor at about
# T_BRIDGE (strength 0.4), so the network sees there what it was trained on; noising the true
# x0 instead teaches it to read the answer out of x_t's low frequencies, which the anchor lacks.
T_BRIDGE = 400


def bridge_target(x0, anchor, t):
    """The clean component of x_t in training: x0 moved towards the anchor by t / T_BRIDGE."""
    lam = (t.float() / T_BRIDGE).clamp(max=1.0).view(-1, 1, 1, 1)
    return x0 + lam * (anchor - x0)


def make_scheduler():
    """A fresh DDIMScheduler with SCHEDULER_CONFIG (diffusers is imported here, lazily)."""
    from diffusers import DDIMScheduler  # noqa: PLC0415 (heavy import, only when rendering)

    return DDIMScheduler(**SCHEDULER_CONFIG)


def sampling_timesteps(scheduler, steps: int, strength: float) -> list[int]:
    """The last `steps` of a trailing schedule whose first of them is at ~strength * T."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if not 0 < strength <= T_TRAIN_MAX / NUM_TRAIN_TIMESTEPS:
        raise ValueError(f"strength must be in (0, {T_TRAIN_MAX / NUM_TRAIN_TIMESTEPS}], "
                         f"got {strength}")
    total = max(steps, math.ceil(steps / strength))
    scheduler.set_timesteps(total)
    return [int(t) for t in scheduler.timesteps[-steps:]]
