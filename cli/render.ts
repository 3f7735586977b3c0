// deno-lint-ignore-file no-console
/**
 * Terminal rendering for the `copra` command: a progress bar (redrawn in place on a terminal, a line every few
 * seconds otherwise) and plain-text tables. The library packages never print; only the CLI does.
 *
 * @module
 */

import type { EpochMetrics } from "@copra/train";

const encoder = new TextEncoder();

/** Writes text to stderr (progress) without a newline. */
function err(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/** A progress bar with a label, a fraction, free-form fields and an ETA. */
export class ProgressBar {
  readonly #total: number;
  readonly #label: string;
  readonly #start = performance.now();
  readonly #tty = Deno.stderr.isTerminal();
  #lastLine = 0;

  /** A bar for `total` units of work. */
  constructor(label: string, total: number) {
    this.#label = label;
    this.#total = Math.max(total, 1);
  }

  /** Shows progress `done` of the total with extra fields such as `loss 1.234`. */
  update(done: number, fields: string): void {
    const now = performance.now();
    const fraction = Math.min(done / this.#total, 1);
    const elapsed = (now - this.#start) / 1000;
    const eta = fraction > 0 ? elapsed / fraction - elapsed : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const line = `${this.#label} ${bar} ${done}/${this.#total} ${fields} ETA ${formatSeconds(eta)}`;
    if (this.#tty) err(`\r\x1b[2K${line}`);
    else if (now - this.#lastLine > 5000 || done === this.#total) {
      err(line + "\n");
      this.#lastLine = now;
    }
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.#tty) err("\n");
  }
}

/** `73s`, `4m05s`, `1h02m`. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A table with a header row, columns padded to their widest cell (numbers right-aligned). */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? "").length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number"));
  const line = (r: string[]) =>
    r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd();
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

/** Fixed-point formatting. */
export function fixed(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "—";
}

/** One row per epoch: stage, losses, held-out accuracy, tokens, thoughts, time. */
export function epochTable(metrics: EpochMetrics[]): string {
  return table(
    ["epoch", "stage", "train loss", "val loss", "acc %", "paths %", "tokens", "thoughts", "time"],
    metrics.map((m) => [
      m.epoch,
      m.stage,
      fixed(m.trainLoss),
      fixed(m.valLoss),
      fixed(m.accuracy * 100, 1),
      m.validPaths == null ? "—" : fixed(m.validPaths * 100, 1),
      fixed(m.meanTokens, 1),
      m.thoughts,
      formatSeconds(m.seconds),
    ]),
  );
}

/** The final table: the last epoch's held-out figures, and the end of stage 0 (the CoT model) for comparison. */
export function printSummary(method: string, metrics: EpochMetrics[]): void {
  const last = metrics.at(-1)!, first = metrics.filter((m) => m.stage === 0).at(-1);
  const rows: (string | number)[][] = [[
    method,
    `final (stage ${last.stage})`,
    fixed(last.accuracy * 100, 1),
    fixed(last.meanTokens, 1),
    last.thoughts,
  ]];
  if (first && first !== last) {
    rows.push([
      method,
      `end of stage 0 (CoT, epoch ${first.epoch})`,
      fixed(first.accuracy * 100, 1),
      fixed(first.meanTokens, 1),
      first.thoughts,
    ]);
  }
  console.log("\n" + table(["method", "model", "held-out acc %", "mean tokens", "thoughts"], rows));
  if (first && first !== last && first.meanTokens > 0) {
    console.log(
      `final-stage answers use ${
        fixed(last.meanTokens / first.meanTokens, 2)
      }× the generated tokens of the stage-0 CoT`,
    );
  }
}
