import assert from "node:assert/strict";
import {
  classifyFirstStep,
  classifyPath,
  generateProsQA,
  loadDataset,
  parseProsQAQuestion,
  PROSQA_CONCEPTS,
  PROSQA_PERSONS,
  type ProsQAStats,
  prosqaStats,
} from "./mod.ts";
import { sharedFile } from "./testdata/shared.ts";

const released = [
  ...await loadDataset(sharedFile("prosqa_valid.json")),
  ...await loadDataset(sharedFile("prosqa_test.json")),
];
const generated = generateProsQA({ n: 1000, seed: 2026 });

type Numeric = "nodes" | "edges" | "hops" | "persons" | "shortestPaths";
const NUMERIC: Numeric[] = ["nodes", "edges", "hops", "persons", "shortestPaths"];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

Deno.test("generated ProsQA matches the released files: ranges, means and every structural rule", () => {
  const real = released.map(prosqaStats), ours = generated.map(prosqaStats);
  for (const key of NUMERIC) {
    const r = real.map((s) => s[key]), g = ours.map((s) => s[key]);
    const [lo, hi] = [Math.min(...r), Math.max(...r)];
    const inside = g.filter((x) => x >= lo && x <= hi).length / g.length;
    assert.ok(inside >= 0.98, `${key}: ${(inside * 100).toFixed(1)}% within the released range [${lo}, ${hi}]`);
    const [mr, mg] = [mean(r), mean(g)];
    assert.ok(Math.abs(mg - mr) <= 0.1 * mr, `${key}: mean ${mg.toFixed(2)} vs released ${mr.toFixed(2)}`);
  }
  const rules: (keyof ProsQAStats)[] = [
    "forward",
    "rootIsFirstTwo",
    "targetRule",
    "targetDeepest",
    "negTargetRule",
    "stepsFollowPath",
  ];
  for (const rule of rules) {
    assert.ok(real.every((s) => s[rule]), `released: ${rule}`);
    assert.ok(ours.every((s) => s[rule]), `generated: ${rule}`);
  }
  assert.ok(real.every((s) => s.isolated === 0) && ours.every((s) => s.isolated === 0), "no isolated nodes");
  // Both options, in both orders, about equally often.
  const targetFirst = generated.filter((it) => {
    const q = parseProsQAQuestion(it.question);
    return q.options[0] === it.idx_to_symbol![it.target!];
  }).length;
  assert.ok(targetFirst > 420 && targetFirst < 580, `target asked first ${targetFirst}/1000`);
});

Deno.test("generated ProsQA uses the released names and sentence forms; same seed, same items", () => {
  for (const item of generated.slice(0, 200)) {
    const q = parseProsQAQuestion(item.question);
    assert.equal(q.edges.length, item.edges!.length);
    for (const name of q.names) assert.ok(PROSQA_PERSONS.includes(name) || PROSQA_CONCEPTS.includes(name), name);
    assert.equal(item.steps.length, prosqaStats(item).hops);
  }
  assert.deepEqual(generateProsQA({ n: 5, seed: 2026 }), generated.slice(0, 5));
  assert.notDeepEqual(generateProsQA({ n: 5, seed: 2027 }), generated.slice(0, 5));
});

Deno.test("hop ranges make in- and out-of-distribution splits", () => {
  const deep = generateProsQA({ n: 50, seed: 3, minHops: 7, maxHops: 8, nodes: [24, 36] });
  assert.ok(deep.every((it) => prosqaStats(it).hops >= 7 && prosqaStats(it).hops <= 8));
  const shallow = generateProsQA({ n: 50, seed: 3, minHops: 3, maxHops: 4, nodes: [8, 14] });
  assert.ok(shallow.every((it) => prosqaStats(it).hops <= 4 && it.idx_to_symbol!.length <= 14));
  assert.throws(() => generateProsQA({ n: 1, seed: 0, minHops: 5, maxHops: 4 }), /minHops/);
  assert.throws(() => generateProsQA({ n: -1, seed: 0 }), /n: must be an integer/);
});

