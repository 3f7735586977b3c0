import assert from "node:assert/strict";
import {
  checkSteps,
  type CoconutItem,
  datasetStats,
  evaluateExpression,
  generateArithmetic,
  generateDataset,
  generateProntoQA,
  loadDataset,
  PRONTOQA_ADJECTIVES,
  PRONTOQA_CONCEPTS,
  PRONTOQA_PERSONS,
} from "./mod.ts";
import { sharedFile } from "./testdata/shared.ts";

/** Facts of a ProntoQA item that the released file and the generator must share. */
function prontoFacts(items: CoconutItem[]) {
  const sentences = (it: CoconutItem) => it.question.split("True or false:")[0].trim().split(/(?<=\.) /);
  const all = items.flatMap(sentences);
  const share = (re: RegExp) => all.filter((s) => re.test(s)).length / all.length;
  return {
    sentences: new Set(items.map((it) => sentences(it).length)),
    steps: new Set(items.map((it) => it.steps.length)),
    chain: new Set(items.map((it) => (it.chain_concepts as string[]).length)),
    trueShare: items.filter((it) => it.answer === "True").length / items.length,
    notShare: items.filter((it) => / not /.test(it.question.split("True or false:")[1])).length / items.length,
    plural: share(/^[A-Z]\S*es are /),
    every: share(/^Every /),
    each: share(/^Each /),
  };
}

Deno.test("generated ProntoQA has the released file's shape: 25 sentences, 5 hops, 6 steps, balanced queries", async () => {
  const real = prontoFacts(await loadDataset(sharedFile("prontoqa_valid.json")));
  const items = generateProntoQA({ n: 1000, seed: 11 });
  const ours = prontoFacts(items);
  assert.deepEqual([...real.sentences], [25]);
  assert.deepEqual([...ours.sentences], [25]);
  assert.deepEqual([...ours.steps], [...real.steps]);
  assert.deepEqual([...ours.chain], [...real.chain]);
  for (const key of ["trueShare", "notShare", "plural", "every", "each"] as const) {
    assert.ok(
      Math.abs(ours[key] - real[key]) < 0.08,
      `${key}: ${ours[key].toFixed(3)} vs released ${real[key].toFixed(3)}`,
    );
  }
  // Names, adjectives and the step text come from the question itself.
  for (const it of items.slice(0, 100)) {
    const words = it.question.match(/\b[a-z]+\b/g)!;
    assert.ok(PRONTOQA_PERSONS.includes(it.idx_to_symbol![0]));
    for (const c of it.chain_concepts as string[]) assert.ok(PRONTOQA_CONCEPTS.includes(c));
    const queried = it.question.match(/is (?:not )?(\S+)\.$/)![1];
    assert.ok(PRONTOQA_ADJECTIVES.includes(queried) && words.length > 50);
    for (const step of it.steps.slice(0, 5)) assert.ok(it.question.includes(step.split(". ")[1]), step);
    // The answer follows from the derived fact and the query's polarity.
    const derivedNot = / not /.test(it.steps[5]), askedNot = / not /.test(it.question.split("True or false:")[1]);
    assert.equal(it.answer, derivedNot === askedNot ? "True" : "False");
  }
  assert.deepEqual(generateProntoQA({ n: 3, seed: 11 }), items.slice(0, 3));
});

Deno.test("generated arithmetic problems check out step by step; options are honoured", () => {
  const items = generateArithmetic({ n: 500, seed: 5, steps: [1, 6], operands: [2, 12] });
  for (const it of items) {
    const check = checkSteps(it.steps, it.answer);
    assert.ok(check.ok, `${it.question}: ${check.problems}`);
    assert.ok(it.steps.length >= 1 && it.steps.length <= 6);
    assert.ok(check.values.every((v) => Number.isInteger(v) && v >= 0));
  }
  const only = generateArithmetic({ n: 50, seed: 1, ops: ["*"], steps: [2, 2], operands: [3, 3] });
  assert.ok(only.every((it) => Number(it.answer) === 27 * Number(it.question.match(/has (\d+)/)![1]) / 3));
  assert.throws(() => generateArithmetic({ n: 1, seed: 0, ops: ["^" as "+"] }), /ops/);
  assert.throws(() => generateArithmetic({ n: 1, seed: 0, steps: [3, 2] }), /steps/);
});

Deno.test("the step checker on the real GSM8k files; the evaluator on hand-worked expressions", async () => {
  assert.equal(evaluateExpression("-(3+4)*2"), -14);
  assert.equal(evaluateExpression("1,000/4"), 250);
  assert.equal(evaluateExpression("2*(3"), NaN);
  for (const name of ["gsm_valid.json", "gsm_test.json"]) {
    const items = await loadDataset(sharedFile(name));
    const ok = items.filter((it) => checkSteps(it.steps, it.answer).ok).length / items.length;
    // The released steps are machine-generated calculator traces; nearly all are consistent.
    assert.ok(ok > 0.9, `${name}: ${(ok * 100).toFixed(1)}% of items check out`);
  }
});

Deno.test("data-set statistics and the generate entry point", async () => {
  const prosqa = datasetStats(await loadDataset(sharedFile("prosqa_valid.json")));
  assert.equal(prosqa.items, 300);
  assert.equal(prosqa.prosqa!.hops.min, 3);
  assert.equal(prosqa.prosqa!.hops.max, 6);
  assert.ok(Math.abs(prosqa.prosqa!.nodes.mean - 22.8) < 0.5);
  assert.equal(prosqa.steps.mean, prosqa.prosqa!.hops.mean);
  const gsm = datasetStats(await loadDataset(sharedFile("gsm_valid.json")));
  assert.ok(gsm.arithmetic!.validItems > 0.9 && gsm.prosqa === undefined);
  const pronto = datasetStats(generateDataset("prontoqa", { n: 10, seed: 1 }));
  assert.equal(pronto.answers.distinct, 2);
  assert.equal(generateDataset("prosqa", { n: 2, seed: 1 }).length, 2);
});
