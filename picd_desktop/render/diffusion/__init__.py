"""The diffusion renderer: a small conditional pixel-space diffusion model (PICD's renderer)."""
