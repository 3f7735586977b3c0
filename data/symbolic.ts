/**
 * The symbolic graph task of "Reasoning by Superposition" (Zhu et al. 2025) in the Coconut JSON format: every node
 * is a single token (a number), the question lists the edges and then the query, the steps are the nodes of a
 * shortest path from the root, the answer is the reachable option.
 *
 *   question  "3 7 | 0 3 | 7 12 | 0 9 | 9 5 [Q] 12 5 [R] 0"   (edges shuffled; options in random order)
 *   steps     ["3", "7", "12"]                                 (a shortest path after the root)
 *   answer    "12"
 *
 * Each graph has two sides of the same shape, grown layer by layer from two sources: the root (the queried node)
 * and a second source. The target sits at depth `hops` on the root's side, the negative option at the same depth on
 * the other side, so neither the options' depth from a source nor their in-degree gives the answer away; the
 * sides share no edge, so the negative is never reachable from the root. Node ids are a fresh permutation per item.
 *
 * @module
 */

import { Rng } from "@copra/random/browser";
import { DataError } from "./errors.ts";
import type { CoconutItem } from "./format.ts";
import { shortestPaths } from "./prosqa_graph.ts";

/** Options of {@link generateSymbolic}. */
export interface SymbolicOptions {
  /** Items to generate. */
  n: number;
  /** Seed; the same seed gives the same items. */
  seed: number;
  /** Nodes per graph, [min, max] (both sides and the two sources). Default [10, 16]. */
  nodes?: [number, number];
  /** Hops from the root to the target (its shortest path), [min, max]. Default [3, 4]. */
  hops?: [number, number];
  /** Most children a node gets in the next layer. Default 2. */
  branching?: number;
}

/** A symbolic item: the Coconut record plus its graph. */
export interface SymbolicItem extends CoconutItem {
  /** Edges [from, to] as node ids. */
  edges: [number, number][];
  /** The queried node. */
  root: number;
  /** The option reachable from the root (the answer). */
  target: number;
  /** The other option: not reachable from the root, at the same depth from its own source. */
  neg_target: number;
  /** `frontiers[k]`: the nodes at distance k from the root (k = 0 … hops). */
  frontiers: number[][];
}

/**
 * Generates symbolic graph items (see the module documentation for the layout and the guarantees).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSymbolic } from "@copra/data";
 * const [item] = generateSymbolic({ n: 1, seed: 3, nodes: [10, 10], hops: [3, 3] });
 * assert.equal(item.steps.length, 3);
 * assert.equal(item.answer, String(item.target));
 * assert.equal(item.steps.at(-1), item.answer);
 * assert.match(item.question, /^\d+ \d+( \| \d+ \d+)* \[Q\] \d+ \d+ \[R\] \d+$/);
 * ```
 */
export function generateSymbolic(options: SymbolicOptions): SymbolicItem[] {
  const nodes = options.nodes ?? [10, 16];
  const hops = options.hops ?? [3, 4];
  const branching = options.branching ?? 2;
  const range = (field: string, r: [number, number], least: number) => {
    if (!Array.isArray(r) || !r.every(Number.isInteger) || r[0] < least || r[0] > r[1]) {
      throw new DataError("argument", null, field, `must be integers [min, max] with ${least} ≤ min ≤ max`, r);
    }
  };
  range("hops", hops, 1);
  range("nodes", nodes, 2 + 2 * hops[0]);
  if (!Number.isInteger(branching) || branching < 1) {
    throw new DataError("argument", null, "branching", "must be an integer ≥ 1", branching);
  }
  if (!Number.isInteger(options.n) || options.n < 0) {
    throw new DataError("argument", null, "n", "must be an integer ≥ 0", options.n);
  }
  const rng = new Rng(options.seed);
  const between = (r: [number, number]) => r[0] + rng.int(r[1] - r[0] + 1);
  return Array.from({ length: options.n }, () => {
    const H = between(hops);
    // Enough nodes for two sources and H layers per side, at most as many as the range allows.
    const N = Math.max(between(nodes), 2 + 2 * H);
    return symbolicItem(N, H, branching, rng);
  });
}

