import assert from "node:assert/strict";
import { DataError, loadDataset, parseDataset, saveDataset } from "./mod.ts";
import { sharedFile } from "./testdata/shared.ts";

const fails = (text: string, item: number | null, field: string) =>
  assert.throws(() => parseDataset(text, "d.json"), (e: unknown) => {
    assert.ok(e instanceof DataError, String(e));
    assert.equal(e.source, "d.json");
    assert.equal(e.item, item);
    assert.equal(e.field, field);
    return true;
  });

Deno.test("every defect names the file, the item and the field", () => {
  fails("not json", null, "(file)");
  fails('{"question": "q"}', null, "(top level)");
  fails("[1]", 0, "(item)");
  fails('[{"question": "q", "steps": [], "answer": "a"}, {"steps": [], "answer": "a"}]', 1, "question");
  fails('[{"question": "  ", "steps": [], "answer": "a"}]', 0, "question");
  fails('[{"question": "q", "steps": "s", "answer": "a"}]', 0, "steps");
  fails('[{"question": "q", "steps": ["s", 3], "answer": "a"}]', 0, "steps[1]");
  fails('[{"question": "q", "steps": [], "answer": 4}]', 0, "answer");
  fails('[{"question": "q", "steps": [], "answer": "a", "idx_to_symbol": ["x"], "edges": [[0, 1]]}]', 0, "edges");
});

Deno.test("the shared files load, with their graph keys kept", async () => {
  for (
    const [name, count] of [["prosqa_valid.json", 300], ["prosqa_test.json", 500], ["prontoqa_valid.json", 200], [
      "gsm_valid.json",
      500,
    ]] as const
  ) {
    const items = await loadDataset(sharedFile(name));
    assert.equal(items.length, count, name);
  }
  const [first] = await loadDataset(sharedFile("prosqa_valid.json"));
  assert.equal(first.idx_to_symbol!.length, 18);
  await assert.rejects(() => loadDataset("/no/such/file.json"), /\/no\/such\/file.json: \(file\): cannot be read/);
});

Deno.test("a file the size of GSM8k-Aug (385k items) loads and validates quickly", async () => {
  const items = Array.from({ length: 385_620 }, (_, i) => ({
    question: `Sam has ${i} apples and buys ${i % 7} more. How many apples does he have?`,
    steps: [`<<${i}+${i % 7}=${i + (i % 7)}>>`],
    answer: String(i + (i % 7)),
  }));
  const dir = await Deno.makeTempDir();
  await saveDataset(`${dir}/big.json`, items);
  const t0 = performance.now();
  const loaded = await loadDataset(`${dir}/big.json`);
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(loaded.length, 385_620);
  assert.equal(loaded[385_619].answer, items[385_619].answer);
  assert.ok(seconds < 20, `took ${seconds.toFixed(1)} s`);
  await Deno.remove(dir, { recursive: true });
});
