/**
 * Paired timing for the step benchmarks: copra's steps and the PyTorch reference's in alternating short blocks, the
 * reference kept running between them (`bench/torch_gpt2.py … --serve`). These VMs' speed moves in phases of seconds
 * (the same step 31–52 ms from one process to the next); timed one after the other in long runs, the two sides can
 * fall in different phases and their ratio with them. Timed block by block, each round's two blocks share a phase,
 * and the median over rounds of each round's own ratio is what compares.
 *
 * @module
 */

import type { CopraDefault } from "./pooled.ts";
import { findTorchPython, type KernelProfile, median, torchEnv, type VersusTorch } from "./util.ts";

/** One side of a comparison: runs `n` timed steps and returns their wall milliseconds. */
export type BlockRunner = (n: number) => Promise<number[]>;

/**
 * The block runner of a step that returns its own wall milliseconds: `n` steps one after the other.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepBlocks } from "./paired.ts";
 * let i = 0;
 * assert.deepEqual(await stepBlocks(() => Promise.resolve(++i))(3), [1, 2, 3]);
 * ```
 */
export function stepBlocks(step: () => Promise<number>): BlockRunner {
  return async (n) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(await step());
    return times;
  };
}

/** A side of {@link pairedBlocks}: its runner, and a pause after each of its blocks (ms, default 0). */
export interface PairedSide {
  run: BlockRunner;
  /**
   * Milliseconds to wait after this side's block before the next side's: a process whose thread pools spin for a
   * while after their work (OpenBLAS's, OpenMP's) would otherwise take cores from the next block.
   */
  pauseMs?: number;
}

/**
 * Runs `rounds` rounds; in each, every side one block of `block` steps, in the order given. Returns, per side, each
 * round's times. A side that throws stops there: its list ends with the rounds it finished, and its error is in
 * `errors` (the other sides go on).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pairedBlocks } from "./paired.ts";
 * const order: string[] = [];
 * const side = (name: string) => ({ run: (n: number) => { order.push(name); return Promise.resolve(Array(n).fill(1)); } });
 * const { times } = await pairedBlocks([side("copra"), side("torch")], { rounds: 2, block: 3 });
 * assert.deepEqual(order, ["copra", "torch", "copra", "torch"]);
 * assert.deepEqual(times[1], [[1, 1, 1], [1, 1, 1]]);
 * ```
 */
export async function pairedBlocks(
  sides: readonly PairedSide[],
  options: { rounds: number; block: number },
): Promise<{ times: number[][][]; errors: (string | null)[] }> {
  const times: number[][][] = sides.map(() => []);
  const errors: (string | null)[] = sides.map(() => null);
  for (let r = 0; r < options.rounds; r++) {
    for (const [i, side] of sides.entries()) {
      if (errors[i] !== null) continue;
      try {
        times[i].push(await side.run(options.block));
      } catch (error) {
        errors[i] = error instanceof Error ? error.message : String(error);
      }
      if (side.pauseMs) await new Promise((resolve) => setTimeout(resolve, side.pauseMs));
    }
  }
  return { times, errors };
}

/**
 * The ratio of side `b`'s time to side `a`'s (above 1: `a` is faster) as the median over the rounds both finished of
 * median(b's block) / median(a's block), to three decimals; null without such a round.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pairedRatio } from "./paired.ts";
 * // the machine slows down in round 2: each round's ratio is still 1.5
 * assert.equal(pairedRatio([[10, 10], [20, 20], [10, 12]], [[15, 15], [30, 30], [16, 17]]), 1.5);
 * assert.equal(pairedRatio([[10]], []), null);
 * ```
 */
export function pairedRatio(a: readonly number[][], b: readonly number[][]): number | null {
  const n = Math.min(a.length, b.length);
  if (n === 0) return null;
  const ratios = Array.from({ length: n }, (_, r) => median([...b[r]]) / median([...a[r]]));
  return Math.round(median(ratios) * 1000) / 1000;
}

/** Reads a stream line by line. */
class Lines {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buffer = "";
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }
  /** The next line without its newline, or null at the end of the stream. */
  async next(): Promise<string | null> {
    while (!this.#buffer.includes("\n")) {
      const { value, done } = await this.#reader.read();
      if (done) {
        const rest = this.#buffer;
        this.#buffer = "";
        return rest === "" ? null : rest;
      }
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
    const i = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, i);
    this.#buffer = this.#buffer.slice(i + 1);
    return line;
  }
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

/**
 * The PyTorch reference running a timing subcommand with `--serve` (`train-step …`, `coconut-step …`, `decode`): built
 * and warmed up once, then timing blocks of steps on request, so that they interleave with copra's.
 */
export class TorchSession {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: Lines;
  readonly #stderr: Promise<string>;
  /** PyTorch's intra-op threads and its BLAS pool's, "t+b". */
  readonly threads: string;

  private constructor(
    child: Deno.ChildProcess,
    lines: Lines,
    stderr: Promise<string>,
    threads: string,
  ) {
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#lines = lines;
    this.#stderr = stderr;
    this.threads = threads;
  }