/** One item with N nodes and the target H hops from the root. */
function symbolicItem(N: number, H: number, branching: number, rng: Rng): SymbolicItem {
  // Layer sizes: each side gets H layers of ≥ 1 node; the remaining nodes are dealt to random layers of random
  // sides, a layer growing only while its previous layer can still give every node a parent (≤ branching each).
  const sizes = [new Array(H).fill(1), new Array(H).fill(1)];
  for (let left = N - 2 - 2 * H, tries = 0; left > 0 && tries < 1000; tries++) {
    const side = rng.int(2), layer = rng.int(H);
    const parents = layer === 0 ? 1 : sizes[side][layer - 1];
    if (sizes[side][layer] < parents * branching) {
      sizes[side][layer]++;
      left--;
    }
  }
  // Local node numbers: 0 root, 1 the other source, then the layers of side 0 and side 1.
  let next = 2;
  const layers = sizes.map((side) => side.map((size) => Array.from({ length: size }, () => next++)));
  const edges: [number, number][] = [];
  for (const [s, side] of layers.entries()) {
    let previous = [s];
    for (const layer of side) {
      // Every node of the layer gets one parent (spread so that no parent has more than `branching` children) …
      const children = new Map<number, number>(previous.map((p) => [p, 0]));
      const free = () => previous.filter((p) => children.get(p)! < branching);
      for (const node of layer) {
        const open = free();
        const parent = open[rng.int(open.length)];
        children.set(parent, children.get(parent)! + 1);
        edges.push([parent, node]);
      }
      // … and sometimes a second one, within the branching limit (more paths, same depths).
      for (const node of layer) {
        const open = free().filter((p) => !edges.some(([a, b]) => a === p && b === node));
        if (open.length > 0 && rng.next() < 0.3) {
          const parent = open[rng.int(open.length)];
          children.set(parent, children.get(parent)! + 1);
          edges.push([parent, node]);
        }
      }
      previous = layer;
    }
  }
  const targetLocal = layers[0][H - 1][rng.int(layers[0][H - 1].length)];
  const negLocal = layers[1][H - 1][rng.int(layers[1][H - 1].length)];
  // A shortest path root → target: walk back through parents of the previous layer.
  const path = [targetLocal];
  for (let k = H - 1; k > 0; k--) {
    const parents = edges.filter(([a, b]) => b === path[0] && layers[0][k - 1].includes(a)).map(([a]) => a);
    path.unshift(parents[rng.int(parents.length)]);
  }
  // Fresh ids, shuffled edges, options in random order.
  const ids = rng.shuffle(Array.from({ length: N }, (_, i) => i));
  const id = (local: number) => ids[local];
  const shuffled = rng.shuffle(edges.map(([a, b]) => [id(a), id(b)] as [number, number]));
  const options = rng.next() < 0.5 ? [id(targetLocal), id(negLocal)] : [id(negLocal), id(targetLocal)];
  const question = `${shuffled.map(([a, b]) => `${a} ${b}`).join(" | ")} [Q] ${options[0]} ${options[1]} [R] ${id(0)}`;
  return {
    question,
    steps: path.map((p) => String(id(p))),
    answer: String(id(targetLocal)),
    edges: shuffled,
    root: id(0),
    target: id(targetLocal),
    neg_target: id(negLocal),
    frontiers: [[id(0)], ...layers[0].map((layer) => layer.map(id).sort((a, b) => a - b))],
  };
}

/** Options of {@link symbolicFromProsQA}. */
export interface ConvertSymbolicOptions {
  /** Seed of the id permutations, edge orders and option orders. */
  seed: number;
  /** Keep only items whose shortest root → target path has this many hops, [min, max]. Default: all. */
  hops?: [number, number];
}

/**
 * Converts ProsQA records (with their graph keys, as in the released files) into the symbolic format: the same
 * graph with node ids permuted, edges shuffled, options in random order, and a shortest path as the steps — for
 * comparing the text and token forms of the same graphs (e.g. the released files filtered to 3–4 hops, as the
 * superposition papers do).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateProsQA, symbolicFromProsQA } from "@copra/data";
 * const prosqa = generateProsQA({ n: 4, seed: 1, nodes: [6, 8], nodesMean: 7, minHops: 2, maxHops: 3 });
 * const symbolic = symbolicFromProsQA(prosqa, { seed: 1 });
 * assert.equal(symbolic.length, 4);
 * assert.equal(symbolic[0].edges.length, prosqa[0].edges!.length);
 * ```
 */
export function symbolicFromProsQA(items: readonly CoconutItem[], options: ConvertSymbolicOptions): SymbolicItem[] {
  const rng = new Rng(options.seed);
  const out: SymbolicItem[] = [];
  items.forEach((item, i) => {
    const { edges, root, target, neg_target: neg, idx_to_symbol: names } = item;
    if (!edges || root === undefined || target === undefined || neg === undefined || !names) {
      throw new DataError(
        "argument",
        i,
        "idx_to_symbol/edges/root/target/neg_target",
        "a ProsQA record needs its graph keys",
      );
    }
    const N = names.length;
    const { dist } = shortestPaths(N, edges, root);
    const H = dist[target];
    if (H < 1 || dist[neg] !== -1) {
      throw new DataError(
        "argument",
        i,
        "target/neg_target",
        "the target must be reachable from the root, the other not",
      );
    }
    if (options.hops && (H < options.hops[0] || H > options.hops[1])) return;
    // A shortest path, walked back from the target through parents one hop nearer the root.
    const path = [target];
    for (let k = H - 1; k > 0; k--) {
      const parents = edges.filter(([a, b]) => b === path[0] && dist[a] === k).map(([a]) => a);
      path.unshift(parents[rng.int(parents.length)]);
    }
    const ids = rng.shuffle(Array.from({ length: N }, (_, v) => v));
    const shuffled = rng.shuffle(edges.map(([a, b]) => [ids[a], ids[b]] as [number, number]));
    const optionIds = rng.next() < 0.5 ? [ids[target], ids[neg]] : [ids[neg], ids[target]];
    const frontiers = Array.from(
      { length: H + 1 },
      (_, k) => [...Array(N).keys()].filter((v) => dist[v] === k).map((v) => ids[v]).sort((a, b) => a - b),
    );
    out.push({
      question: `${shuffled.map(([a, b]) => `${a} ${b}`).join(" | ")} [Q] ${optionIds[0]} ${optionIds[1]} [R] ${
        ids[root]
      }`,
      steps: path.map((v) => String(ids[v])),
      answer: String(ids[target]),
      edges: shuffled,
      root: ids[root],
      target: ids[target],
      neg_target: ids[neg],
      frontiers,
    });
  });
  return out;
}

