/**
 * What one piece of work asks of tfjs's WebGPU backend, counted on the backend itself (issue 17, point 4): compute
 * dispatches and the programs behind them, queue submissions, shader pipelines compiled (none once a step's shapes
 * have been seen), bytes read back to the host and bytes uploaded from it, and the programs whose output has at
 * least `large` entries (for a training step: B·T·V, the size of the logits).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** The counts of {@link countGpuWork}. */
export interface GpuCounts {
  /** Compute dispatches recorded. */
  dispatches: number;
  /** Queue submissions. */
  submits: number;
  /** Shader pipelines compiled (new shader keys). */
  pipelines_created: number;
  /** Asynchronous read-backs (`data()`, `array()`) and their bytes. */
  reads: number;
  bytes_read_back: number;
  /** Synchronous read-backs (`dataSync()`): none expected. */
  sync_reads: number;
  /** Tensors uploaded from the host, and their bytes. */
  uploads: number;
  bytes_uploaded: number;
  /** Dispatches per program, most first. */
  programs: [string, number][];
  /** Programs with an output of at least `large` entries: name, output shape, and how many times each ran. */
  large_outputs: [string, string, number][];
}

/** The backend methods counted (tfjs-backend-webgpu 4.22's WebGPUBackend). */
interface CountedBackend {
  runWebGPUProgram(program: { constructor: { name: string }; outputShape: number[] }, ...rest: unknown[]): unknown;
  recordAndSubmit(...args: unknown[]): unknown;
  submitQueue(): unknown;
  getBufferData(buffer: { size: number }): Promise<unknown>;
  readSync(dataId: unknown): unknown;
  uploadToGPU(dataId: unknown): unknown;
  pipelineCache: Record<string, unknown>;
  tensorMap: { get(dataId: unknown): { values: { byteLength: number } | null; resource: unknown } };
}

/** Runs `work` on the active WebGPU backend and counts what it asked of the GPU. */
export async function countGpuWork(work: () => Promise<void>, large = Infinity): Promise<GpuCounts> {
  if (tf.getBackend() !== "webgpu") throw new Error(`countGpuWork needs the webgpu backend, not ${tf.getBackend()}`);
  const backend = tf.backend() as unknown as CountedBackend;
  const counts: GpuCounts = {
    dispatches: 0,
    submits: 0,
    pipelines_created: 0,
    reads: 0,
    bytes_read_back: 0,
    sync_reads: 0,
    uploads: 0,
    bytes_uploaded: 0,
    programs: [],
    large_outputs: [],
  };
  const programs = new Map<string, number>(), largeOutputs = new Map<string, number>();
  const originals = {
    runWebGPUProgram: backend.runWebGPUProgram,
    recordAndSubmit: backend.recordAndSubmit,
    submitQueue: backend.submitQueue,
    getBufferData: backend.getBufferData,
    readSync: backend.readSync,
    uploadToGPU: backend.uploadToGPU,
  };
  const own = Object.keys(originals).filter((name) => Object.hasOwn(backend, name));
  const pipelinesBefore = Object.keys(backend.pipelineCache).length;
  backend.runWebGPUProgram = function (program, ...rest) {
    const name = program.constructor.name;
    programs.set(name, (programs.get(name) ?? 0) + 1);
    if (program.outputShape.reduce((a, b) => a * b, 1) >= large) {
      const key = `${name} ${program.outputShape.join("×")}`;
      largeOutputs.set(key, (largeOutputs.get(key) ?? 0) + 1);
    }
    return originals.runWebGPUProgram.call(this, program, ...rest);
  };
  backend.recordAndSubmit = function (...args) {
    counts.dispatches++;
    return originals.recordAndSubmit.apply(this, args);
  };
  backend.submitQueue = function () {
    counts.submits++;
    return originals.submitQueue.call(this);
  };
  backend.getBufferData = function (buffer) {
    counts.reads++;
    counts.bytes_read_back += buffer.size;
    return originals.getBufferData.call(this, buffer);
  };
  backend.readSync = function (dataId) {
    if (this.tensorMap.get(dataId).values === null) counts.sync_reads++;
    return originals.readSync.call(this, dataId);
  };
  backend.uploadToGPU = function (dataId) {
    const data = this.tensorMap.get(dataId);
    if (data.resource === null || data.resource === undefined) {
      if (data.values) {
        counts.uploads++;
        counts.bytes_uploaded += data.values.byteLength;
      }
    }
    return originals.uploadToGPU.call(this, dataId);
  };
  try {
    await work();
  } finally {
    // back to the methods as they were: the prototype's, or the instance's own
    for (const [name, method] of Object.entries(originals)) {
      if (own.includes(name)) (backend as unknown as Record<string, unknown>)[name] = method;
      else delete (backend as unknown as Record<string, unknown>)[name];
    }
  }
  counts.pipelines_created = Object.keys(backend.pipelineCache).length - pipelinesBefore;
  counts.programs = [...programs].sort((a, b) => b[1] - a[1]);
  counts.large_outputs = [...largeOutputs].sort((a, b) => b[1] - a[1]).map(([key, n]) => {
    const [name, shape] = key.split(" ");
    return [name, shape, n];
  });
  return counts;
}
