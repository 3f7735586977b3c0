import assert from "node:assert/strict";
import { Rng } from "@copra/random";
import { COCONUT_TOKENS, trainWordLevel } from "@copra/tokenizer";
import {
  buildExample,
  buildPrompt,
  collate,
  type CurriculumConfig,
  curriculumConfig,
  drawStage,
  epochOrder,
  type Example,
  maxStepsAtEpoch,
  type Method,
  METHODS,
  recordTexts,
  resetsOptimizer,
  specialIds,
  stageOfEpoch,
  tokenizeRecord,
} from "./mod.ts";

const item = {
  question: "Is Tom a yumpus?",
  steps: ["Tom is a wumpus.", "Every wumpus is a zumpus.", "Every zumpus is a yumpus."],
  answer: "Tom is a yumpus.",
};
const short = { question: "Is Bob a rompus?", steps: ["Bob is a rompus."], answer: "Bob is a rompus." };
const tok = trainWordLevel([item, short].flatMap(recordTexts)).withSpecialTokens(Object.values(COCONUT_TOKENS));
const ids = specialIds(tok);
const record = tokenizeRecord(tok, item), shortRecord = tokenizeRecord(tok, short);

// The pieces by name; an expected example is written as a list of them.
const Q = "Is Tom a yumpus?\n", S1 = "Tom is a wumpus.\n", S2 = "Every wumpus is a zumpus.\n";
const S3 = "Every zumpus is a yumpus.\n", A = "### Tom is a yumpus.";
const QB = "Is Bob a rompus?\n", SB = "Bob is a rompus.\n", AB = "### Bob is a rompus.";
type Piece = string | "BOT" | "EOT" | "L" | "P" | "EOS";
const SPECIAL: Record<string, number> = { BOT: ids.bot, EOT: ids.eot, L: ids.latent, P: ids.pause!, EOS: ids.eos };
/** Ids and labels of a hand-written layout; pieces listed in `ignored` get label -100. */
function layout(pieces: Piece[], ignored: Set<Piece>) {
  const outIds: number[] = [], labels: number[] = [];
  for (const piece of pieces) {
    const part = piece in SPECIAL ? [SPECIAL[piece]] : tok.encode(piece);
    outIds.push(...part);
    labels.push(...part.map((t) => (ignored.has(piece) ? -100 : t)));
  }
  return { ids: outIds, labels };
}
const config = (method: Method, extra: Partial<CurriculumConfig> = {}) =>
  curriculumConfig({ method, thoughtsPerStep: 2, maxLatentStage: 2, ...extra });
const L4: Piece[] = ["L", "L", "L", "L"];

function check(ex: Example, pieces: Piece[], ignored: Piece[], latentFrom?: number, latentCount = 0) {
  const expected = layout(pieces, new Set(ignored));
  assert.deepEqual(tok.decode(ex.ids), tok.decode(expected.ids));
  assert.deepEqual(ex.ids, expected.ids);
  assert.deepEqual(ex.labels, expected.labels);
  assert.deepEqual(ex.positionIds, ex.ids.map((_, i) => i));
  const slots = latentFrom === undefined ? [] : Array.from({ length: latentCount }, (_, i) => latentFrom + i);
  assert.deepEqual(ex.latentPositions, slots);
}
const q = tok.encode(Q).length, qb = tok.encode(QB).length;
const HIDDEN: Piece[] = [Q, QB, "BOT", "EOT", "L", "P"];

Deno.test("next-step supervision: only the next step is learned while steps remain, then the answer", () => {
  const c = config("coconut", { supervision: "next-step" });
  check(buildExample(record, 0, c, ids), [Q, "BOT", "EOT", S1], HIDDEN);
  check(buildExample(record, 1, c, ids), [Q, "BOT", "L", "L", "EOT", S2], HIDDEN, q + 1, 2);
  check(buildExample(record, 2, c, ids), [Q, "BOT", ...L4, "EOT", S3], HIDDEN, q + 1, 4);
  check(buildExample(record, 3, c, ids), [Q, "BOT", ...L4, "EOT", A, "EOS"], HIDDEN, q + 1, 4);
  check(buildExample(shortRecord, 1, c, ids), [QB, "BOT", "L", "L", "EOT", AB, "EOS"], HIDDEN, qb + 1, 2);
  // The same for the step-dropping baseline; CoT (no curriculum) is unaffected.
  check(buildExample(record, 1, config("no-thought", { supervision: "next-step" }), ids), [Q, S2], [Q]);
  const cot = config("cot", { supervision: "next-step" });
  check(buildExample(record, 0, cot, ids), [Q, S1, S2, S3, A, "EOS"], [Q]);
  assert.throws(
    () => config("coconut", { supervision: "all" as "rest" }),
    /supervision: must be "rest", "next-step" or "frontier"/,
  );
});

