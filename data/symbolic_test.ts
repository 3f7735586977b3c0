import assert from "node:assert/strict";
import { generateDataset, generateSymbolic, parseSymbolicQuestion, type SymbolicItem, validateDataset } from "./mod.ts";

/** Breadth-first distances from `from` over the item's edges. */
function distances(item: SymbolicItem, from: number): Map<number, number> {
  const dist = new Map([[from, 0]]);
  let frontier = [from];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [a, b] of item.edges) {
      if (frontier.includes(a) && !dist.has(b)) {
        dist.set(b, dist.get(a)! + 1);
        next.push(b);
      }
    }
    frontier = next;
  }
  return dist;
}

Deno.test("symbolic items: the question lists the edges and the query; invariants of the graph hold", () => {
  const items = generateSymbolic({ n: 300, seed: 11, nodes: [10, 16], hops: [3, 4] });
  validateDataset(items, "symbolic");
  let targetFirst = 0;
  for (const item of items) {
    // The question is exactly the item's edges, then [Q] the two options, then [R] the root.
    const [edgeText, query] = item.question.split(" [Q] ");
    assert.deepEqual(edgeText.split(" | ").map((e) => e.split(" ").map(Number)), item.edges);
    const [options, root] = query.split(" [R] ");
    const [a, b] = options.split(" ").map(Number);
    assert.deepEqual([a, b].toSorted(), [item.target, item.neg_target].toSorted());
    assert.equal(Number(root), item.root);
    if (a === item.target) targetFirst++;
    // Node ids: a permutation of 0..N−1.
    const nodes = new Set(item.edges.flat());
    assert.deepEqual([...nodes].toSorted((x, y) => x - y), [...nodes].map((_, i) => i));
    // The target is `hops` away from the root; the negative is unreachable from it.
    const fromRoot = distances(item, item.root);
    const H = item.steps.length;
    assert.ok(H >= 3 && H <= 4);
    assert.equal(fromRoot.get(item.target), H);
    assert.equal(fromRoot.has(item.neg_target), false);
    // Depth-matched: the negative is H away from a parentless node (the other source), like the target.
    const sources = [...nodes].filter((v) => !item.edges.some(([, t]) => t === v));
    assert.equal(sources.length, 2);
    const other = sources.find((s) => s !== item.root)!;
    assert.equal(distances(item, other).get(item.neg_target), H);
    // The steps are a path along edges from the root to the target; the answer is the target.
    let at = item.root;
    for (const step of item.steps) {
      assert.ok(item.edges.some(([s, t]) => s === at && t === Number(step)), `${at} → ${step}`);
      at = Number(step);
    }
    assert.equal(item.answer, String(item.target));
    // Frontiers: exactly the nodes at each distance from the root.
    item.frontiers.forEach((frontier, k) => {
      const want = [...fromRoot].filter(([, d]) => d === k).map(([v]) => v).toSorted((x, y) => x - y);
      assert.deepEqual(frontier, want, `frontier ${k}`);
    });
    assert.equal(item.frontiers.length, H + 1);
  }
  // The option order carries no information.
  assert.ok(targetFirst > 120 && targetFirst < 180, `target first in ${targetFirst} of 300`);
});

Deno.test("symbolic items: seeded, knobs honoured, bad knobs refused, reachable through generateDataset", () => {
  assert.deepEqual(generateSymbolic({ n: 5, seed: 2 }), generateSymbolic({ n: 5, seed: 2 }));
  assert.notDeepEqual(generateSymbolic({ n: 5, seed: 2 }), generateSymbolic({ n: 5, seed: 3 }));
  for (const item of generateSymbolic({ n: 50, seed: 4, nodes: [14, 14], hops: [5, 6], branching: 3 })) {
    assert.ok(item.steps.length >= 5 && item.steps.length <= 6);
    const out = new Map<number, number>();
    for (const [s] of item.edges) out.set(s, (out.get(s) ?? 0) + 1);
    assert.ok(Math.max(...out.values()) <= 3);
  }
  assert.throws(() => generateSymbolic({ n: 1, seed: 0, nodes: [6, 8], hops: [3, 3] }), /nodes: must be integers/);
  assert.throws(() => generateSymbolic({ n: 1, seed: 0, branching: 0 }), /branching: must be an integer ≥ 1/);
  assert.deepEqual(generateDataset("symbolic", { n: 3, seed: 1 }), generateSymbolic({ n: 3, seed: 1 }));
});

Deno.test("symbolicFromProsQA: the released graphs in token form, filtered by hops, every invariant kept", async () => {
  const { loadDataset } = await import("./mod.ts");
  const released = await loadDataset(new URL("../../shared/data/prosqa_valid.json", import.meta.url).pathname);
  const { symbolicFromProsQA } = await import("./mod.ts");
  const all = symbolicFromProsQA(released, { seed: 1 });
  assert.equal(all.length, released.length);
  const some = symbolicFromProsQA(released, { seed: 1, hops: [3, 4] });
  assert.ok(some.length > 0 && some.length < released.length);
  for (const [i, item] of all.entries()) {
    const fromRoot = distances(item, item.root);
    assert.equal(fromRoot.get(item.target), item.steps.length, `item ${i}`);
    assert.equal(fromRoot.has(item.neg_target), false);
    assert.equal(released[i].edges!.length, item.edges.length);
    let at = item.root;
    for (const step of item.steps) {
      assert.ok(item.edges.some(([s, t]) => s === at && t === Number(step)), `item ${i}: ${at} → ${step}`);
      at = Number(step);
    }
    assert.equal(at, item.target);
    item.frontiers.forEach((frontier, k) => {
      const want = [...fromRoot].filter(([, d]) => d === k).map(([v]) => v).toSorted((x, y) => x - y);
      assert.deepEqual(frontier, want);
    });
  }
  assert.ok(some.every((it) => it.steps.length >= 3 && it.steps.length <= 4));
});

Deno.test("parseSymbolicQuestion gives back every generated item's graph, options and root", () => {
  for (const item of generateSymbolic({ n: 50, seed: 11, nodes: [8, 14], hops: [3, 6] })) {
    const q = parseSymbolicQuestion(item.question)!;
    assert.deepEqual([...q.edges].sort(), [...item.edges].sort());
    assert.deepEqual([...q.options].sort(), [item.target, item.neg_target].sort());
    assert.equal(q.root, item.root);
  }
  assert.equal(parseSymbolicQuestion("1 2 | 3 [Q] 1 2 [R] 1"), null);
  assert.equal(parseSymbolicQuestion("1 2 [Q] 1 2 [R]"), null);
});
