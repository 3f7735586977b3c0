/**
 * The shortcut audit of a graph task: how often an answer picked by a surface feature of the graph — not by
 * following edges from the root — is right. A task worth reasoning on keeps every feature near chance (50%).
 *
 * @module
 */

import { DataError } from "./errors.ts";
import type { CoconutItem } from "./format.ts";
import { longestDepths } from "./prosqa_graph.ts";

/** The features the audit picks an option by; each value is the accuracy of that rule (ties count one half). */
export interface ShortcutAudit {
  /** Items audited. */
  items: number;
  /** The option named first in the query. */
  firstOption: number;
  /** The option whose node has more incoming edges. */
  inDegree: number;
  /** The option whose node has more outgoing edges. */
  outDegree: number;
  /** The option farther from a parentless node (longest path from any source). */
  depth: number;
  /** The option mentioned earlier in the question. */
  firstMention: number;
}

/** The two options of an item as node ids, in the order the query names them. */
function optionsInQueryOrder(item: CoconutItem, target: number, neg: number): [number, number] {
  const query = item.question.lastIndexOf("[Q]");
  if (query >= 0) {
    const first = Number(item.question.slice(query + 3).trim().split(/\s+/)[0]);
    return first === target ? [target, neg] : [neg, target];
  }
  const names = item.idx_to_symbol;
  if (!names) throw new DataError("argument", null, "idx_to_symbol", "a text item needs its node names");
  // ProsQA: "… Is Tom a X or Y?": the options are the last two names mentioned.
  const at = (v: number) => item.question.lastIndexOf(names[v]);
  return at(target) < at(neg) ? [target, neg] : [neg, target];
}

/**
 * Audits items that carry their graph (`edges`, `target`, `neg_target`; ProsQA files and the symbolic task do).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSymbolic, shortcutAudit } from "@copra/data";
 * const audit = shortcutAudit(generateSymbolic({ n: 400, seed: 1 }));
 * assert.equal(audit.items, 400);
 * assert.ok(Math.abs(audit.depth - 0.5) < 0.01); // depth-matched negatives: depth says nothing
 * ```
 */
export function shortcutAudit(items: readonly CoconutItem[]): ShortcutAudit {
  const sums = { firstOption: 0, inDegree: 0, outDegree: 0, depth: 0, firstMention: 0 };
  items.forEach((item, i) => {
    const { edges, target, neg_target: neg } = item;
    if (!edges || target === undefined || neg === undefined) {
      throw new DataError("argument", i, "edges/target/neg_target", "the audit needs each item's graph");
    }
    const score = (t: number, n: number) => (t > n ? 1 : t === n ? 0.5 : 0);
    const count = (side: 0 | 1, v: number) => edges.filter((e) => e[side] === v).length;
    sums.inDegree += score(count(1, target), count(1, neg));
    sums.outDegree += score(count(0, target), count(0, neg));
    sums.firstOption += optionsInQueryOrder(item, target, neg)[0] === target ? 1 : 0;
    const depth = longestDepths(Math.max(...edges.flat()) + 1, edges);
    sums.depth += score(depth[target], depth[neg]);
    const mention = (v: number) => {
      const k = edges.findIndex(([s, t]) => s === v || t === v);
      return k === -1 ? Infinity : k;
    };
    // Symbolic questions list the edges in order; ProsQA text mentions names in sentence order.
    const firstAt = item.idx_to_symbol ? (v: number) => item.question.indexOf(item.idx_to_symbol![v]) : mention;
    sums.firstMention += score(-firstAt(target), -firstAt(neg));
  });
  const n = Math.max(items.length, 1);
  return {
    items: items.length,
    firstOption: sums.firstOption / n,
    inDegree: sums.inDegree / n,
    outDegree: sums.outDegree / n,
    depth: sums.depth / n,
    firstMention: sums.firstMention / n,
  };
}