Deno.test("frontier supervision: the next step's first token becomes a set target of its alternatives", () => {
  const graph = { question: "0 1 | 0 2 | 1 3 [Q] 3 4 [R] 0", steps: ["1", "3"], answer: "3" };
  const alternatives = [["1", "2"], ["3"]];
  const gtok = trainWordLevel(recordTexts(graph)).withSpecialTokens(Object.values(COCONUT_TOKENS));
  const gids = specialIds(gtok);
  const rec = tokenizeRecord(gtok, { ...graph, alternatives });
  const id = (t: string) => gtok.encode(t + "\n")[0];
  assert.deepEqual(rec.alternatives, [[id("1"), id("2")], [id("3")]]);
  const c = config("coconut", { supervision: "frontier", thoughtsPerStep: 1 });
  const qn = gtok.encode(graph.question + "\n").length;
  // Stage 0: "<bot><eot> 1\n" — the "1" position holds the set {1, 2} and label -100; "\n" is learned as usual.
  const s0 = buildExample(rec, 0, c, gids);
  assert.deepEqual(s0.setTargets, [{ position: qn + 2, ids: [id("1"), id("2")] }]);
  assert.equal(s0.labels[qn + 2], -100);
  assert.equal(s0.labels[qn + 3], gtok.encode("\n")[0]);
  assert.equal(s0.ids[qn + 2], id("1"));
  // Stage 1: one thought, then the second step, a set of one; stage 2: the answer, no set.
  assert.deepEqual(buildExample(rec, 1, c, gids).setTargets, [{ position: qn + 3, ids: [id("3")] }]);
  const s2 = buildExample(rec, 2, c, gids);
  assert.equal(s2.setTargets, undefined);
  assert.equal(gtok.decode(s2.labels.filter((l) => l !== -100)), "### 3<|endoftext|>");
  // Collated: positions move with the left padding.
  const batch = collate([
    buildExample(rec, 1, c, gids),
    buildExample(
      tokenizeRecord(gtok, { ...graph, question: "0 1 | 0 2 | 1 3 | 2 4 [Q] 3 4 [R] 0", alternatives }),
      1,
      c,
      gids,
    ),
  ], gids.eos);
  const shift = 3; // the second question is three tokens longer ("| 2 4")
  assert.deepEqual(batch.setTargets, [
    { row: 0, position: qn + 3 + shift, ids: [id("3")] },
    { row: 1, position: qn + 3 + shift, ids: [id("3")] },
  ]);
  // Refused: no alternatives, alternatives without the step itself, a wrong count.
  assert.throws(
    () => buildExample(tokenizeRecord(gtok, graph), 0, c, gids),
    /alternatives: the "frontier" supervision/,
  );
  assert.throws(
    () => tokenizeRecord(gtok, { ...graph, alternatives: [["2"], ["3"]] }),
    /alternatives\[0\]: must include/,
  );
  assert.throws(() => tokenizeRecord(gtok, { ...graph, alternatives: [["1"]] }), /alternatives: must list/);
});

Deno.test("switch labels: 1 on the last thought only when the answer follows it directly", () => {
  const c = config("coconut");
  assert.equal(buildExample(record, 0, c, ids).stopLabels, undefined); // no thoughts
  assert.deepEqual(buildExample(record, 1, c, ids).stopLabels, [0, 0]); // steps 2–3 are still spoken
  assert.deepEqual(buildExample(record, 2, c, ids).stopLabels, [0, 0, 0, 0]);
  assert.deepEqual(buildExample(record, 3, c, ids).stopLabels, [0, 0, 0, 1]); // past the last stage: the answer
  assert.deepEqual(buildExample(shortRecord, 1, c, ids).stopLabels, [0, 1]); // one step, all of it thought
  assert.deepEqual(buildExample(shortRecord, 3, c, ids).stopLabels, [0, 1]);
  assert.deepEqual(buildExample(shortRecord, 3, config("coconut", { padLatentToMax: true }), ids).stopLabels, [
    0,
    0,
    0,
    1,
  ]);
  assert.equal(buildExample(record, 3, config("pause-as-thought"), ids).stopLabels, undefined);
  const batch = collate([buildExample(record, 1, c, ids), buildExample(shortRecord, 1, c, ids)], ids.eos);
  assert.deepEqual(batch.stopLabels, [[0, 0], [0, 1]]);
});

