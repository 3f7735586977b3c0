#!/usr/bin/env bash
# Prepares what bench/gpu/run.sh carries to a GPU machine with no network (run here, from the repo root):
#   .gpu/deno.xz                 the Deno binary, compressed
#   .gpu/train_step_gpu.js       the WebGPU train-step with tfjs and copra bundled into one file
#   .gpu/profile_gpu.js          where that step's GPU time goes (bench/gpu/profile_gpu.ts), bundled the same way
#   .gl/*.deb                    the Vulkan loader (libvulkan1) and GL/EGL libraries, unpacked there
# Both folders are ignored by git (.git/info/exclude) and travel with `carry`.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
grep -qx '/.gl/' .git/info/exclude 2>/dev/null || echo '/.gl/' >> .git/info/exclude
DENO="$(command -v deno)"
xz -T2 -6 -c "$(readlink -f "$DENO")" > .gpu/deno.xz
deno bundle --platform deno --minify -o .gpu/train_step_gpu.js bench/gpu/train_step_gpu.ts
deno bundle --platform deno --minify -o .gpu/profile_gpu.js bench/gpu/profile_gpu.ts
if [ ! -d .gl ] || ! ls .gl/*.deb >/dev/null 2>&1; then
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update >/dev/null
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
fi
du -sh .gpu .gl
