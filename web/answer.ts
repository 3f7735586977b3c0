/// <reference lib="dom" />
/**
 * The answer view: the spoken answer as it streams, whether it matches the expected one when the question came
 * with it, and the run's numbers (thoughts, tokens, time, backend).
 *
 * @module
 */

import { isCorrect } from "@copra/data/browser";

/** The answer box inside `host`. */
export class AnswerView {
  readonly #text: HTMLElement;
  readonly #verdict: HTMLElement;
  readonly #stats: HTMLElement;
  #ids: number[] = [];

  /** A view inside `host`. */
  constructor(host: HTMLElement) {
    this.#text = document.createElement("output");
    this.#text.id = "answer";
    this.#verdict = document.createElement("span");
    this.#verdict.id = "verdict";
    this.#stats = document.createElement("p");
    this.#stats.id = "stats";
    host.replaceChildren(this.#text, this.#verdict, this.#stats);
  }

  /** Clears the box before a run. */
  reset(): void {
    this.#ids = [];
    this.#text.textContent = "";
    this.#text.dataset.ids = "[]";
    this.#verdict.textContent = "";
    this.#verdict.className = "";
    this.#stats.textContent = "";
  }

  /** Appends one spoken token. */
  token(id: number, text: string): void {
    this.#ids.push(id);
    this.#text.textContent += text;
    this.#text.dataset.ids = JSON.stringify(this.#ids);
  }

  /** Ends the run: the verdict against `expected` (when known) and the numbers. */
  done(expected: string | null, stats: { thoughts: number; ms: number; backend: string; reason: string }): void {
    // Scored as the evaluation scores (`isCorrect`: the text after the last "#", commas dropped).
    const said = this.#text.textContent ?? "";
    if (expected !== null) {
      const right = isCorrect(said, expected);
      this.#verdict.textContent = right ? `✓ matches ${expected}` : `✗ expected ${expected}`;
      this.#verdict.className = right ? "right" : "wrong";
    }
    this.#stats.textContent = `${stats.thoughts} thoughts · ${this.#ids.length} tokens · ${stats.ms.toFixed(0)} ms · ` +
      `${stats.backend} · ended: ${stats.reason}`;
  }

  /** Shows an error instead of an answer. */
  error(message: string): void {
    this.#verdict.textContent = message;
    this.#verdict.className = "wrong";
  }
}
