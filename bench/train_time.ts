/**
 * `deno task bench train-time`: the README's training command, `deno task train` (Coconut through every stage on the
 * generated task), as a user runs it from a fresh clone, timed wall clock in a child process — once on the default
 * path (the task's permissions without FFI: copra's SIMD products, as on a machine without OpenBLAS) and once as the
 * task grants it (OpenBLAS where the system has it). Each run writes into a temporary folder, removed afterwards.
 * Prints one JSON line `{"bench":"train-time","default_s":…,"default_heldout":…,"openblas_s":…,…}`; the two paths
 * round differently and end at different models, so their held-out accuracies differ.
 *
 * @module
 */

/** Options: `args` are appended to `copra train` (tests use a short run). */
export interface TrainTimeOptions {
  args?: string[];
}

/** One run of the command. */
export interface TrainRun {
  /** Wall seconds of the child process. */
  seconds: number;
  /** Held-out accuracy after the last epoch (0–1). */
  heldout: number;
  /** Where its products ran (`run.json`'s `numerics.products`). */
  products: string;
}

/** The result line. */
export interface TrainTimeResult {
  bench: "train-time";
  /** The child's command line, as `deno task train` runs it (the default path drops `--allow-ffi`). */
  command: string;
  default_s: number;
  default_heldout: number;
  default_products: string;
  openblas_s: number | null;
  openblas_heldout: number | null;
  /** The default path's time over the OpenBLAS path's (issue 17's goal: ≤ 1.5). */
  default_over_openblas: number | null;
  note?: string;
}

const root = new URL("..", import.meta.url);

/**
 * The arguments of `deno task train` after `deno`, read from deno.json, writing under `out` instead of `runs`;
 * without FFI when `ffi` is false.
 */
export async function trainTaskArgs(out: string, ffi: boolean): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))) as { tasks: Record<string, string> };
  const [deno, ...args] = config.tasks.train.split(/\s+/);
  if (deno !== "deno" || !args.includes("--allow-write=runs")) {
    throw new Error(
      `deno.json: tasks.train ${JSON.stringify(config.tasks.train)} is not "deno run … --allow-write=runs …"`,
    );
  }
  return args
    .filter((a) => ffi || !a.startsWith("--allow-ffi"))
    .map((a) => a === "--allow-write=runs" ? `--allow-write=${out}` : a);
}

/** Runs the command once into a fresh folder; throws with the child's last stderr line if it fails. */
async function runOnce(ffi: boolean, extra: string[]): Promise<TrainRun> {
  const dir = await Deno.makeTempDir({ prefix: "copra-train-time-" });
  try {
    const out = `${dir}/run`;
    const args = [...await trainTaskArgs(dir, ffi), "--out", out, ...extra];
    const t0 = performance.now();
    const child = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: root.pathname,
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const seconds = (performance.now() - t0) / 1000;
    if (child.code !== 0) {
      const last = new TextDecoder().decode(child.stderr).trim().split("\n").at(-1);
      throw new Error(`deno task train${ffi ? "" : " (default path)"} failed: ${last}`);
    }
    const lines = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n");
    const last = JSON.parse(lines.at(-1)!) as { accuracy: number };
    const run = JSON.parse(await Deno.readTextFile(`${out}/run.json`)) as { numerics: { products: string } };
    return { seconds: Math.round(seconds * 10) / 10, heldout: last.accuracy, products: run.numerics.products };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs the benchmark: the default path, then the task as it stands. */
export async function benchTrainTime(options: TrainTimeOptions = {}): Promise<TrainTimeResult> {
  const extra = options.args ?? [];
  const plain = await runOnce(false, extra);
  const task = await runOnce(true, extra);
  const blas = task.products === "blas";
  return {
    bench: "train-time",
    command: `deno ${(await trainTaskArgs("runs", true)).join(" ")}${extra.length ? ` ${extra.join(" ")}` : ""}`,
    default_s: plain.seconds,
    default_heldout: plain.heldout,
    default_products: plain.products,
    openblas_s: blas ? task.seconds : null,
    openblas_heldout: blas ? task.heldout : null,
    default_over_openblas: blas ? Math.round((plain.seconds / task.seconds) * 100) / 100 : null,
    ...(blas ? {} : { note: `no OpenBLAS for deno task train here (its products: ${task.products})` }),
  };
}