Deno.test("maxChildren caps out-degree; with 1, every walk from a person is forced and the rules still hold", () => {
  const items = generateProsQA({
    n: 300,
    seed: 4,
    nodes: [5, 8],
    nodesMean: 6.5,
    minHops: 2,
    maxHops: 3,
    maxChildren: 1,
  });
  for (const it of items) {
    const out = new Map<number, number>();
    for (const [a] of it.edges!) out.set(a, (out.get(a) ?? 0) + 1);
    assert.ok([...out.values()].every((n) => n === 1), it.question);
    // Following the only child from the root reaches the target in exactly `steps` sentences.
    let at = it.root!;
    for (let i = 0; i < it.steps.length; i++) at = it.edges!.find(([a]) => a === at)![1];
    assert.equal(at, it.target);
    const stats = prosqaStats(it);
    assert.ok(stats.targetRule && stats.negTargetRule && stats.targetDeepest && stats.stepsFollowPath);
  }
  const two = generateProsQA({
    n: 100,
    seed: 4,
    nodes: [8, 12],
    nodesMean: 10,
    minHops: 2,
    maxHops: 4,
    maxChildren: 2,
  });
  const degrees = two.flatMap((it) => [...Map.groupBy(it.edges!, ([a]) => a).values()].map((e) => e.length));
  assert.equal(Math.max(...degrees), 2);
  assert.throws(() => generateProsQA({ n: 1, seed: 0, maxChildren: 0 }), /maxChildren/);
});

Deno.test("balanceHops: each hop count in the range about equally often; without it, small graphs favour the least", () => {
  const task = { n: 600, seed: 5, nodes: [5, 8] as [number, number], nodesMean: 6.5, minHops: 2, maxHops: 3 };
  const count = (items: ReturnType<typeof generateProsQA>, h: number) =>
    items.filter((it) => it.steps.length === h).length;
  const skewed = generateProsQA(task);
  assert.ok(count(skewed, 2) > 450, `unbalanced: ${count(skewed, 2)} of 600 are 2-hop`);
  const balanced = generateProsQA({ ...task, balanceHops: true });
  for (const h of [2, 3]) assert.ok(Math.abs(count(balanced, h) - 300) < 50, `${h} hops: ${count(balanced, h)}`);
  assert.ok(balanced.every((it) => prosqaStats(it).hops === it.steps.length && prosqaStats(it).targetDeepest));
  assert.deepEqual(generateProsQA({ ...task, n: 5, balanceHops: true }), balanced.slice(0, 5));
});

Deno.test("the question parser recovers every released graph exactly", () => {
  const named = (edges: [number, number][], names: string[]) => edges.map(([a, b]) => `${names[a]}>${names[b]}`).sort();
  for (const [i, item] of released.entries()) {
    const q = parseProsQAQuestion(item.question);
    assert.deepEqual(named(q.edges, q.names), named(item.edges!, item.idx_to_symbol!), `item ${i}`);
    assert.equal(q.names[q.root], item.idx_to_symbol![item.root!]);
    assert.deepEqual(
      [...q.options].sort(),
      [item.idx_to_symbol![item.target!], item.idx_to_symbol![item.neg_target!]].sort(),
    );
  }
});

Deno.test("path classes on released items: their own steps are correct paths; edits fall in the other classes", () => {
  for (const item of released) {
    assert.equal(classifyPath(item, item.steps.join("\n") + `\n### ${item.answer}`), "correct-path");
  }
  const item = released[0]; // Tom → terpus → brimpus → lempus
  const names = item.idx_to_symbol!;
  const [root, neg] = [names[item.root!], names[item.neg_target!]];
  assert.equal(classifyPath(item, `### ${item.answer}`), "correct-label");
  assert.equal(classifyPath(item, `### ${root} is a ${neg}.`), "incorrect-label");
  assert.equal(classifyPath(item, `${item.steps[0]}\nEvery terpus is a scrompus.\n### x`), "hallucination");
  assert.equal(classifyPath(item, `${item.steps[0]}\n### ${item.answer}`), "wrong-target");
  // Tom → terpus → gerpus → brimpus → lempus: a valid path, one hop longer than the shortest.
  const longer = [
    "Tom is a terpus.",
    "Every terpus is a gerpus.",
    "Every gerpus is a brimpus.",
    "Every brimpus is a lempus.",
  ];
  assert.equal(classifyPath(item, longer.join("\n") + "\n### Tom is a lempus."), "longer-path");
});