/**
 * For each step of a graph item, the nodes that would be just as right there — the frontier at that step's
 * distance from the root (`frontiers[j + 1]`), as step texts — or `undefined` when the item has no `frontiers`
 * key. This is what the `"frontier"` supervision of `@copra/curriculum` learns as a set. Throws a
 * {@link DataError} when `frontiers` does not hold each step at its depth.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSymbolic, stepAlternatives } from "@copra/data";
 * const [item] = generateSymbolic({ n: 1, seed: 3, nodes: [10, 10], hops: [3, 3] });
 * const alternatives = stepAlternatives(item)!;
 * assert.equal(alternatives.length, item.steps.length);
 * assert.ok(alternatives.every((alts, j) => alts.includes(item.steps[j])));
 * assert.equal(stepAlternatives({ question: "q", steps: [], answer: "a" }), undefined);
 * ```
 */
export function stepAlternatives(item: CoconutItem, source = "data", index = 0): string[][] | undefined {
  const frontiers = item.frontiers;
  if (frontiers === undefined) return undefined;
  const fail = (field: string, problem: string, value: unknown) => {
    throw new DataError(source, index, field, problem, value);
  };
  if (!Array.isArray(frontiers) || frontiers.length < item.steps.length + 1) {
    fail("frontiers", `must list the nodes at each distance 0…${item.steps.length} from the root`, frontiers);
  }
  return item.steps.map((step, j) => {
    const layer = (frontiers as unknown[])[j + 1];
    if (!Array.isArray(layer) || !layer.map(String).includes(step)) {
      fail(`frontiers[${j + 1}]`, `must hold step ${j} ("${step}"), a node at distance ${j + 1}`, layer);
    }
    return (layer as unknown[]).map(String);
  });
}

/**
 * Whether an item is of the symbolic graph task (its question has the `[Q] … [R] …` layout and it lists its
 * frontiers): such data wants a vocabulary where a step's node is the same token as in the question.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateProsQA, generateSymbolic, isSymbolic } from "@copra/data";
 * assert.equal(isSymbolic(generateSymbolic({ n: 1, seed: 1 })[0]), true);
 * assert.equal(isSymbolic(generateProsQA({ n: 1, seed: 1 })[0]), false);
 * ```
 */
export function isSymbolic(item: CoconutItem): boolean {
  return Array.isArray(item.frontiers) && typeof item.root === "number" && / \[Q\] .* \[R\] /.test(item.question);
}

/** A symbolic question read back from its text: the edges, the two options and the root. */
export interface SymbolicQuestion {
  /** Edges [from, to], in the question's order. */
  edges: [number, number][];
  /** The two options, in the question's order. */
  options: [number, number];
  /** The queried node. */
  root: number;
}

/**
 * Reads a symbolic question (`"3 7 | 0 3 [Q] 7 5 [R] 0"`) back into its graph; null when the text is not of that
 * layout (so a caller can tell a graph question from any other).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSymbolicQuestion } from "@copra/data";
 * assert.deepEqual(parseSymbolicQuestion("3 7 | 0 3 [Q] 7 5 [R] 0"), {
 *   edges: [[3, 7], [0, 3]],
 *   options: [7, 5],
 *   root: 0,
 * });
 * assert.equal(parseSymbolicQuestion("Tom is a wumpus."), null);
 * ```
 */
export function parseSymbolicQuestion(question: string): SymbolicQuestion | null {
  const m = /^\s*(\d+ \d+(?: \| \d+ \d+)*) \[Q\] (\d+) (\d+) \[R\] (\d+)\s*$/.exec(question);
  if (!m) return null;
  const edges = m[1].split(" | ").map((pair) => pair.split(" ").map(Number) as [number, number]);
  return { edges, options: [Number(m[2]), Number(m[3])], root: Number(m[4]) };
}
