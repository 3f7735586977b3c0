/**
 * ProsQA graphs: recovering the graph from a question's text, graph statistics, and the reasoning-path
 * classes of the Coconut paper's analysis.
 *
 * A ProsQA question lists one sentence per edge — `"Tom is a terpus."` (a person) or `"Every terpus is a
 * brimpus."` (a concept) — in shuffled order, then asks `"Is Tom a lempus or scrompus?"`. The answer concept
 * (target) is a leaf reachable only from the queried person (root); the other option (neg_target) a leaf
 * reachable only from the other person.
 *
 * @module
 */

import type { CoconutItem } from "./format.ts";
import { DataError } from "./errors.ts";
import { isCorrect } from "./score.ts";

/** A graph read back from a question's text. */
export interface ParsedProsQA {
  /** Node names in order of first appearance. */
  names: string[];
  /** Edges [from, to] as indices into `names`, in sentence order. */
  edges: [number, number][];
  /** Index of the queried person. */
  root: number;
  /** The two options of the query, in the order asked. */
  options: [string, string];
}

const EDGE = /(?:Every (\S+)|(\S+)) is an? (\S+?)\./g;
const QUERY = /Is (\S+) an? (\S+) or (\S+?)\?/;

/**
 * Recovers the graph from a ProsQA question. Throws a {@link DataError} when the text has no query.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProsQAQuestion } from "@copra/data";
 * const g = parseProsQAQuestion("Every wumpus is a yumpus. Tom is a wumpus. Is Tom a yumpus or zumpus?");
 * assert.deepEqual(g.names, ["wumpus", "yumpus", "Tom", "zumpus"]);
 * assert.deepEqual(g.edges, [[0, 1], [2, 0]]);
 * assert.equal(g.root, 2);
 * assert.deepEqual(g.options, ["yumpus", "zumpus"]);
 * ```
 */
export function parseProsQAQuestion(question: string): ParsedProsQA {
  const names: string[] = [];
  const index = new Map<string, number>();
  const id = (name: string) => {
    let i = index.get(name);
    if (i === undefined) {
      i = names.length;
      names.push(name);
      index.set(name, i);
    }
    return i;
  };
  const query = QUERY.exec(question);
  if (!query) throw new DataError("argument", null, "question", 'has no "Is X a Y or Z?" query', question.slice(-60));
  const body = question.slice(0, query.index);
  const edges: [number, number][] = [];
  for (const m of body.matchAll(EDGE)) edges.push([id(m[1] ?? m[2]), id(m[3])]);
  const root = id(query[1]);
  id(query[2]);
  id(query[3]);
  return { names, edges, root, options: [query[2], query[3]] };
}

/** Shortest-path distances and path counts from one node (breadth-first). */
export interface Distances {
  /** Edges on a shortest path from the source, or -1 when unreachable. */
  dist: number[];
  /** Number of distinct shortest paths from the source. */
  count: number[];
}

/**
 * Breadth-first distances and numbers of shortest paths from `source` over directed edges.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shortestPaths } from "@copra/data";
 * const { dist, count } = shortestPaths(4, [[0, 1], [0, 2], [1, 3], [2, 3]], 0);
 * assert.deepEqual(dist, [0, 1, 1, 2]);
 * assert.equal(count[3], 2);
 * ```
 */
export function shortestPaths(n: number, edges: readonly (readonly [number, number])[], source: number): Distances {
  const children = childLists(n, edges);
  const dist = new Array<number>(n).fill(-1);
  const count = new Array<number>(n).fill(0);
  dist[source] = 0;
  count[source] = 1;
  const queue = [source];
  for (let q = 0; q < queue.length; q++) {
    const u = queue[q];
    for (const w of children[u]) {
      if (dist[w] === -1) {
        dist[w] = dist[u] + 1;
        queue.push(w);
      }
      if (dist[w] === dist[u] + 1) count[w] += count[u];
    }
  }
  return { dist, count };
}

/** Children of every node. */
export function childLists(n: number, edges: readonly (readonly [number, number])[]): number[][] {
  const children: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) children[a].push(b);
  return children;
}

/**
 * The longest path from any parentless node to each node of a DAG with nodes 0…n−1 (parentless nodes: 0). The
 * "depth" the shortcut audit compares, and the one `generateProsQA({ matchDepth })` matches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { longestDepths } from "@copra/data";
 * assert.deepEqual(longestDepths(4, [[0, 1], [1, 3], [0, 3], [2, 3]]), [0, 1, 0, 2]);
 * ```
 */
export function longestDepths(n: number, edges: readonly (readonly [number, number])[]): number[] {
  const depth = new Array<number>(n).fill(0);
  // Relax edges until nothing changes (at most n rounds in a DAG).
  for (let changed = true, rounds = 0; changed && rounds <= n; rounds++) {
    changed = false;
    for (const [a, b] of edges) {
      if (depth[a] + 1 > depth[b]) {
        depth[b] = depth[a] + 1;
        changed = true;
      }
    }
  }
  return depth;
}