Deno.test("coconut: stages 0, 1, max, final; an item with fewer steps than the stage; padLatentToMax", () => {
  const c = config("coconut");
  check(buildExample(record, 0, c, ids), [Q, "BOT", "EOT", S1, S2, S3, A, "EOS"], HIDDEN);
  check(buildExample(record, 1, c, ids), [Q, "BOT", "L", "L", "EOT", S2, S3, A, "EOS"], HIDDEN, q + 1, 2);
  check(buildExample(record, 2, c, ids), [Q, "BOT", ...L4, "EOT", S3, A, "EOS"], HIDDEN, q + 1, 4);
  // Beyond the last stage: all steps go; min(#steps, max)·c = 4 thoughts.
  check(buildExample(record, 3, c, ids), [Q, "BOT", ...L4, "EOT", A, "EOS"], HIDDEN, q + 1, 4);
  // One step at stage 2: it loses its step and still gets 2·c thoughts; at the final stage min(1, 2)·c.
  check(buildExample(shortRecord, 2, c, ids), [QB, "BOT", ...L4, "EOT", AB, "EOS"], HIDDEN, qb + 1, 4);
  check(buildExample(shortRecord, 3, c, ids), [QB, "BOT", "L", "L", "EOT", AB, "EOS"], HIDDEN, qb + 1, 2);
  const padded = config("coconut", { padLatentToMax: true });
  check(buildExample(shortRecord, 3, padded, ids), [QB, "BOT", ...L4, "EOT", AB, "EOS"], HIDDEN, qb + 1, 4);
});

Deno.test("no-curriculum trains the final stage from epoch 0; pause-as-thought uses <pause> without feedback", () => {
  const nc = config("no-curriculum");
  assert.equal(stageOfEpoch(nc, 0), 3);
  check(buildExample(record, stageOfEpoch(nc, 0), nc, ids), [Q, "BOT", ...L4, "EOT", A, "EOS"], HIDDEN, q + 1, 4);
  const pt = config("pause-as-thought");
  check(buildExample(record, 0, pt, ids), [Q, "BOT", "EOT", S1, S2, S3, A, "EOS"], HIDDEN);
  check(buildExample(record, 1, pt, ids), [Q, "BOT", "P", "P", "EOT", S2, S3, A, "EOS"], HIDDEN);
  check(buildExample(record, 3, pt, ids), [Q, "BOT", "P", "P", "P", "P", "EOT", A, "EOS"], HIDDEN);
});

Deno.test("no-thought, cot, no-cot and pause-token layouts", () => {
  const nt = config("no-thought");
  check(buildExample(record, 0, nt, ids), [Q, S1, S2, S3, A, "EOS"], HIDDEN);
  check(buildExample(record, 1, nt, ids), [Q, S2, S3, A, "EOS"], HIDDEN);
  check(buildExample(record, 2, nt, ids), [Q, S3, A, "EOS"], HIDDEN);
  check(buildExample(record, 3, nt, ids), [Q, A, "EOS"], HIDDEN);
  check(buildExample(shortRecord, 0, nt, ids), [QB, SB, AB, "EOS"], HIDDEN);
  check(buildExample(shortRecord, 2, nt, ids), [QB, AB, "EOS"], HIDDEN);
  const cot = config("cot");
  for (const epoch of [0, 7]) {
    check(buildExample(record, stageOfEpoch(cot, epoch), cot, ids), [Q, S1, S2, S3, A, "EOS"], HIDDEN);
  }
  check(buildExample(record, 0, config("no-cot"), ids), [Q, A, "EOS"], HIDDEN);
  check(buildExample(record, 0, config("pause-token"), ids), [Q, "P", "P", "P", "P", A, "EOS"], HIDDEN);
  check(buildExample(record, 0, config("pause-token", { pauseTokens: 1 }), ids), [Q, "P", A, "EOS"], HIDDEN);
});

