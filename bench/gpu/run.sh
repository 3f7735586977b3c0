#!/usr/bin/env bash
# On the GPU machine (repo root, with .gpu and .gl carried): Deno WebGPU train-step at GPT-2 124M, then the
# same step in PyTorch CUDA on the same GPU. Prints both JSON lines; writes them to $OUT/gpu.jsonl when set.
set -uo pipefail
PRESET=${1:-gpt2} BATCH=${2:-8} SEQ=${3:-256} STEPS=${4:-5}
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
xz -dc .gpu/deno.xz > /tmp/deno && chmod +x /tmp/deno
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
out=${OUT:-/tmp}/gpu.jsonl
: > "$out"
DENO_NO_UPDATE_CHECK=1 timeout 300 /tmp/deno run -A --unstable-webgpu .gpu/train_step_gpu.js "$PRESET" "$BATCH" "$SEQ" "$STEPS" 2>&1 | tee -a "$out"
PYTHONUNBUFFERED=1 timeout 200 python3 bench/torch_gpt2.py train-step --preset "$PRESET" --batch "$BATCH" --seq "$SEQ" \
  --steps "$STEPS" --device cuda 2>&1 | tee -a "$out"
