import assert from "node:assert/strict";
import { loadDataset } from "@copra/data";
import { COCONUT_TOKENS } from "@copra/tokenizer";
import { loadGpt2 } from "../reference/gpt2.ts";
import { sharedFile } from "../data/testdata/shared.ts";
import { buildExample, curriculumConfig, specialIds, tokenizeRecord } from "./mod.ts";

Deno.test("the full CoT string Q\\nstep\\n…\\n### answer<eos> equals the piecewise ids, with GPT-2's tokenizer", async () => {
  const gpt2 = (await loadGpt2()).withSpecialTokens(Object.values(COCONUT_TOKENS));
  const ids = specialIds(gpt2);
  const cot = curriculumConfig({ method: "cot" });
  let compared = 0;
  for (const name of ["prosqa_valid.json", "prontoqa_valid.json", "gsm_valid.json"]) {
    for (const item of (await loadDataset(sharedFile(name))).slice(0, 50)) {
      const full = `${item.question}\n${item.steps.map((s) => s + "\n").join("")}### ${item.answer}<|endoftext|>`;
      const ex = buildExample(tokenizeRecord(gpt2, item), 0, cot, ids);
      assert.equal(gpt2.decode(ex.ids), full);
      const whole = gpt2.encode(full, { allowedSpecial: ["<|endoftext|>"] });
      // Piecewise and whole tokenization agree whenever "\n" ends a pre-token, as it does before a letter.
      if (!/\n[ \t]/.test(full)) {
        assert.deepEqual(ex.ids, whole, `${name}: ${item.question.slice(0, 40)}`);
        compared++;
      }
    }
  }
  assert.ok(compared >= 140, `compared ${compared} of 150`);
});
