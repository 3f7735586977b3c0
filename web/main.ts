/// <reference lib="dom" />
/**
 * The thought explorer page: opens a checkpoint (the shipped demo, a folder the user picks, or `?ckpt=<url>`), runs a
 * question through `Session` of `@copra/infer` and shows each continuous thought as it streams — its top tokens, the
 * switch's stop probability and, for symbolic graph questions, its probability mass painted on the graph.
 *
 * Query parameters: `backend=auto|webgpu|wasm` (auto: WebGPU when the browser gives an adapter), `ckpt=<url>`,
 * `q=<index of a demo question>`.
 *
 * @module
 */

import { METHOD_TRAITS, specialIds } from "@copra/curriculum/browser";
import { Session } from "@copra/infer/browser";
import { disposeParams, hasSwitch, useBackend } from "@copra/model/browser";
import {
  distancesFrom,
  openCheckpoint,
  type OpenedCheckpoint,
  splitMass,
  type ThoughtMass,
} from "@copra/train/browser";
import { AnswerView } from "./answer.ts";
import { drawGraph } from "./graph.ts";
import { newQuestion, nodeOfToken, type QuestionGraph, readQuestion, type Task } from "./question.ts";
import { ThoughtsView } from "./thoughts.ts";

interface DemoQuestion {
  question: string;
  answer: string;
  hops: number;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);

let model: OpenedCheckpoint | null = null;
let backendLabel = "";
let running: AbortController | null = null;
let demo: DemoQuestion[] = [];
let generated = 0;
/** What each thought of the current run painted: node → probability, and the frontier distance it stands for. */
let painted: { mass: Map<number, number>; distance: number }[] = [];
let graph: QuestionGraph | null = null;

const answer = new AnswerView($("answer-box"));
const thoughts = new ThoughtsView($("thought-list"), (i) => paint(i));

function setState(state: "loading" | "ready" | "running" | "done" | "error", message = ""): void {
  document.body.dataset.state = state;
  $("status").textContent = message || state;
}

/** Starts the backend: WebGPU when asked or (auto) when the browser has an adapter, else wasm. */
async function startBackend(wanted: string): Promise<string> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (wanted !== "wasm" && gpu) {
    try {
      if (await gpu.requestAdapter()) {
        const info = await useBackend("webgpu");
        const a = info.adapter;
        return `webgpu${
          a && (a.vendor || a.architecture) ? ` (${[a.vendor, a.architecture].filter(Boolean).join(" ")})` : ""
        }`;
      }
    } catch (error) {
      if (wanted === "webgpu") throw error;
    }
  }
  if (wanted === "webgpu") throw new Error("WebGPU was asked for (backend=webgpu) but this browser gives no adapter");
  const info = await useBackend("wasm", { wasmPaths: new URL("wasm/", location.href).href });
  return `wasm${info.simd ? " (SIMD)" : ""}`;
}

async function loadModel(source: Parameters<typeof openCheckpoint>[0], name: string): Promise<void> {
  setState("loading", `opening ${name}…`);
  const opened = await openCheckpoint(source);
  if (model) disposeParams(model.params);
  model = opened;
  const c = model.config;
  const method = model.curriculum?.method ?? "unknown method";
  $("model").textContent =
    `${name}: ${method}, ${c.n_layer} blocks × ${c.n_embd}, ${model.tokenizer.vocabSize} tokens` +
    (hasSwitch(model.params) ? ", learned switch" : "");
  setState("ready", "ready");
}

function questionChanged(): void {
  const read = readQuestion(($("question") as HTMLTextAreaElement).value);
  graph = read.graph;
  if (read.task !== "text") ($("task") as HTMLSelectElement).value = read.task;
  painted = [];
  if (graph) drawGraph($("graph"), graph, new Map(), null, "the question's graph");
  else {
    const hint = document.createElement("p");
    hint.className = "hint";
    hint.textContent = "no graph in this question (symbolic and ProsQA questions have one)";
    $("graph").replaceChildren(hint);
  }
}

function useQuestion(text: string, expected: string | null): void {
  ($("question") as HTMLTextAreaElement).value = text;
  $("question").dataset.expected = expected ?? "";
  questionChanged();
}

function paint(index: number): void {
  if (!graph || !painted[index]) return;
  const { mass, distance } = painted[index];
  drawGraph($("graph"), graph, mass, distance, `thought #${index}: mass on the nodes (ringed: hop ${distance})`);
}

