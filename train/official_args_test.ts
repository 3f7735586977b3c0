import assert from "node:assert/strict";
import { curriculumConfig } from "@copra/curriculum";
import { formatOfficialArgs, fromOfficialArgs, OFFICIAL_ARGS_KEYS, parseOfficialArgs, toOfficialArgs } from "./mod.ts";

/** An args.yaml as the official repository writes them (ProsQA Coconut, its key order and spelling). */
const PROSQA = `# need 4 gpus

project: coconut
save_path: YOUR_PATH_TO_SAVE_THE_MODEL
name: prosqa-coconut

only_eval: False

coconut: True
cot: False
no_thoughts: False
no_cot: False

c_thought: 1
epochs_per_stage: 5
max_latent_stage: 6
pad_latent_to_max: True

save_only_improve: False
uniform_prob: 0.0
model_id: openai-community/gpt2
load_model_path: None
seed: 0
resume: 0
bf16: False
train_path: data/prosqa_train.json
val_path: data/prosqa_valid.json
reset_optimizer: True
batch_size_training: 32
debug: False
gradient_accumulation_steps: 1
num_epochs: 50
lr: !!float "1e-4"
weight_decay: 0.01`;

Deno.test("the official ProsQA args.yaml reads as the paper's recipe", () => {
  const args = parseOfficialArgs(PROSQA, "prosqa_coconut.yaml");
  assert.deepEqual(Object.keys(args), [...OFFICIAL_ARGS_KEYS]);
  assert.equal(args.lr, 1e-4);
  assert.equal(args.load_model_path, "None");
  const { curriculum, recipe, differences } = fromOfficialArgs(args, 4);
  assert.deepEqual(
    [curriculum.method, curriculum.thoughtsPerStep, curriculum.epochsPerStage, curriculum.maxLatentStage],
    ["coconut", 1, 5, 6],
  );
  assert.equal(curriculum.padLatentToMax, true);
  assert.equal(curriculum.optimizerReset, "every-epoch");
  assert.deepEqual([recipe.batchSize, recipe.effectiveBatch, recipe.epochs], [32, 128, 50]); // 32 × 1 × 4 GPUs
  assert.deepEqual([recipe.lrSchedule, recipe.clipNorm], ["constant", 0]);
  assert.deepEqual(differences, []);
  // Written back by copra, it reads to the same values.
  assert.deepEqual(parseOfficialArgs(formatOfficialArgs(args), "again.yaml"), args);
});

Deno.test("copra's recipe → args.yaml → copra's recipe, and what does not carry over is listed", () => {
  const curriculum = curriculumConfig({
    method: "no-thought",
    thoughtsPerStep: 2,
    maxLatentStage: 3,
    epochsPerStage: 4,
    uniformProb: 0.25,
    optimizerReset: "stage-switch",
    questionLossWeight: 0.5,
  });
  const { args, differences } = toOfficialArgs(
    { curriculum, epochs: 20, seed: 9, lr: 2.5e-7, weightDecay: 0, batchSize: 8, effectiveBatch: 48, clipNorm: 1 },
    { name: "n", savePath: "/s", modelId: "/s/hf", trainPath: "/d/t.json", valPath: "/d/v.json", resume: 6, gpus: 3 },
  );
  assert.equal(args.no_thoughts, true);
  assert.deepEqual([args.coconut, args.cot, args.no_cot], [false, false, false]);
  assert.deepEqual([args.batch_size_training, args.gradient_accumulation_steps], [8, 2]); // 8 × 2 × 3 GPUs = 48
  assert.deepEqual([args.resume, args.num_epochs, args.uniform_prob, args.c_thought], [6, 20, 0.25, 2]);
  const text = differences.join("\n");
  for (const word of ["stage switches", "clipped", "question loss", "seed 9"]) assert.match(text, new RegExp(word));
  const text2 = formatOfficialArgs(args, differences);
  assert.match(text2, /^lr: !!float "2.5e-7"$/m);
  assert.match(text2, /^weight_decay: 0$/m);
  const back = fromOfficialArgs(parseOfficialArgs(text2, "a.yaml"), 3);
  assert.deepEqual(
    [back.curriculum.method, back.curriculum.thoughtsPerStep, back.curriculum.uniformProb, back.recipe.effectiveBatch],
    ["no-thought", 2, 0.25, 48],
  );
  assert.equal(back.recipe.lr, 2.5e-7);
  // A batch the GPUs cannot split, a method the official code lacks.
  assert.throws(
    () =>
      toOfficialArgs({ curriculum, epochs: 1, seed: 0, lr: 1, weightDecay: 0, batchSize: 8 }, { ...place(), gpus: 3 }),
    /gpus.*divides the run's 8/,
  );
  assert.throws(
    () =>
      toOfficialArgs(
        { curriculum: curriculumConfig({ method: "icot" }), epochs: 1, seed: 0, lr: 1, weightDecay: 0, batchSize: 8 },
        place(),
      ),
    /curriculum\.method: has no counterpart.*got "icot"/,
  );
});

function place() {
  return { name: "n", savePath: "/s", modelId: "m", trainPath: "t", valPath: "v" };
}

Deno.test("a malformed args.yaml is refused with the file, the key and the value", () => {
  const bad: [string, RegExp][] = [
    [PROSQA.replace("c_thought: 1", "c_thought: one"), /x\.yaml: c_thought: must be a number ≥ 0 \(got "one"\)/],
    [PROSQA.replace("c_thought: 1", "c_thought: 1.5"), /c_thought: must be a whole number ≥ 0/],
    [PROSQA.replace("cot: False", "cot: True"), /coconut, cot: at most one method flag/],
    [PROSQA.replace("bf16: False", "bf16: maybe"), /bf16: must be True or False/],
    [PROSQA.replace("uniform_prob: 0.0", "uniform_prob: 2"), /uniform_prob: must be in \[0, 1\]/],
    [PROSQA.replace("name: prosqa-coconut\n", "").replace("num_epochs: 50\n", ""), /name, num_epochs: missing/],
    [PROSQA + "\nseed: [", /x\.yaml.*not valid YAML/],
    ["- a\n- b\n", /must be a YAML mapping/],
    // No tag builds an object: PyYAML's unsafe tags are unknown here.
    [
      PROSQA.replace("name: prosqa-coconut", "name: !!python/object/apply:os.system [ls]"),
      /not valid YAML.*unknown tag/,
    ],
  ];
  for (const [text, message] of bad) assert.throws(() => parseOfficialArgs(text, "x.yaml"), message);
  // No method flag: the official pause-as-thought, which copra does not import.
  const none = parseOfficialArgs(PROSQA.replace("coconut: True", "coconut: False"), "x.yaml");
  assert.throws(() => fromOfficialArgs(none), /none is True.*pause-as-thought/);
});
