#!/usr/bin/env bash
# On the lent GPU machine (see scripts/gpu_kit.py): install the carried wheels, unpack the
# training data, check the learned codec's decode there against the CPU's
# (bench/learned_exact_check.py), train the codec (with and without the glyph condition) and
# the renderer (with and without glyphs) side by side for MINUTES each, time the renderer, and
# put checkpoints, logs and reports into $OUT.  Usage: bash scripts/gpu_run.sh [MINUTES]
set -uo pipefail
MIN=${1:-6}
DEVICE=${DEVICE:-cuda}  # cpu: a dry run of this script on the project machine
KIT=gpukit
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/runs
export PYTHONUNBUFFERED=1
pip_install() {
    python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-compile --upgrade \
        --target /tmp/site "$@" > /tmp/pip.log 2>&1
    local rc=$?
    grep -v "^WARNING: Target directory" /tmp/pip.log | tail -n 5
    return $rc
}
pip_install "$KIT"/wheels/*.whl || exit 1
# compressai has no cp312 wheel: build its sdist here; without it only the renderer trains
CODEC=1
pip_install "$KIT"/wheels/compressai-*.tar.gz || CODEC=0
export PYTHONPATH=/tmp/site:$PWD
python3 scripts/gpu_kit.py unpack "$KIT" /tmp/data || exit 1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
python3 -c "import torch, diffusers; print('torch', torch.__version__, 'cuda',
      torch.cuda.is_available(), 'diffusers', diffusers.__version__)" || exit 1
python3 -c "from picd_desktop.models.compressai_compat import import_compressai as i
print('compressai', i().__version__)" || CODEC=0
if [ "$CODEC" = 1 ]; then
    python3 bench/learned_exact_check.py check "$KIT/exact" --device "$DEVICE" \
        --out "$OUT/learned_exact.json" | grep -E '"(device|all_decodes_identical)"'
else
    echo "compressai did not build or import: the learned codec is skipped"
fi

# the codec trains nine tenths of MIN at lr 1e-3, then a final tenth at 1e-4 (the decay was
# worth -23 % BD-rate on val against the same minutes at 1e-3: bench/results/learned_v4_val.md)
codec_run() { python3 -m picd_desktop.train.base_codec --data /tmp/data/codec \
    --ckpt "/tmp/runs/$1" --device "$DEVICE" --batch 16 --threads 2 "${@:2}" \
    >> "/tmp/runs/$1.log" 2>&1; }
codec() {
    local main final
    main=$(python3 -c "print($MIN * 0.9)"); final=$(python3 -c "print($MIN * 0.1)")
    codec_run "$1" --minutes "$main" "${@:2}" &&
        codec_run "$1" --minutes "$final" --lr 1e-4 "${@:2}"
}
render() { python3 -m picd_desktop.train.renderer /tmp/data/render "/tmp/runs/$1" \
    --device "$DEVICE" --batch 32 --threads 2 --minutes "$MIN" --objective trajectory \
    --loss l2 "${@:2}" > "/tmp/runs/$1.log" 2>&1; }
# from the newest shipped codec (the learned-hp-v2 architecture: one residual block in g_a per
# scale and in g_s at 1/4); the ablation arm starts from it too, without the glyph input
if [ "$CODEC" = 1 ]; then
    CODEC_INIT=resources/models/$(python3 -c \
        "from picd_desktop.base.learned import DEFAULT_MODEL as m; print(m)")
    codec hp --gs-res 1 --ga-res 1 --init "$CODEC_INIT" &
    codec hp_nocond --no-cond --gs-res 1 --ga-res 1 --init "$CODEC_INIT" &
fi
render render --init render-v3 & render render_noglyph --no-glyphs --init render-noglyph-v3 &
sleep 60; tail -n 2 /tmp/runs/*.log
wait
tail -n 3 /tmp/runs/*.log
python3 bench/diffusion_speed_gpu.py --cache /tmp/data/render --device "$DEVICE" \
    --out "$OUT/diffusion_speed_gpu.json"
python3 scripts/gpu_kit.py collect /tmp/runs "$OUT"
ls -la "$OUT"
