/**
 * A ProsQA generator: random DAGs of fictional concepts, built the way the Coconut paper describes, rendered
 * as questions, one shortest reasoning path, and an answer.
 *
 * Construction (per item): nodes 0 and 1 are people. Each later node takes a Poisson number of parents
 * (mean `meanParents`, at least one except with probability `newPersonProb`, which makes another person),
 * drawn without replacement — deeper nodes preferred (weight 1 + 1.5·depth) — from one of three pools: nodes
 * not reachable from person 1, nodes not reachable from person 0, or all nodes. Each node remembers which of
 * the two people reach it. The queried person (root) is 0 or 1 at random; the target is the deepest leaf
 * reachable only from the root, the wrong option a leaf reachable only from the other person. Items whose
 * shortest root → target path is outside [minHops, maxHops], or that have a node with no edge, are drawn again.
 * The defaults reproduce the statistics of the released files (checked in `prosqa_test.ts`).
 *
 * @module
 */

import { Rng } from "@copra/random/browser";
import { DataError } from "./errors.ts";
import type { CoconutItem } from "./format.ts";
import { childLists, longestDepths, shortestPaths } from "./prosqa_graph.ts";

/**
 * The 17 person names of the released ProsQA files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROSQA_PERSONS } from "@copra/data";
 * assert.equal(PROSQA_PERSONS.length, 17);
 * ```
 */
export const PROSQA_PERSONS: readonly string[] = [
  "Alex",
  "Bob",
  "Carol",
  "Davis",
  "Eva",
  "Fae",
  "Gabriel",
  "Jack",
  "Max",
  "Oliver",
  "Polly",
  "Rex",
  "Sally",
  "Sam",
  "Stella",
  "Tom",
  "Wren",
];

/**
 * The 38 concept names of the released ProsQA files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROSQA_CONCEPTS } from "@copra/data";
 * assert.equal(PROSQA_CONCEPTS.length, 38);
 * ```
 */
export const PROSQA_CONCEPTS: readonly string[] = (
  "bompus boompus brimpus chorpus dumpus felpus fompus gerpus gorpus grimpus gwompus hilpus impus jelpus " +
  "jompus kerpus lempus lorpus numpus quimpus rempus rompus rorpus scrompus shumpus sterpus storpus terpus " +
  "timpus tumpus vumpus worpus wumpus yerpus yimpus yumpus zhorpus zumpus"
).split(" ");

/** Options of {@link generateProsQA}. */
export interface ProsQAOptions {
  /** Number of items. */
  n: number;
  /** Seed; the same seed and options give the same items. */
  seed: number;
  /** Shortest root → target distance, at least. Default 3. */
  minHops?: number;
  /** … and at most. Default 6. */
  maxHops?: number;
  /** Smallest and largest number of nodes. Default [14, 28]. */
  nodes?: [number, number];
  /** Typical number of nodes (sizes are drawn around it, sd 2.2, within `nodes`). Default 22.8. */
  nodesMean?: number;
  /** Mean number of parents of a new node. Default 1.7. */
  meanParents?: number;
  /** Probability that a new node is another person (no parents). Default 0.12. */
  newPersonProb?: number;
  /**
   * Most children (outgoing "is a" sentences) a node may get. Default unlimited, as ProsQA. With 1, every walk
   * from a person is forced — no branch to plan around — and CoT only has to look sentences up.
   */
  maxChildren?: number;
  /**
   * Draw each item's hop count uniformly from `minHops…maxHops` first (default `false`: whatever the graphs give,
   * which on small graphs is mostly `minHops`). Balanced hops keep a model from learning a fixed number of steps.
   */
  balanceHops?: boolean;
  /**
   * Decoy parents per option (default 0): up to this many extra "Every U is a <option>" sentences for each of the
   * two options, from concepts U the person cannot reach. Reachability from the person, the gold path and the
   * answer are unchanged; what changes is that "a concept with an edge into an option" no longer points at the
   * person's path, so a model cannot pick its first step backwards from the options. One ProsQA rule is dropped:
   * the target may now also be reachable from the other person (`prosqaStats`' `targetRule` and `targetDeepest`,
   * which count only leaves the other person cannot reach, are then false).
   */
  optionDecoys?: number;
  /**
   * Pick the negative option among the other person's leaves as deep as the target (longest path from any
   * person), so that "the deeper option" stops giving the answer away (see `shortcutAudit`; default `false`, as
   * ProsQA, whose target is the deeper option 73% of the time).
   */
  matchDepth?: boolean;
}

/**
 * Generates ProsQA items with their graph keys (`idx_to_symbol, edges, root, target, neg_target`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateProsQA } from "@copra/data";
 * const [item] = generateProsQA({ n: 1, seed: 7 });
 * assert.match(item.question, /Is \S+ a \S+ or \S+\?$/);
 * assert.equal(item.answer, `${item.idx_to_symbol![item.root!]} is a ${item.idx_to_symbol![item.target!]}.`);
 * assert.ok(item.steps.length >= 3 && item.steps.length <= 6);
 * ```
 */
