import assert from "node:assert/strict";
import { generateProsQA, generateSymbolic } from "@copra/data";
import { splitMass } from "@copra/train";
import { newQuestion, nodeOfToken, readQuestion } from "./question.ts";

Deno.test("readQuestion gives a symbolic item's graph back with labels for node ids", () => {
  const [item] = generateSymbolic({ n: 1, seed: 4, nodes: [8, 10], hops: [3, 4] });
  const { task, graph } = readQuestion(item.question);
  assert.equal(task, "symbolic");
  const named = graph!.edges.map(([a, b]) => [Number(graph!.labels[a]), Number(graph!.labels[b])]);
  assert.deepEqual(named.sort(), [...item.edges].sort());
  assert.equal(graph!.labels[graph!.root], String(item.root));
  assert.deepEqual(
    graph!.options.map((o) => graph!.labels[o]).sort(),
    [item.target, item.neg_target].map(String).sort(),
  );
});

Deno.test("readQuestion reads ProsQA questions by name, and tells arithmetic and plain text apart", () => {
  const [item] = generateProsQA({ n: 1, seed: 2, minHops: 3, maxHops: 3 });
  const { task, graph } = readQuestion(item.question);
  assert.equal(task, "prosqa");
  assert.ok(graph!.labels.length >= 4);
  assert.ok(graph!.options.every((o) => o >= 0));
  assert.equal(readQuestion("Tom has 3 apples and buys 4 more. How many apples?").task, "arithmetic");
  assert.deepEqual(readQuestion("hello there"), { task: "text", graph: null });
});

Deno.test("nodeOfToken matches a probe token to a node label; splitMass splits by distance", () => {
  const graph = {
    labels: ["1", "0", "2", "wumpus"],
    edges: [[0, 1], [1, 2]] as [number, number][],
    root: 0,
    options: [2],
  };
  assert.equal(nodeOfToken(graph, " 2"), 2);
  assert.equal(nodeOfToken(graph, " wumpus."), 3);
  assert.equal(nodeOfToken(graph, " 9"), null);
  // distances: node 0 → 0, node 1 → 1, node 2 → 2; node 3 unreachable. Thought at distance 1:
  const dist = new Map([[0, 0], [1, 1], [2, 2]]);
  const split = splitMass(new Map([[1, 0.5], [2, 0.2], [0, 0.1], [3, 0.15]]), dist, 1); // other: 1 − the rest
  assert.deepEqual({ ...split, other: Math.round(split.other * 1e9) / 1e9 }, {
    frontier: 0.5,
    later: 0.2,
    earlier: 0.1,
    unreachable: 0.15,
    other: 0.05,
  });
});

Deno.test("newQuestion is seeded and of the task asked", () => {
  for (const task of ["symbolic", "prosqa", "arithmetic"] as const) {
    const a = newQuestion(task, 5), b = newQuestion(task, 5), c = newQuestion(task, 6);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.equal(readQuestion(a.question).task, task);
  }
});