/** Runs the question: a fresh session, every event rendered as it arrives. */
async function run(): Promise<void> {
  if (!model || running) return;
  const text = ($("question") as HTMLTextAreaElement).value.trim();
  if (text === "") return;
  const expected = $("question").dataset.expected || null;
  const { params: weights, config, tokenizer, curriculum } = model;
  const c = curriculum?.thoughtsPerStep ?? 1;
  const thinks = curriculum ? METHOD_TRAITS[curriculum.method].feedsHiddenStates : true;
  const fixedCount = curriculum && thinks ? curriculum.maxLatentStage * c : 0;
  const auto = thinks && hasSwitch(weights);
  const maxThoughts = Number(($("max-thoughts") as HTMLInputElement).value) || Math.max(fixedCount, 1);
  thoughts.reset();
  answer.reset();
  painted = [];
  questionChanged();
  running = new AbortController();
  setState("running", "thinking…");
  const session = new Session(weights, config, {
    encode: (t) => tokenizer.encode(t),
    decode: (ids) => tokenizer.decode(ids),
    ids: specialIds(tokenizer),
  }, {
    thoughts: auto ? "auto" : fixedCount,
    maxThoughts,
    maxNewTokens: 32,
    topK: graph ? Math.min(config.vocab_size, 256) : 5,
    signal: running.signal,
  });
  const dist = graph ? distancesFrom(graph.root, graph.edges) : null;
  const t0 = performance.now();
  let last = t0;
  let spoken = false;
  try {
    for await (const event of session.turn(text)) {
      if (event.type === "thought") {
        const row = {
          index: event.index,
          top: event.top.slice(0, 5),
          stop: event.stop,
          split: undefined as ThoughtMass | undefined,
          ms: performance.now() - last,
        };
        last = performance.now();
        if (graph && dist) {
          const mass = new Map<number, number>();
          for (const t of event.top) {
            const n = nodeOfToken(graph, t.text);
            if (n !== null) mass.set(n, (mass.get(n) ?? 0) + t.probability);
          }
          const distance = Math.floor(event.index / c) + 1;
          painted[event.index] = { mass, distance };
          row.split = splitMass(mass, dist, distance);
        }
        thoughts.add(row);
      } else if (event.type === "token") {
        if (!spoken) setState("running", "speaking…");
        spoken = true;
        answer.token(event.id, event.text);
      } else if (event.type === "turn_end") {
        answer.done(expected, {
          thoughts: event.thoughts,
          ms: performance.now() - t0,
          backend: backendLabel,
          reason: event.reason,
        });
      } else if (event.type === "error") {
        answer.error(event.message);
      }
    }
    setState("done", "done");
  } catch (error) {
    answer.error((error as Error).message);
    setState("error", (error as Error).message);
  } finally {
    session.dispose();
    running = null;
  }
}

async function main(): Promise<void> {
  setState("loading", "starting the backend…");
  backendLabel = await startBackend(params.get("backend") ?? "auto");
  $("backend").textContent = backendLabel;
  document.body.dataset.backend = backendLabel.split(" ")[0];
  const ckpt = params.get("ckpt");
  if (ckpt) await loadModel(ckpt, ckpt);
  else {
    await loadModel(new URL("demo/", location.href), "demo (payoff regime, Coconut seed 1)");
    demo = await (await fetch(new URL("demo/questions.json", location.href))).json();
  }
  const select = $("demo-questions") as HTMLSelectElement;
  select.replaceChildren(...demo.map((q, i) => {
    const option = document.createElement("option");
    option.value = String(i);
    option.textContent = `#${i + 1}: ${q.hops} hops${q.hops > 4 ? " (deeper than trained)" : ""}`;
    return option;
  }));
  select.hidden = demo.length === 0;
  select.addEventListener(
    "change",
    () => useQuestion(demo[Number(select.value)].question, demo[Number(select.value)].answer),
  );
  const first = Math.min(Number(params.get("q") ?? 0), Math.max(demo.length - 1, 0));
  if (demo.length > 0) {
    select.value = String(first);
    useQuestion(demo[first].question, demo[first].answer);
  }
  $("question").addEventListener("input", () => {
    $("question").dataset.expected = "";
    questionChanged();
  });
  $("new-question").addEventListener("click", () => {
    const q = newQuestion(($("task") as HTMLSelectElement).value as Task, 1_000_000 + generated++);
    useQuestion(q.question, q.answer);
  });
  $("run").addEventListener("click", () => void run());
  $("stop").addEventListener("click", () => running?.abort());
  $("folder").addEventListener("change", async () => {
    const files = ($("folder") as HTMLInputElement).files;
    if (!files || files.length === 0) return;
    try {
      demo = [];
      select.hidden = true;
      await loadModel(files, files[0].webkitRelativePath.split("/")[0] || "picked files");
      questionChanged();
    } catch (error) {
      setState("error", (error as Error).message);
    }
  });
}

main().catch((error) => setState("error", (error as Error).message));