export function generateProsQA(options: ProsQAOptions): CoconutItem[] {
  const minHops = options.minHops ?? 3, maxHops = options.maxHops ?? 6;
  const [minNodes, maxNodes] = options.nodes ?? [14, 28];
  const meanParents = options.meanParents ?? 1.7;
  const newPersonProb = options.newPersonProb ?? 0.12;
  const nodesMean = options.nodesMean ?? 22.8;
  const maxChildren = options.maxChildren ?? Infinity;
  const optionDecoys = options.optionDecoys ?? 0;
  const matchDepth = options.matchDepth === true;
  checkCount("n", options.n, 0);
  checkCount("optionDecoys", optionDecoys, 0);
  if (!(maxChildren >= 1) || (maxChildren !== Infinity && !Number.isInteger(maxChildren))) {
    throw new DataError("argument", null, "maxChildren", "need an integer ≥ 1", options.maxChildren);
  }
  if (!Number.isInteger(minHops) || minHops < 1 || !Number.isInteger(maxHops) || maxHops < minHops) {
    throw new DataError("argument", null, "minHops/maxHops", "need integers 1 ≤ minHops ≤ maxHops", [minHops, maxHops]);
  }
  if (!Number.isInteger(minNodes) || minNodes < 4 || !Number.isInteger(maxNodes) || maxNodes < minNodes) {
    throw new DataError("argument", null, "nodes", "need integers 4 ≤ min ≤ max", options.nodes);
  }
  if (maxNodes > PROSQA_CONCEPTS.length + 2) {
    throw new DataError(
      "argument",
      null,
      "nodes",
      `at most ${PROSQA_CONCEPTS.length + 2} nodes (concept names)`,
      maxNodes,
    );
  }
  const rng = new Rng(options.seed);
  const items: CoconutItem[] = [];
  let attempts = 0;
  let wanted: number | null = null;
  while (items.length < options.n) {
    if (++attempts > 1000 * (options.n + 10)) {
      throw new DataError("argument", null, "minHops/maxHops/nodes", "no graph met these constraints in many tries", {
        minHops,
        maxHops,
        nodes: [minNodes, maxNodes],
      });
    }
    // Sizes around 23 nodes (sd ≈ 2.2), as in the released files, within [minNodes, maxNodes].
    const size = Math.min(maxNodes, Math.max(minNodes, Math.round(nodesMean + 2.2 * rng.normal())));
    // With balanced hops, keep drawing graphs until one has the hop count drawn for this item.
    if (options.balanceHops && wanted === null) wanted = minHops + rng.int(maxHops - minHops + 1);
    const lo = wanted ?? minHops, hi = wanted ?? maxHops;
    const item = tryItem(rng, size, lo, hi, meanParents, newPersonProb, maxChildren, optionDecoys, matchDepth);
    if (item) {
      items.push(item);
      wanted = null;
    }
  }
  return items;
}