/** The structural facts of one ProsQA item (see DESIGN.md §2). */
export interface ProsQAStats {
  /** Number of nodes. */
  nodes: number;
  /** Number of edges. */
  edges: number;
  /** Shortest root → target distance. */
  hops: number;
  /** Parentless nodes. */
  persons: number;
  /** Number of shortest root → target paths. */
  shortestPaths: number;
  /** Every edge goes from a lower to a higher index. */
  forward: boolean;
  /** Nodes with no edge at all. */
  isolated: number;
  /** The queried person is node 0 or 1. */
  rootIsFirstTwo: boolean;
  /** target is a leaf reachable from the root and not from the other person. */
  targetRule: boolean;
  /** target is the deepest such leaf. */
  targetDeepest: boolean;
  /** neg_target is a leaf reachable from the other person and not from the root. */
  negTargetRule: boolean;
  /** The steps walk one shortest root → target path. */
  stepsFollowPath: boolean;
}

/**
 * Structural statistics of a ProsQA item with its graph keys. Throws a {@link DataError} when they are missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prosqaStats } from "@copra/data";
 * const s = prosqaStats({
 *   question: "Tom is a a1. Every a1 is a a2. Bob is a b1. Is Tom a a2 or b1?",
 *   steps: ["Tom is a a1.", "Every a1 is a a2."], answer: "Tom is a a2.",
 *   idx_to_symbol: ["Tom", "Bob", "a1", "a2", "b1"], edges: [[0, 2], [2, 3], [1, 4]], root: 0, target: 3, neg_target: 4,
 * });
 * assert.equal(s.hops, 2);
 * assert.equal(s.targetRule && s.negTargetRule && s.stepsFollowPath, true);
 * ```
 */
export function prosqaStats(item: CoconutItem): ProsQAStats {
  const { idx_to_symbol: names, edges, root, target, neg_target: neg } = item;
  if (!names || !edges || root === undefined || target === undefined || neg === undefined) {
    throw new DataError(
      "argument",
      null,
      "idx_to_symbol/edges/root/target/neg_target",
      "ProsQA graph keys are missing",
    );
  }
  const n = names.length;
  const children = childLists(n, edges);
  const hasParent = new Array<boolean>(n).fill(false);
  for (const [, b] of edges) hasParent[b] = true;
  const other = root === 0 ? 1 : 0;
  const fromRoot = shortestPaths(n, edges, root);
  const fromOther = shortestPaths(n, edges, other);
  const exclusiveLeaf = (v: number, mine: Distances, theirs: Distances) =>
    mine.dist[v] > 0 && theirs.dist[v] === -1 && children[v].length === 0;
  const rootLeaves = names.map((_, v) => v).filter((v) => exclusiveLeaf(v, fromRoot, fromOther));
  const deepest = Math.max(...rootLeaves.map((v) => fromRoot.dist[v]));
  return {
    nodes: n,
    edges: edges.length,
    hops: fromRoot.dist[target],
    persons: hasParent.filter((p) => !p).length,
    shortestPaths: fromRoot.count[target],
    forward: edges.every(([a, b]) => a < b),
    isolated: names.filter((_, v) => !hasParent[v] && children[v].length === 0).length,
    rootIsFirstTwo: root === 0 || root === 1,
    targetRule: exclusiveLeaf(target, fromRoot, fromOther),
    targetDeepest: fromRoot.dist[target] === deepest,
    negTargetRule: exclusiveLeaf(neg, fromOther, fromRoot),
    stepsFollowPath: classifyPath(item, item.steps.join("\n") + `\n### ${item.answer}`) === "correct-path",
  };
}

/**
 * The reasoning-path classes of the Coconut paper's analysis of ProsQA outputs:
 * - `correct-path`: the written steps follow graph edges from the root to the target along a shortest path;
 * - `longer-path`: a valid path to the target, longer than the shortest;
 * - `hallucination`: a step that is not an edge, or steps that do not chain from the root;
 * - `wrong-target`: a valid path from the root that ends elsewhere than the target;
 * - `correct-label` / `incorrect-label`: no reasoning sentence, only an answer, right or wrong.
 */
export type PathClass =
  | "correct-path"
  | "longer-path"
  | "hallucination"
  | "wrong-target"
  | "correct-label"
  | "incorrect-label";

/**
 * Whether an item carries the graph keys {@link classifyPath} needs (`idx_to_symbol`, `edges`, `root`, `target`),
 * as the released ProsQA files and `generateProsQA` items do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateProsQA, hasGraphKeys } from "@copra/data";
 * assert.equal(hasGraphKeys(generateProsQA({ n: 1, seed: 1 })[0]), true);
 * assert.equal(hasGraphKeys({ question: "Q", steps: [], answer: "A" }), false);
 * ```
 */
export function hasGraphKeys(
  item: CoconutItem,
): item is CoconutItem & Required<Pick<CoconutItem, "idx_to_symbol" | "edges" | "root" | "target">> {
  return item.idx_to_symbol !== undefined && item.edges !== undefined && item.root !== undefined &&
    item.target !== undefined;
}

