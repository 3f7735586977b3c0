import assert from "node:assert/strict";
import { accuracy, extractAnswer, isCorrect, loadDataset } from "./mod.ts";
import { sharedFile } from "./testdata/shared.ts";

Deno.test("answer extraction follows the official evaluation: after the last #, commas removed, trimmed", () => {
  assert.equal(extractAnswer("a # b ## c # 1,234 \n"), "1234");
  assert.equal(extractAnswer("###   Tom is a wumpus.  "), "Tom is a wumpus.");
  assert.equal(extractAnswer("#"), "");
  assert.equal(extractAnswer(""), "");
  assert.equal(isCorrect("<<3*4=12>>\n### 12", "12"), true);
  assert.equal(isCorrect("### 12.0", "12"), false); // exact match, no numeric tolerance
  assert.throws(() => accuracy(["a"], []), /generated: has 1 outputs but there are 0 answers/);
});

Deno.test("the released answers score 100% against themselves in the training format", async () => {
  for (const name of ["prosqa_valid.json", "prontoqa_valid.json", "gsm_valid.json"]) {
    const items = await loadDataset(sharedFile(name));
    const outputs = items.map((it) => `${it.steps.join("\n")}\n### ${it.answer}`);
    assert.equal(accuracy(outputs, items.map((it) => it.answer)), 1, name);
  }
});
