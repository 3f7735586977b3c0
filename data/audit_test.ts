import assert from "node:assert/strict";
import { generateProsQA, generateSymbolic, shortcutAudit } from "./mod.ts";

Deno.test("shortcut audit: each feature rule, hand-computed on one item", () => {
  // 0 → 2 → 4 (target, two parents: 2 and 3), 1 → 3 → 4; 1 → 5 (negative). Query names the negative first.
  const item = {
    question: "0 2 | 2 4 | 3 4 | 1 3 | 1 5 [Q] 5 4 [R] 0",
    steps: ["2", "4"],
    answer: "4",
    edges: [[0, 2], [2, 4], [3, 4], [1, 3], [1, 5]] as [number, number][],
    root: 0,
    target: 4,
    neg_target: 5,
  };
  assert.deepEqual(shortcutAudit([item]), {
    items: 1,
    firstOption: 0, // the query names 5 first
    inDegree: 1, // 4 has two parents, 5 one
    outDegree: 0.5, // both leaves
    depth: 1, // 4 is two deep, 5 one
    firstMention: 1, // 4 appears in the second edge, 5 in the last
  });
});

Deno.test("shortcut audit: the symbolic task stays near chance on every feature; ProsQA-style text is measured", () => {
  const symbolic = shortcutAudit(generateSymbolic({ n: 1000, seed: 5 }));
  for (const [feature, accuracy] of Object.entries(symbolic)) {
    if (feature === "items") continue;
    assert.ok(Math.abs(accuracy - 0.5) < 0.06, `${feature}: ${accuracy}`);
  }
  const text = shortcutAudit(
    generateProsQA({ n: 300, seed: 5, nodes: [5, 8], nodesMean: 6.5, minHops: 2, maxHops: 3 }),
  );
  assert.equal(text.items, 300);
  assert.ok(Object.values(text).every((x) => Number.isFinite(x)));
});

Deno.test("ProsQA matchDepth: the negative is as deep as the target, so depth stops giving the answer away", () => {
  const task = { nodes: [7, 10] as [number, number], nodesMean: 8.5, minHops: 3, maxHops: 4 };
  const plain = shortcutAudit(generateProsQA({ n: 300, seed: 6, ...task }));
  const matched = shortcutAudit(generateProsQA({ n: 300, seed: 6, ...task, matchDepth: true }));
  assert.ok(plain.depth > 0.8, `plain: ${plain.depth}`);
  assert.equal(matched.depth, 0.5); // every item a tie
  // Off by default: the same items as before the option existed.
  assert.deepEqual(
    generateProsQA({ n: 20, seed: 6, ...task }),
    generateProsQA({ n: 20, seed: 6, ...task, matchDepth: false }),
  );
});