/** The (subject, object) names of the "X is a Y." / "Every X is a Y." sentences before the answer's `#`. */
function writtenEdges(generated: string): (readonly [string, string])[] {
  const cut = generated.indexOf("#");
  const reasoning = cut === -1 ? generated : generated.slice(0, cut);
  return [...reasoning.matchAll(EDGE)].map((m) => [m[1] ?? m[2], m[3]] as const);
}

/**
 * Classifies a generated output (the text after the prompt: steps, then `### answer`) against the item's graph.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyPath } from "@copra/data";
 * const item = {
 *   question: "…", steps: [], answer: "Tom is a a2.",
 *   idx_to_symbol: ["Tom", "Bob", "a1", "a2", "b1"], edges: [[0, 2], [2, 3], [1, 4]] as [number, number][],
 *   root: 0, target: 3, neg_target: 4,
 * };
 * assert.equal(classifyPath(item, "Tom is a a1.\nEvery a1 is a a2.\n### Tom is a a2."), "correct-path");
 * assert.equal(classifyPath(item, "Tom is a b1.\n### Tom is a b1."), "hallucination");
 * assert.equal(classifyPath(item, "Tom is a a1.\n### Tom is a a2."), "wrong-target");
 * assert.equal(classifyPath(item, "### Tom is a a2."), "correct-label");
 * ```
 */
export function classifyPath(item: CoconutItem, generated: string): PathClass {
  if (!hasGraphKeys(item)) {
    throw new DataError("argument", null, "idx_to_symbol/edges/root/target", "ProsQA graph keys are missing");
  }
  const { idx_to_symbol: names, edges, root, target } = item;
  const sentences = writtenEdges(generated);
  if (sentences.length === 0) return isCorrect(generated, item.answer) ? "correct-label" : "incorrect-label";
  const index = new Map(names.map((name, i) => [name, i]));
  const edgeSet = new Set(edges.map(([a, b]) => `${a}>${b}`));
  let at = root;
  for (const [subject, object] of sentences) {
    const s = index.get(subject), o = index.get(object);
    if (s !== at || o === undefined || !edgeSet.has(`${s}>${o}`)) return "hallucination";
    at = o;
  }
  if (at !== target) return "wrong-target";
  const shortest = shortestPaths(names.length, edges, root).dist[target];
  return sentences.length === shortest ? "correct-path" : "longer-path";
}

/**
 * Where a generated first reasoning step goes, for ProsQA outputs (the diagnosis behind docs/REGIME.md):
 * - `gold`: the gold path's first step;
 * - `other-edge`: another edge of the person (a valid step, a different branch);
 * - `option-parent`: not an edge of the person, but a concept with an edge into one of the two options — a step
 *   picked backwards from the options;
 * - `other`: any other first sentence (another subject, or a concept unrelated to the options);
 * - `none`: no reasoning sentence before the answer.
 */
export type FirstStepClass = "gold" | "other-edge" | "option-parent" | "other" | "none";

/**
 * Classifies the first written step of an output against the item's graph (see {@link FirstStepClass}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyFirstStep } from "@copra/data";
 * const item = {
 *   question: "…", steps: ["Tom is a a1.", "Every a1 is a a2."], answer: "Tom is a a2.",
 *   idx_to_symbol: ["Tom", "Bob", "a1", "a2", "b1", "b2", "a3"],
 *   edges: [[0, 2], [0, 6], [2, 3], [1, 4], [4, 5]] as [number, number][],
 *   root: 0, target: 3, neg_target: 5,
 * };
 * assert.equal(classifyFirstStep(item, "Tom is a a1.\nEvery a1 is a a2.\n### Tom is a a2."), "gold");
 * assert.equal(classifyFirstStep(item, "Tom is a a3.\n### Tom is a a2."), "other-edge");
 * assert.equal(classifyFirstStep(item, "Tom is a b1.\nEvery b1 is a b2.\n### Tom is a b2."), "option-parent");
 * assert.equal(classifyFirstStep(item, "Bob is a b1.\n### Tom is a b2."), "other");
 * assert.equal(classifyFirstStep(item, "### Tom is a a2."), "none");
 * ```
 */
export function classifyFirstStep(item: CoconutItem, generated: string): FirstStepClass {
  if (!hasGraphKeys(item) || item.neg_target === undefined) {
    throw new DataError(
      "argument",
      null,
      "idx_to_symbol/edges/root/target/neg_target",
      "ProsQA graph keys are missing",
    );
  }
  const { idx_to_symbol: names, edges, root, target, neg_target: neg } = item;
  const first = writtenEdges(generated)[0];
  if (!first) return "none";
  const index = new Map(names.map((name, i) => [name, i]));
  const subject = index.get(first[0]), object = index.get(first[1]);
  if (subject !== root || object === undefined) return "other";
  const gold = writtenEdges(item.steps[0] ?? "")[0]?.[1];
  if (gold !== undefined && index.get(gold) === object) return "gold";
  const has = (a: number, b: number) => edges.some(([x, y]) => x === a && y === b);
  if (has(root, object)) return "other-edge";
  return has(object, target) || has(object, neg) ? "option-parent" : "other";
}
