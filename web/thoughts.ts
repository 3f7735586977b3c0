/// <reference lib="dom" />
/**
 * The thoughts view: one row per continuous thought as it streams — its index, the LM head's top tokens with their
 * probabilities, the switch's stop probability, and (for graph questions) where its mass lies relative to the
 * frontier it stands for. A row can be picked to paint that thought on the graph.
 *
 * @module
 */

import type { ThoughtMass } from "@copra/train/browser";

/** One thought as the view shows it. */
export interface ThoughtRow {
  /** 0 for the first thought. */
  index: number;
  /** The probe's top tokens (text and probability), most likely first. */
  top: { text: string; probability: number }[];
  /** The switch's probability that this thought is the last, when the model has a switch. */
  stop?: number;
  /** Where the probe's mass lies, for graph questions. */
  split?: ThoughtMass;
  /** Milliseconds since the previous thought (or since the run started). */
  ms?: number;
}

const KINDS: (keyof ThoughtMass)[] = ["frontier", "later", "earlier", "unreachable", "other"];

function span(cls: string, text: string): HTMLSpanElement {
  const s = document.createElement("span");
  s.className = cls;
  s.textContent = text;
  return s;
}

/** The list of thought rows inside `host`; `onPick(i)` when the user picks row i. */
export class ThoughtsView {
  readonly #list: HTMLOListElement;
  readonly #onPick: (index: number) => void;
  #picked = -1;

  /** A view inside `host`. */
  constructor(host: HTMLElement, onPick: (index: number) => void) {
    this.#onPick = onPick;
    this.#list = document.createElement("ol");
    this.#list.className = "thoughts";
    host.replaceChildren(this.#list);
  }

  /** Empties the list. */
  reset(): void {
    this.#list.replaceChildren();
    this.#picked = -1;
  }

  /** Adds a row and picks it (the graph follows the newest thought until the user picks one). */
  add(row: ThoughtRow): void {
    const li = document.createElement("li");
    li.className = "thought";
    li.tabIndex = 0;
    li.dataset.index = String(row.index);
    const tokens = document.createElement("span");
    tokens.className = "tokens";
    for (const t of row.top) {
      const chip = span("token", "");
      chip.append(
        span("text", JSON.stringify(t.text).slice(1, -1) || "∅"),
        span("p", `${(t.probability * 100).toFixed(0)}%`),
      );
      chip.style.setProperty("--p", t.probability.toFixed(3));
      tokens.append(chip);
    }
    li.append(span("index", `#${row.index}`), tokens);
    if (row.split) {
      const bar = document.createElement("span");
      bar.className = "split";
      bar.title = KINDS.map((k) => `${k} ${(row.split![k] * 100).toFixed(1)}%`).join(", ");
      for (const k of KINDS) {
        const part = span(`part ${k}`, "");
        part.style.flexGrow = row.split[k].toFixed(4);
        bar.append(part);
      }
      li.append(bar);
    }
    const stop = span("stop", row.stop === undefined ? "" : `stop ${(row.stop * 100).toFixed(0)}%`);
    if (row.ms !== undefined) stop.append(span("ms", `${row.ms.toFixed(0)} ms`));
    li.append(stop);
    li.addEventListener("click", () => this.pick(row.index, true));
    li.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") this.pick(row.index, true);
    });
    this.#list.append(li);
    this.pick(row.index, false);
  }

  /** Marks row `index` as picked and tells the page. */
  pick(index: number, byUser: boolean): void {
    if (!byUser && this.#picked >= 0 && this.#list.querySelector(".picked.user")) return;
    for (const li of this.#list.querySelectorAll("li")) li.classList.remove("picked", "user");
    const li = this.#list.querySelector(`li[data-index="${index}"]`);
    li?.classList.add("picked");
    if (byUser) li?.classList.add("user");
    this.#picked = index;
    this.#onPick(index);
  }
}