  /**
   * Starts `bench/torch_gpt2.py <args> --serve` with one thread (intra-op and BLAS) or PyTorch's default threads
   * (see `torchEnv`) and waits until it has warmed up; `{ note }` says why there is none (no python3 with torch, or
   * the script failed: its last stderr line).
   */
  static async open(args: readonly string[], threads: 1 | "default"): Promise<TorchSession | { note: string }> {
    const python = await findTorchPython();
    if (python === null) return { note: "no python3 with torch found: PyTorch reference skipped" };
    const script = new URL("./torch_gpt2.py", import.meta.url).pathname;
    const child = new Deno.Command(python, {
      args: [script, ...args, "--threads", threads === "default" ? "0" : "1", "--serve"],
      env: torchEnv(threads),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // stderr read to its end as it comes (a full pipe would stall the script); its last line explains a failure
    const stderr = new Response(child.stderr).text();
    const lines = new Lines(child.stdout);
    const json = parsed(await lines.next());
    if (json?.ready !== true) {
      try {
        child.kill(); // (it may still be running, waiting for blocks that will not come)
      } catch {
        // it has exited
      }
      await child.status;
      return { note: `PyTorch reference failed: ${lastLine(await stderr) || "no ready line"}` };
    }
    return new TorchSession(child, lines, stderr, `${json.threads}+${json.blas_threads}`);
  }

  /**
   * Times `n` steps (or generations: `decode` takes the batch as `extra`); throws with the script's last stderr line
   * if it has stopped.
   */
  async block(n: number, ...extra: number[]): Promise<number[]> {
    await this.#stdin.write(new TextEncoder().encode(`${[n, ...extra].join(" ")}\n`));
    const line = await this.#lines.next();
    if (line === null) {
      await this.#child.status;
      throw new Error(`PyTorch reference stopped: ${lastLine(await this.#stderr)}`);
    }
    return (JSON.parse(line) as { times_ms: number[] }).times_ms;
  }

  /** Closes its stdin (the script then exits) and waits for it. */
  async close(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    await this.#lines.cancel();
    await this.#child.status;
    await this.#stderr.catch(() => "");
  }
}

/** A line as a JSON object, or null (no line, or not JSON). */
function parsed(line: string | null): Record<string, unknown> | null {
  try {
    return line === null ? null : JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The last non-empty line of a text. */
function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

/**
 * The reference running `args` with one thread (`one`) and with PyTorch's default threads (`all`), each null where it
 * could not start; `notes` say why.
 */
export async function openTorchPair(
  args: readonly string[],
): Promise<{ one: TorchSession | null; all: TorchSession | null; notes: string[] }> {
  const opened = await Promise.all([TorchSession.open(args, 1), TorchSession.open(args, "default")]);
  const [one, all] = opened.map((t) => t instanceof TorchSession ? t : null);
  const notes = opened.flatMap((t) => t instanceof TorchSession ? [] : [t.note]);
  return { one, all, notes };
}

/** The median of every step of a side's blocks, to two decimals; null for a side without blocks. */
export function blocksMs(blocks: readonly number[][]): number | null {
  return blocks.length ? Math.round(median(blocks.flat()) * 100) / 100 : null;
}

/** What {@link versusTorch} compares. */
export interface VersusTorchOptions {
  /** copra's step on one thread, warmed up. */
  copra: BlockRunner;
  /** copra's default where it is data-parallel (`openCopraDefault`); closed here. */
  copraDefault?: CopraDefault;
  /** The reference's subcommand and options (`["train-step", "--preset", …]`), or null for none (with `note`). */
  torchArgs: readonly string[] | null;
  /** Why there is no reference, when `torchArgs` is null. */
  note?: string;
  /** Rounds, and steps per block. */
  rounds: number;
  block: number;
  /** Where the products ran (OpenBLAS's path), for the line. */
  blas: string | null;
  profile?: KernelProfile;
}

/**
 * Times copra's step against the PyTorch reference's in {@link pairedBlocks} rounds — copra on one thread, PyTorch on
 * one thread, copra's default, PyTorch's default — and returns the line's figures: each side's median over all its
 * steps, and each ratio paired by rounds ({@link pairedRatio}). Closes the reference's processes and copra's pool.
 */
export async function versusTorch(options: VersusTorchOptions): Promise<VersusTorch> {
  const { copra, copraDefault, torchArgs, rounds, block } = options;
  const { one, all, notes } = torchArgs === null
    ? { one: null, all: null, notes: [options.note ?? "no PyTorch reference"] }
    : await openTorchPair(torchArgs);
  const sides: PairedSide[] = [{ run: copra }];
  if (one) sides.push({ run: (n) => one.block(n) });
  if (copraDefault) sides.push({ run: copraDefault.run });
  // PyTorch's default pools (OpenMP, OpenBLAS) spin for a while after their work: let them go quiet first
  if (all) sides.push({ run: (n) => all.block(n), pauseMs: 300 });
  let result: Awaited<ReturnType<typeof pairedBlocks>>;
  try {
    result = await pairedBlocks(sides, { rounds, block });
  } finally {
    copraDefault?.close();
    await Promise.all([one?.close(), all?.close()]);
  }
  const { times, errors } = result;
  let i = 0;
  const copraTimes = times[i++];
  const oneTimes = one ? times[i++] : [];
  const defaultTimes = copraDefault ? times[i++] : copraTimes;
  const allTimes = all ? times[i++] : [];
  notes.push(...errors.filter((e): e is string => e !== null));
  return {
    copra_ms: blocksMs(copraTimes)!,
    torch_ms: blocksMs(oneTimes),
    ratio_vs_torch: pairedRatio(copraTimes, oneTimes),
    torch_default_ms: blocksMs(allTimes),
    torch_default_threads: all?.threads ?? null,
    ...(copraDefault ? { copra_default_ms: blocksMs(defaultTimes)!, copra_default_threads: copraDefault.threads } : {}),
    ratio_vs_torch_default: pairedRatio(defaultTimes, allTimes),
    pairs: rounds,
    block,
    blas: options.blas,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(notes.length ? { note: [...new Set(notes)].join("; ") } : {}),
  };
}