Deno.test("icot removes chain-of-thought tokens from the front, a fixed number per stage", () => {
  const cotTokens = [S1, S2, S3].flatMap((s) => tok.encode(s));
  const icot = config("icot", { icotTokensPerStage: 3 });
  for (const stage of [0, 1, 2, 100]) {
    const ex = buildExample(record, stage, icot, ids);
    const kept = cotTokens.slice(Math.min(3 * stage, cotTokens.length));
    assert.deepEqual(ex.ids, [...tok.encode(Q), ...kept, ...tok.encode(A), ids.eos]);
    assert.deepEqual(ex.labels, [...tok.encode(Q).map(() => -100), ...kept, ...tok.encode(A), ids.eos]);
  }
  // Removal smoothing removes a few extra tokens, with small offsets most likely; seeded.
  const smooth = config("icot", { icotTokensPerStage: 3, icotSmoothing: 1 });
  const extra = (rng: Rng) =>
    cotTokens.length - (buildExample(record, 1, smooth, ids, rng).ids.length - q - tok.encode(A).length - 1) - 3;
  const a = new Rng(3), b = new Rng(3);
  const offsets = Array.from({ length: 400 }, () => extra(a));
  assert.deepEqual(offsets.slice(0, 20), Array.from({ length: 20 }, () => extra(b)));
  const zeros = offsets.filter((o) => o === 0).length / offsets.length;
  assert.ok(Math.abs(zeros - (1 - Math.exp(-1))) < 0.08, `P(offset 0) = ${zeros}`);
  assert.throws(() => buildExample(record, 1, smooth, ids), /needs a seeded Rng/);
});

Deno.test("inference prompts of every method", () => {
  const prompt = (method: Method) => tok.decode(buildPrompt(record, config(method), ids).ids);
  const bot = "<|start-latent|>", eot = "<|end-latent|>", lat = "<|latent|>", pause = "<pause>";
  assert.equal(prompt("coconut"), Q + bot + lat.repeat(4) + eot);
  assert.equal(prompt("no-curriculum"), Q + bot + lat.repeat(4) + eot);
  assert.equal(prompt("pause-as-thought"), Q + bot + pause.repeat(4) + eot);
  assert.equal(prompt("pause-token"), Q + pause.repeat(4));
  for (const m of ["cot", "no-cot", "no-thought", "icot"] as const) assert.equal(prompt(m), Q);
  assert.deepEqual(buildPrompt(record, config("coconut"), ids, 1).latentPositions, [q + 1]);
  assert.equal(METHODS.length, 8);
});

Deno.test("uniform stage mixing: a χ² test over 20,000 draws", () => {
  const c = config("coconut", { uniformProb: 0.5 });
  const rng = new Rng(123);
  const counts = [0, 0, 0, 0];
  const N = 20_000;
  for (let i = 0; i < N; i++) counts[drawStage(c, 1, 3, rng)]++;
  // Stage 1 with probability 0.5 + 0.5/4, each of 0, 2, 3 with 0.5/4.
  const expected = [0.125, 0.625, 0.125, 0.125].map((p) => p * N);
  const chi2 = counts.reduce((s, n, k) => s + (n - expected[k]) ** 2 / expected[k], 0);
  assert.ok(chi2 < 16.27, `χ² = ${chi2.toFixed(2)} with 3 degrees of freedom (p < 0.001 above 16.27)`);
  // Methods without step stages never mix; with uniformProb 0 nothing is drawn from the generator.
  const untouched = new Rng(5), reference = new Rng(5);
  assert.equal(drawStage(config("coconut"), 2, 3, untouched), 2);
  assert.equal(drawStage(config("cot", { uniformProb: 1 }), 0, 3, untouched), 0);
  assert.equal(untouched.next(), reference.next());
});

Deno.test("schedule: stages by epoch and the three optimizer-reset policies", () => {
  const c = config("coconut", { epochsPerStage: 3 });
  assert.deepEqual([0, 1, 2, 3, 5, 6, 9, 12].map((e) => stageOfEpoch(c, e)), [0, 0, 0, 1, 1, 2, 3, 4]);
  const policy = (p: "every-epoch" | "stage-switch" | "never") =>
    [0, 1, 2, 3, 4, 5, 6].map((e) => resetsOptimizer(config("coconut", { epochsPerStage: 3, optimizerReset: p }), e));
  assert.deepEqual(policy("every-epoch"), [false, true, true, true, true, true, true]);
  assert.deepEqual(policy("stage-switch"), [false, false, false, true, false, false, true]);
  assert.deepEqual(policy("never"), [false, false, false, false, false, false, false]);
  assert.throws(() => curriculumConfig({ method: "coconut", thoughtsPerStep: 0 }), /thoughtsPerStep/);
  assert.throws(() => curriculumConfig({ method: "coconut", uniformProb: 1.5 }), /uniformProb/);
  assert.throws(
    () => curriculumConfig({ method: "coconut", optimizerReset: "sometimes" as "never" }),
    /optimizerReset/,
  );
  assert.throws(() => stageOfEpoch(c, -1), /epoch/);
});