Deno.test("first-step classes on released items: own steps are gold; every edge out of the person is gold or other-edge", () => {
  let branches = 0, optionParents = 0;
  for (const item of released) {
    const names = item.idx_to_symbol!, edges = item.edges!, root = item.root!;
    assert.equal(classifyFirstStep(item, item.steps.join("\n") + `\n### ${item.answer}`), "gold");
    assert.equal(classifyFirstStep(item, `### ${item.answer}`), "none");
    for (const [a, b] of edges.filter(([a]) => a === root)) {
      const kind = classifyFirstStep(item, `${names[a]} is a ${names[b]}.\n### x`);
      assert.ok(kind === "gold" || kind === "other-edge", kind);
      if (kind === "other-edge") branches++;
    }
    // A concept with an edge into an option that the person has no edge to.
    const into = edges.filter(([a, b]) => (b === item.target || b === item.neg_target) && a !== root)
      .map(([a]) => a).filter((a) => !edges.some(([x, y]) => x === root && y === a) && names[a] !== undefined);
    for (const a of into) {
      if (item.steps[0].endsWith(` ${names[a]}.`)) continue;
      assert.equal(classifyFirstStep(item, `${names[root]} is a ${names[a]}.\n### x`), "option-parent");
      optionParents++;
    }
    // A sentence about someone else is "other".
    const other = names[root === 0 ? 1 : 0];
    assert.equal(classifyFirstStep(item, `${other} is a ${names[item.target!]}.\n### x`), "other");
  }
  assert.ok(branches > 100 && optionParents > 100, `${branches} ${optionParents}`);
});

Deno.test("optionDecoys: options gain parents the person cannot reach; path, answer and every rule unchanged", () => {
  const task = { n: 300, seed: 6, nodes: [5, 8] as [number, number], nodesMean: 6.5, minHops: 2, maxHops: 3 };
  /** Per item: parents of the two options, split into reachable from the root or not (breadth-first, here). */
  const parents = (it: ReturnType<typeof generateProsQA>[number]) => {
    const reach = new Set([it.root!]);
    for (let grew = true; grew;) {
      grew = false;
      for (const [a, b] of it.edges!) if (reach.has(a) && !reach.has(b)) (reach.add(b), grew = true);
    }
    const into = it.edges!.filter(([, b]) => b === it.target || b === it.neg_target).map(([a]) => a);
    assert.ok(reach.has(it.target!) && !reach.has(it.neg_target!), it.question);
    return {
      reachable: into.filter((a) => reach.has(a)).length,
      unreachable: into.filter((a) => !reach.has(a)).length,
    };
  };
  const plain = generateProsQA(task), decoyed = generateProsQA({ ...task, optionDecoys: 2 });
  assert.deepEqual(generateProsQA({ ...task, optionDecoys: 0 }), plain);
  for (const it of decoyed) {
    const stats = prosqaStats(it);
    // ProsQA's rules but one: the target may be reachable from the other person too (checked below: the root
    // reaches it and not the negative target).
    assert.ok(stats.negTargetRule && stats.stepsFollowPath && stats.hops === it.steps.length, it.question);
    assert.equal(classifyPath(it, it.steps.join("\n") + "\n### " + it.answer), "correct-path");
    // Every edge is a sentence of the question.
    assert.equal(it.question.split(". ").length, it.edges!.length + 1);
  }
  const mean = (items: typeof plain, key: "reachable" | "unreachable") =>
    items.reduce((s, it) => s + parents(it)[key], 0) / items.length;
  // Small graphs have few concepts the person cannot reach, so "up to 2 per option" adds about one edge per item
  // (measured: 1.39 → 2.47 unreachable parents per item, 1.2 reachable either way).
  assert.ok(mean(decoyed, "unreachable") > mean(plain, "unreachable") + 0.8, `${mean(decoyed, "unreachable")}`);
  assert.ok(Math.abs(mean(decoyed, "reachable") - mean(plain, "reachable")) < 0.2);
  assert.throws(() => generateProsQA({ ...task, optionDecoys: -1 }), /optionDecoys/);
});
