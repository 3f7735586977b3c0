import assert from "node:assert/strict";
import { useBackend } from "@copra/model";
import { countGpuWork } from "../bench/gpu_counts.ts";
import { trainRig } from "../bench/rig.ts";

// What a WebGPU training step asks of the GPU once its shapes have been seen (issue 17, point 4): no new shader
// pipelines, one read-back (the loss), no synchronous reads, and from the host the batch's ids, the causal mask and
// a few scalar constants — not a number of uploads that grows with the parameter count (AdamW's composite
// path used to upload 7 scalars per parameter tensor: 236 uploads per step here).
Deno.test("a WebGPU training step: no pipelines after warm-up, the loss is the only read-back, few uploads", async () => {
  const gpu = await useBackend("webgpu");
  assert.equal(gpu.backend, "webgpu");
  const rig = trainRig("tiny");
  try {
    const [B, T] = [2, 16];
    await rig.step(B, T);
    await rig.step(B, T);
    const counts = await countGpuWork(async () => void await rig.step(B, T), B * T * rig.config.vocab_size);
    assert.equal(counts.pipelines_created, 0, "shader pipelines compiled after warm-up");
    assert.equal(counts.sync_reads, 0);
    assert.equal(counts.reads, 1, "read-backs");
    assert.equal(counts.bytes_read_back, 4, "bytes read back: the loss");
    assert.ok(counts.uploads <= 24, `${counts.uploads} uploads`);
    assert.ok(counts.bytes_uploaded <= B * T * 4 + T * T * 4 + 1024, `${counts.bytes_uploaded} bytes uploaded`);
    assert.ok(counts.dispatches > 100 && counts.submits >= 1, `${counts.dispatches} dispatches`);
  } finally {
    rig.dispose();
    await useBackend("wasm");
  }
});