/** One attempt: a graph of `size` nodes, or undefined when it misses the constraints. */
function tryItem(
  rng: Rng,
  size: number,
  minHops: number,
  maxHops: number,
  meanParents: number,
  newPersonProb: number,
  maxChildren: number,
  optionDecoys: number,
  matchDepth: boolean,
): CoconutItem | undefined {
  // reach[v]: bit 1 = reachable from person 0, bit 2 = from person 1. depth[v]: edges from the nearest person.
  const reach = [1, 2], depth = [0, 0];
  const edges: [number, number][] = [];
  const childCount = new Array<number>(size).fill(0);
  for (let v = 2; v < size; v++) {
    let k = poisson(rng, meanParents);
    if (k === 0 && rng.next() >= newPersonProb) k = 1;
    const r = rng.next();
    const pool = [...Array(v).keys()].filter((u) =>
      (r < 0.35 ? reach[u] !== 2 && reach[u] !== 3 : r < 0.7 ? reach[u] !== 1 && reach[u] !== 3 : true) &&
      childCount[u] < maxChildren
    );
    const parents = weightedSample(rng, pool, pool.map((u) => 1 + 1.5 * depth[u]), Math.min(k, pool.length));
    let bits = 0, d = Infinity;
    for (const p of parents.sort((a, b) => a - b)) {
      edges.push([p, v]);
      childCount[p]++;
      bits |= reach[p];
      d = Math.min(d, depth[p] + 1);
    }
    reach.push(bits);
    depth.push(parents.length === 0 ? 0 : d);
  }
  // A person no later node chose as parent gets one child among the later non-person nodes (people carry no
  // reach bits, so this changes nobody's reachability from persons 0 and 1).
  const isPerson = (v: number) => v < 2 || !edges.some(([, b]) => b === v);
  for (let v = 2; v < size; v++) {
    if (!isPerson(v) || edges.some(([a]) => a === v)) continue;
    const later = [...Array(size).keys()].filter((u) => u > v && !isPerson(u));
    if (later.length === 0) return undefined;
    edges.push([v, later[rng.int(later.length)]]);
  }
  edges.sort((x, y) => x[1] - y[1] || x[0] - y[0]);
  const children = childLists(size, edges);
  const hasParent = new Array<boolean>(size).fill(false);
  for (const [, b] of edges) hasParent[b] = true;
  if (hasParent.some((p, v) => !p && children[v].length === 0)) return undefined;

  const root = rng.int(2), other = 1 - root;
  const fromRoot = shortestPaths(size, edges, root), fromOther = shortestPaths(size, edges, other);
  const leaves = (mine: number[], theirs: number[]) =>
    [...Array(size).keys()].filter((v) => mine[v] > 0 && theirs[v] === -1 && children[v].length === 0);
  const rootLeaves = leaves(fromRoot.dist, fromOther.dist), otherLeaves = leaves(fromOther.dist, fromRoot.dist);
  if (rootLeaves.length === 0 || otherLeaves.length === 0) return undefined;
  const deepest = Math.max(...rootLeaves.map((v) => fromRoot.dist[v]));
  if (deepest < minHops || deepest > maxHops) return undefined;
  const deepLeaves = rootLeaves.filter((v) => fromRoot.dist[v] === deepest);
  const target = deepLeaves[rng.int(deepLeaves.length)];
  let candidates = otherLeaves;
  if (matchDepth) {
    const longest = longestDepths(size, edges);
    candidates = otherLeaves.filter((v) => longest[v] === longest[target]);
    if (candidates.length === 0) return undefined;
  }
  const negTarget = candidates[rng.int(candidates.length)];
  // Decoys: edges into each option from concepts the root cannot reach (neither option gains a path from the root).
  if (optionDecoys > 0) {
    for (const option of [target, negTarget]) {
      const pool = [...Array(size).keys()].filter((u) =>
        hasParent[u] && u !== target && u !== negTarget && fromRoot.dist[u] === -1 && childCount[u] < maxChildren &&
        !edges.some(([a, b]) => a === u && b === option)
      );
      for (const u of rng.shuffle(pool).slice(0, optionDecoys)) {
        edges.push([u, option]);
        childCount[u]++;
      }
    }
    edges.sort((x, y) => x[1] - y[1] || x[0] - y[0]);
  }

  // Names: people for parentless nodes, concepts for the rest, each list shuffled.
  const people = rng.shuffle([...PROSQA_PERSONS]), concepts = rng.shuffle([...PROSQA_CONCEPTS]);
  const names = hasParent.map((p) => (p ? concepts.pop()! : people.pop()!));
  const sentence = ([a, b]: readonly [number, number]) =>
    hasParent[a] ? `Every ${names[a]} is a ${names[b]}.` : `${names[a]} is a ${names[b]}.`;

  // One shortest path root → target, walking back from the target through random shortest-path parents.
  const path = [target];
  while (path[0] !== root) {
    const v = path[0];
    const prev = edges.filter(([a, b]) => b === v && fromRoot.dist[a] === fromRoot.dist[v] - 1).map(([a]) => a);
    path.unshift(prev[rng.int(prev.length)]);
  }
  const steps = path.slice(1).map((v, i) => sentence([path[i], v]));
  const shuffled = rng.shuffle(edges.map(sentence));
  const options = rng.next() < 0.5 ? [names[target], names[negTarget]] : [names[negTarget], names[target]];
  return {
    question: `${shuffled.join(" ")} Is ${names[root]} a ${options[0]} or ${options[1]}?`,
    steps,
    answer: `${names[root]} is a ${names[target]}.`,
    idx_to_symbol: names,
    edges,
    root,
    target,
    neg_target: negTarget,
  };
}

/** A Poisson sample (Knuth's method; fine for small means). */
function poisson(rng: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0, p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/** `k` distinct items drawn with probability proportional to their weights. */
function weightedSample(rng: Rng, items: number[], weights: number[], k: number): number[] {
  const pool = [...items], w = [...weights], out: number[] = [];
  for (let j = 0; j < k; j++) {
    const total = w.reduce((a, b) => a + b, 0);
    let x = rng.next() * total, i = 0;
    while (i < w.length - 1 && x >= w[i]) x -= w[i++];
    out.push(pool[i]);
    pool.splice(i, 1);
    w.splice(i, 1);
  }
  return out;
}

/** Validates a count option. */
export function checkCount(field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new DataError("argument", null, field, `must be an integer of at least ${min}`, value);
  }
}
