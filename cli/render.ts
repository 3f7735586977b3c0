/**
 * Terminal rendering for the `copra` command: a progress bar (redrawn in place on a terminal, a line every few
 * seconds otherwise) and plain-text tables. The library packages never print; only the CLI does.
 *
 * @module
 */

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