Deno.test("collator: first thoughts share a column; pads have attention 0, position 0, label -100", () => {
  const c = config("coconut");
  const rows = [
    buildExample(record, 1, c, ids), // thoughts at q+1
    buildExample(shortRecord, 3, c, ids), // thoughts at qb+1
    buildExample(record, 0, config("cot"), ids), // no thoughts: no left padding
    buildExample(record, 2, c, ids),
  ];
  const batch = collate(rows, ids.eos);
  const column = Math.max(q, qb) + 1;
  const T = batch.ids[0].length;
  for (const [r, ex] of rows.entries()) {
    assert.equal(batch.ids[r].length, T);
    const left = ex.latentPositions.length > 0 ? column - ex.latentPositions[0] : 0;
    if (ex.latentPositions.length > 0) assert.equal(batch.latentPositions[r][0], column);
    assert.deepEqual(batch.ids[r].slice(left, left + ex.ids.length), ex.ids);
    assert.deepEqual(batch.labels[r].slice(left, left + ex.ids.length), ex.labels);
    assert.deepEqual(batch.positionIds[r].slice(left, left + ex.ids.length), ex.positionIds);
    const pads = [...Array(T).keys()].filter((t) => t < left || t >= left + ex.ids.length);
    for (const t of pads) {
      assert.equal(batch.attentionMask[r][t], 0);
      assert.equal(batch.positionIds[r][t], 0);
      assert.equal(batch.labels[r][t], -100);
      assert.equal(batch.ids[r][t], ids.eos);
    }
    assert.equal(batch.attentionMask[r].filter((m) => m === 1).length, ex.ids.length);
    for (const p of batch.latentPositions[r]) assert.equal(batch.ids[r][p], ids.latent);
  }
  assert.equal(batch.latentPositions[2].length, 0);
  assert.deepEqual(collate([], 0).ids, []);
});

Deno.test("question loss: the question is learned at its weight, markers stay ignored, off by default", () => {
  const c = config("coconut", { questionLossWeight: 0.25 });
  const ex = buildExample(record, 1, c, ids);
  check(ex, [Q, "BOT", "L", "L", "EOT", S2, S3, A, "EOS"], ["BOT", "EOT", "L"], q + 1, 2);
  const after = tok.encode(S2 + S3 + A).length + 1;
  assert.deepEqual(ex.weights, [...new Array(q).fill(0.25), 0, 0, 0, 0, ...new Array(after).fill(1)]);
  // Off (the default): no weights, and the question's labels are ignored.
  assert.equal(buildExample(record, 1, config("coconut"), ids).weights, undefined);
  assert.throws(() => config("cot", { questionLossWeight: -1 }), /questionLossWeight: must be a finite number ≥ 0/);
  // Collated with an example without weights: that row weighs 1 on its counted labels, pads weigh 0.
  const plain = buildExample(shortRecord, 0, config("cot"), ids);
  const batch = collate([buildExample(record, 0, config("cot", { questionLossWeight: 0.5 }), ids), plain], ids.eos);
  assert.deepEqual(batch.weights![1], [
    ...plain.labels.map((l) => (l === -100 ? 0 : 1)),
    ...new Array(batch.ids[0].length - plain.ids.length).fill(0),
  ]);
  assert.deepEqual(batch.weights![0].slice(0, q), new Array(q).fill(0.5));
  assert.equal(collate([plain], ids.eos).weights, undefined);
});

Deno.test("difficulty curriculum: level L of n epochs allows ≤ fewest + L steps; epochs keep their length", () => {
  const c = config("cot", { epochsPerDifficulty: 2 });
  assert.deepEqual([0, 1, 2, 3, 4].map((e) => maxStepsAtEpoch(c, e, 2)), [2, 2, 3, 3, 4]);
  assert.equal(maxStepsAtEpoch(config("cot"), 9, 2), Infinity);
  assert.throws(() => config("cot", { epochsPerDifficulty: 1.5 }), /epochsPerDifficulty: must be an integer ≥ 0/);
  const steps = [2, 3, 2, 4, 3, 2, 4];
  const rng = new Rng(3);
  const easy = epochOrder(steps, 2, rng);
  assert.equal(easy.length, steps.length);
  assert.ok(easy.every((i) => steps[i] <= 2));
  // Whole passes over the allowed items: each of the 3 appears twice, then once more for the 7th slot.
  const counts = [0, 2, 5].map((i) => easy.filter((j) => j === i).length).toSorted();
  assert.deepEqual(counts, [2, 2, 3]);
  // Everything allowed: one plain shuffle, the same draws as without the curriculum.
  assert.deepEqual(epochOrder(steps, Infinity, new Rng(9)), new Rng(9).shuffle([0, 1, 2, 3, 4, 5, 6]));
  assert.throws(() => epochOrder(steps, 1, rng), /maxSteps: no item has this few steps/);
});

Deno.test("tool results as input: the tokens a calculator writes carry no label, for CoT and Coconut's spoken steps", () => {
  const arith = { question: "Ava has 48 apples.", steps: ["<<48/2=24>>", "<<24+5=29>>"], answer: "29" };
  const atok = trainWordLevel(recordTexts(arith), { splitDigits: true }).withSpecialTokens(
    Object.values(COCONUT_TOKENS),
  );
  const aids = specialIds(atok);
  const rec = tokenizeRecord(atok, arith, { toolSpans: true });
  // Piecewise tokens equal the whole step's here: the cut falls between pre-tokens.
  assert.deepEqual(rec.steps, arith.steps.map((s) => atok.encode(s + "\n")));
  const learned = (ex: Example) => atok.decode(ex.labels.filter((l) => l !== -100));
  const cot = buildExample(rec, 0, curriculumConfig({ method: "cot", toolResults: "input" }), aids);
  assert.equal(learned(cot), "<<48/2=\n<<24+5=\n### 29<|endoftext|>");
  assert.equal(atok.decode(cot.ids), "Ava has 48 apples.\n<<48/2=24>>\n<<24+5=29>>\n### 29<|endoftext|>");
  const plain = buildExample(rec, 0, curriculumConfig({ method: "cot" }), aids);
  assert.equal(learned(plain), "<<48/2=24>>\n<<24+5=29>>\n### 29<|endoftext|>");
  // Coconut at stage 1: the first step is a thought, the second still spoken, its result still the tool's.
  const coconut = buildExample(rec, 1, curriculumConfig({ method: "coconut", toolResults: "input" }), aids);
  assert.equal(learned(coconut), "<<24+5=\n### 29<|endoftext|>");
  const next = buildExample(
    rec,
    0,
    curriculumConfig({ method: "coconut", toolResults: "input", supervision: "next-step" }),
    aids,
  );
  assert.equal(learned(next), "<<48/2=\n");
  assert.throws(
    () => buildExample(tokenizeRecord(atok, arith), 0, curriculumConfig({ method: "cot", toolResults: "input" }), aids),
    /stepOutputs: toolResults "input" needs records tokenized with \{ toolSpans: true \}/,
  );
  assert.throws(() => curriculumConfig({ method: "cot", toolResults: "tool" as "input" }), /toolResults/);
});

Deno.test("a vocabulary without <pause> (the official Coconut's) builds every method but the pause ones", () => {
  const official = trainWordLevel([item, short].flatMap(recordTexts)).withSpecialTokens([
    COCONUT_TOKENS.startLatent,
    COCONUT_TOKENS.endLatent,
    COCONUT_TOKENS.latent,
  ]);
  const oids = specialIds(official);
  assert.equal(oids.pause, undefined);
  const rec = tokenizeRecord(official, item);
  for (const method of METHODS) {
    const config = curriculumConfig({ method, maxLatentStage: 2 });
    const build = () => [buildExample(rec, 1, config, oids, new Rng(0)), buildPrompt(rec, config, oids)];
    if (method.startsWith("pause")) assert.throws(build, /tokenizer: has no <pause> token/, method);
    else {
      // The same example as with <pause> in the vocabulary (the ids below it are the same).
      assert.deepEqual(build()[0], buildExample(tokenizeRecord(tok, item), 1, config, ids, new Rng(0)), method);
    }
  }
});
