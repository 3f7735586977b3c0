/**
 * The continuous loop: a conversation with a Coconut model that takes input at any time (a question, a user
 * message), thinks in latent space (until its learned switch says stop, or a fixed number of thoughts), speaks, and
 * calls tools whose results it reads before it goes on — as a stream of typed events that the consumer pulls.
 *
 * Everything said so far stays in one KV cache: a new turn computes only its own positions. Each turn is
 * `text + "\n"`, then `<bot>`, the thoughts, `<eot>` (the layout Coconut trains on), then greedy tokens until `<eos>`.
 * A tool call is spoken text of the form `<<input=` (the default tool) or `<<name:input=`; the session runs the tool
 * and feeds `output>>` into the cache as input, so the model reads the result instead of guessing it.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  type GPT2Config,
  gpt2Forward,
  type GPT2Params,
  hasSwitch,
  type KVCache,
  type PackedWeight,
  packTransposed,
  packTransposedThreads,
  switchLogits,
  type Tensor2D,
  tokenEmbeddings,
} from "@copra/model/browser";
import { InferError } from "./errors.ts";
import { probeThought } from "./generate.ts";
import { thoughtLoop, type ThoughtLoopResult } from "./latent.ts";

/** A tool the model may call. */
export interface Tool {
  /** Name used in `<<name:input=` calls (the default tool also answers `<<input=`). */
  name: string;
  /** Runs one call; should stop when `signal` aborts. */
  run(input: string, signal: AbortSignal): Promise<string>;
}

/** What a session streams. */
export type SessionEvent =
  | {
    type: "thought";
    /** 0 for the turn's first thought. */
    index: number;
    /** The LM head's top-k tokens for this thought (the probe). */
    top: { id: number; text: string; probability: number }[];
    /** The switch's probability that this thought is the last (when the model has a switch). */
    stop?: number;
    /** The hidden vector fed back (with `hiddenVectors`). */
    hidden?: Float32Array;
  }
  | { type: "token"; id: number; text: string }
  | { type: "tool_call"; name: string; input: string }
  | { type: "tool_result"; name: string; output: string }
  | { type: "turn_end"; reason: "eos" | "max_tokens" | "aborted" | "context" | "tool_error"; thoughts: number }
  | {
    type: "error";
    code: "context_overflow" | "tool_failed" | "tool_timeout" | "unknown_tool" | "closed";
    message: string;
  };

/** The token ids and text functions a session needs. */
export interface SessionVocabulary {
  /** Text to ids. */
  encode(text: string): number[];
  /** Ids to text. */
  decode(ids: number[]): string;
  /** `<|start-latent|>`, `<|end-latent|>`, `<|latent|>` and `<|endoftext|>`. */
  ids: { bot: number; eot: number; latent: number; eos: number };
}

/** Options of a {@link Session}. */
export interface SessionOptions {
  /** Thoughts per turn: a number, or `"auto"` (the learned switch; the default when the model has one). */
  thoughts?: number | "auto";
  /** Most thoughts per turn with the switch. Default 8. */
  maxThoughts?: number;
  /** Most tokens spoken per turn (tool results not counted). Default 128. */
  maxNewTokens?: number;
  /** Tokens of each thought's probe. Default 5. */
  topK?: number;
  /** Include each thought's hidden vector in its event. Default false. */
  hiddenVectors?: boolean;
  /** Tools by name. Without any, spoken `<<…=` is not a call: the model writes the result itself. */
  tools?: Tool[];
  /** The tool `<<input=` calls. Default: the first tool. */
  defaultTool?: string;
  /** Milliseconds a tool may take. Default 5000. */
  toolTimeoutMs?: number;
  /** After a failed, hung or unknown tool call: `"continue"` (feed `>>` and go on, the default) or `"end"` the turn. */
  onToolError?: "continue" | "end";
  /**
   * Threads for the LM head's product while speaking (Deno, copra's SIMD products): this one and `threads` − 1
   * helper workers, started at the first spoken token and kept until `dispose()`, the head packed once for the
   * session. The tokens are the same bit for bit. Default 1 (the head packed for each turn on this thread). Call
   * `dispose()`: Deno does not end a process while a worker runs.
   */
  threads?: number;
  /** Cancels everything: the running turn ends (`turn_end` "aborted") within one forward pass. */
  signal?: AbortSignal;
}

/**
 * A conversation with a model. `turn(text)` returns an async iterator of {@link SessionEvent}s; nothing is computed
 * ahead of what the consumer pulls. Call `dispose()` to free the cache.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2Config, initParams } from "@copra/model";
 * import { Session } from "@copra/infer";
 * const config = gpt2Config("nano", { vocab_size: 16, n_positions: 64 });
 * const vocabulary = {
 *   encode: (text: string) => [...text].map((c) => c.charCodeAt(0) % 12),
 *   decode: (ids: number[]) => ids.map((i) => String.fromCharCode(97 + i)).join(""),
 *   ids: { bot: 12, eot: 13, latent: 14, eos: 15 },
 * };
 * const session = new Session(initParams(config), config, vocabulary, { thoughts: 2, maxNewTokens: 3 });
 * const kinds: string[] = [];
 * for await (const event of session.turn("hi")) kinds.push(event.type);
 * assert.deepEqual(kinds.slice(0, 2), ["thought", "thought"]);
 * assert.equal(kinds.at(-1), "turn_end");
 * session.dispose();
 * ```
 */
export class Session {
  readonly #params: GPT2Params;
  readonly #config: GPT2Config;
  readonly #vocabulary: SessionVocabulary;
  readonly #options: SessionOptions;
  #cache: KVCache | undefined;
  /** Attention mask of every cached column (0 for the unused slots of a stopped turn). */
  #mask: number[] = [];
  /** The next position id. */
  #position = 0;
  #closed: string | null = null;
  /** With `threads` > 1: the head packed once for the session, with its helper threads (and once it is there). */
  #head: Promise<PackedWeight | null> | undefined;
  #packed: PackedWeight | null = null;
  #busy = false;

  /** A session over a model and its vocabulary. */
  constructor(params: GPT2Params, config: GPT2Config, vocabulary: SessionVocabulary, options: SessionOptions = {}) {
    const thoughts = options.thoughts ?? (hasSwitch(params) ? "auto" : 0);
    if (thoughts === "auto" && !hasSwitch(params)) {
      throw new InferError({
        source: "argument",
        field: "thoughts",
        value: "auto",
        problem: "needs a learned switch, and the parameters have none",
        hint: "give a number of thoughts",
      });
    }
    if (thoughts !== "auto" && !(Number.isInteger(thoughts) && thoughts >= 0)) {
      throw new InferError({
        source: "argument",
        field: "thoughts",
        value: thoughts,
        problem: 'must be an integer ≥ 0 or "auto"',
      });
    }
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
      throw new InferError({
        source: "argument",
        field: "threads",
        value: options.threads,
        problem: "must be a whole number ≥ 1",
      });
    }
    const names = (options.tools ?? []).map((t) => t.name);
    if (options.defaultTool !== undefined && !names.includes(options.defaultTool)) {
      throw new InferError({
        source: "argument",
        field: "defaultTool",
        value: options.defaultTool,
        problem: `is not one of the tools (${names.join(", ") || "none"})`,
      });
    }
    this.#params = params;
    this.#config = config;
    this.#vocabulary = vocabulary;
    this.#options = { ...options, thoughts };
  }

  /** Positions used so far (cached columns, unused thought slots included). */
  get length(): number {
    return this.#mask.length;
  }

  /**
   * Frees the cache; later turns yield an `error` ("closed").
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { gpt2Config, initParams } from "@copra/model/browser";
   * import { Session } from "@copra/infer/browser";
   * const config = gpt2Config("nano", { vocab_size: 8 });
   * const ids = { bot: 4, eot: 5, latent: 6, eos: 7 };
   * const session = new Session(initParams(config), config, { encode: () => [1], decode: () => "x", ids });
   * session.dispose();
   * const [event] = await Array.fromAsync(session.turn("hi"));
   * assert.equal(event.type, "error");
   * ```
   */
  dispose(): void {
    if (this.#cache) tf.dispose(this.#cache.flatMap((c) => [c.k, c.v]));
    this.#cache = undefined;
    this.#closed ??= "the session was disposed";
    // the packing now, or, still starting, when it is done (a failed one has nothing to free)
    if (this.#packed) this.#packed.dispose();
    else this.#head?.then((head) => head?.dispose(), () => {});
    this.#head = undefined;
    this.#packed = null;
  }

  /**
   * One turn: `text` goes into the cache, then the model thinks and speaks (calling tools) until `<eos>`, the
   * token limit, an abort or the end of the context. Turns run one at a time; each sees every earlier turn.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { gpt2Config, initParams } from "@copra/model/browser";
   * import { Session } from "@copra/infer/browser";
   * const config = gpt2Config("nano", { vocab_size: 8, n_positions: 64 });
   * const ids = { bot: 4, eot: 5, latent: 6, eos: 7 };
   * const vocabulary = { encode: (t: string) => [...t].map(() => 1), decode: (x: number[]) => x.join(" "), ids };
   * const session = new Session(initParams(config), config, vocabulary, { thoughts: 1, maxNewTokens: 2 });
   * const first = await Array.fromAsync(session.turn("hi"));
   * const second = await Array.fromAsync(session.turn("and?"));
   * assert.equal(first.at(-1)?.type, "turn_end");
   * assert.equal(second.at(-1)?.type, "turn_end");
   * session.dispose();
   * ```
   */
  async *turn(text: string, signal?: AbortSignal): AsyncGenerator<SessionEvent, void, void> {
    if (this.#closed) {
      yield { type: "error", code: "closed", message: `the session cannot take more input: ${this.#closed}` };
      return;
    }
    if (this.#busy) {
      throw new InferError({
        source: "argument",
        field: "turn",
        value: text,
        problem: "a turn is still running; finish or abandon its iterator first",
      });
    }
    this.#busy = true;
    try {
      yield* this.#turn(text, signal);
    } finally {
      this.#busy = false;
    }
  }

  async *#turn(text: string, turnSignal?: AbortSignal): AsyncGenerator<SessionEvent, void, void> {
    const o = this.#options, V = this.#config.vocab_size;
    const { bot, eot, latent, eos } = this.#vocabulary.ids;
    const aborted = () => o.signal?.aborted === true || turnSignal?.aborted === true;
    const auto = o.thoughts === "auto";
    const slots = auto ? (o.maxThoughts ?? 8) : o.thoughts as number;
    const question = this.#vocabulary.encode(text + "\n");
    const ids = [...question, ...(slots > 0 || auto ? [bot, ...new Array(slots).fill(latent), eot] : [])];
    if (this.#mask.length + ids.length > this.#config.n_positions) {
      yield* this.#overflow(ids.length, 0);
      return;
    }
    if (aborted()) {
      yield { type: "turn_end", reason: "aborted", thoughts: 0 };
      return;
    }

    // Input, thoughts and <eot>: the thought loop, continued from the conversation's cache.
    const P = this.#mask.length, first = question.length + 1;
    const embeds = tf.tidy(() => tokenEmbeddings(this.#params, tf.tensor2d([ids], [1, ids.length], "int32")));
    const mask = tf.tensor2d([[...this.#mask, ...ids.map(() => 1)]], [1, P + ids.length], "int32");
    const positions = tf.tensor2d([ids.map((_, i) => this.#position + i)], [1, ids.length], "int32");
    const loop = thoughtLoop(this.#params, this.#config, {
      embeds,
      attentionMask: mask,
      positionIds: positions,
      latentPositions: [Array.from({ length: slots }, (_, k) => first + k)],
      past: this.#cache,
    }, { logits: "last", release: true });
    this.#cache = undefined; // the loop owns it now
    let step = loop.next(), index = 0, stoppedAt = slots;
    /** Keeps what the loop computed: the cache, the mask (unused slots 0) and the next position. */
    const commit = (result: ThoughtLoopResult) => {
      tf.dispose([embeds, mask, positions, result.hidden]);
      this.#cache = result.cache;
      for (let k = 0; k < ids.length; k++) this.#mask.push(k >= first + stoppedAt && k < first + slots ? 0 : 1);
      this.#position += ids.length - (slots - stoppedAt);
      return result.logits;
    };
    try {
      while (!step.done) {
        const thought = step.value;
        const stop = auto ? await probability(switchLogits(this.#params, thought)) : undefined;
        const hidden = (await thought.data()) as Float32Array;
        yield {
          type: "thought",
          index,
          top: await this.#probe(hidden),
          ...(stop !== undefined ? { stop } : {}),
          ...(o.hiddenVectors ? { hidden: hidden.slice() } : {}),
        };
        // Stop here (the switch, or an abort): the loop then runs <eot> as its final pass, at once.
        const ending = index < slots - 1 && (aborted() || (stop !== undefined && stop > 0.5));
        if (ending) stoppedAt = index + 1;
        index++;
        step = loop.next(ending ? [0] : []);
      }
    } finally {
      // Abandoned mid-thought (the consumer returned the iterator): end the thinking so the cache stays whole.
      if (!step.done) {
        stoppedAt = index + 1;
        const rest = loop.next([0]);
        if (rest.done) commit(rest.value).dispose();
      }
    }
    let logits: tf.Tensor = commit(step.value);
    if (aborted()) {
      logits.dispose();
      yield { type: "turn_end", reason: "aborted", thoughts: stoppedAt };
      return;
    }

    // Speaking, with tool calls. The tied head's wte is packed once for the turn, or with helper threads once for
    // the session (copra's SIMD products only).
    const wte = this.#params["wte.weight"] as Tensor2D, threads = this.#options.threads ?? 1;
    if (threads > 1) this.#packed ??= await (this.#head ??= packTransposedThreads(wte, threads));
    const head = (threads > 1 ? this.#packed : packTransposed(wte)) ?? undefined;
    try {
      let spoken = "", sinceCall = "", count = 0;
      const feed = (tokens: number[]) => {
        const input = {
          ids: tf.tensor2d([tokens], [1, tokens.length], "int32"),
          attentionMask: tf.tensor2d(
            [[...this.#mask, ...tokens.map(() => 1)]],
            [1, this.#mask.length + tokens.length],
            "int32",
          ),
          positionIds: tf.tensor2d([tokens.map((_, i) => this.#position + i)], [1, tokens.length], "int32"),
        };
        const out = gpt2Forward(this.#params, this.#config, {
          ...input,
          cache: this.#cache,
          logits: "last",
          head,
        });
        tf.dispose([out.hidden, input.ids, input.attentionMask, input.positionIds]);
        tf.dispose((this.#cache ?? []).flatMap((c) => [c.k, c.v]));
        this.#cache = out.cache;
        for (const _ of tokens) this.#mask.push(1);
        this.#position += tokens.length;
        return out.logits!;
      };
      while (true) {
        const argmax = tf.tidy(() => tf.argMax(tf.reshape(logits, [V])));
        const id = (await argmax.data())[0];
        tf.dispose([argmax, logits]);
        if (id === eos) {
          yield { type: "turn_end", reason: "eos", thoughts: stoppedAt };
          return;
        }
        const piece = this.#vocabulary.decode([id]);
        yield { type: "token", id, text: piece };
        count++;
        spoken += piece;
        sinceCall += piece;
        if (this.#mask.length + 1 > this.#config.n_positions) {
          yield* this.#overflow(1, stoppedAt);
          return;
        }
        if (aborted()) {
          yield { type: "turn_end", reason: "aborted", thoughts: stoppedAt };
          return;
        }
        const call = (o.tools ?? []).length > 0 ? parseCall(sinceCall) : null; // no tools: the model writes results itself
        let tokens = [id];
        if (call) {
          sinceCall = "";
          const result = yield* this.#call(call, turnSignal);
          if (result === null && o.onToolError === "end") {
            // The spoken call stays in the cache; the turn ends cleanly before anything else is fed.
            logits = feed(tokens);
            logits.dispose();
            yield { type: "turn_end", reason: "tool_error", thoughts: stoppedAt };
            return;
          }
          const back = this.#vocabulary.encode(`${result ?? ""}>>`);
          if (this.#mask.length + 1 + back.length > this.#config.n_positions) {
            yield* this.#overflow(1 + back.length, stoppedAt);
            return;
          }
          tokens = [id, ...back];
        }
        if (count >= (o.maxNewTokens ?? 128)) {
          feed(tokens).dispose();
          yield { type: "turn_end", reason: "max_tokens", thoughts: stoppedAt };
          return;
        }
        logits = feed(tokens);
      }
    } finally {
      if (threads <= 1) head?.dispose();
    }
  }

  /** Runs a tool call, yielding its events; the output, or null when it failed. */
  async *#call(
    call: { name: string | null; input: string },
    turnSignal?: AbortSignal,
  ): AsyncGenerator<SessionEvent, string | null, void> {
    const tools = this.#options.tools ?? [];
    const name = call.name ?? this.#options.defaultTool ?? tools[0]?.name ?? "";
    yield { type: "tool_call", name, input: call.input };
    const tool = tools.find((t) => t.name === name);
    if (!tool) {
      yield {
        type: "error",
        code: "unknown_tool",
        message: `no tool named "${name}" in this session (${tools.map((t) => t.name).join(", ") || "none"})`,
      };
      return null;
    }
    const timeout = this.#options.toolTimeoutMs ?? 5000;
    const controller = new AbortController();
    const stopper = () => controller.abort();
    this.#options.signal?.addEventListener("abort", stopper);
    turnSignal?.addEventListener("abort", stopper);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const output = await Promise.race([
        tool.run(call.input, controller.signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new ToolTimeout(`tool "${name}" took longer than ${timeout} ms`));
          }, timeout);
        }),
      ]);
      yield { type: "tool_result", name, output };
      return output;
    } catch (error) {
      const code = error instanceof ToolTimeout ? "tool_timeout" : "tool_failed";
      yield {
        type: "error",
        code,
        message: error instanceof ToolTimeout
          ? error.message
          : `tool "${name}" failed: ${(error as Error)?.message ?? String(error)}`,
      };
      return null;
    } finally {
      clearTimeout(timer);
      this.#options.signal?.removeEventListener("abort", stopper);
      turnSignal?.removeEventListener("abort", stopper);
    }
  }

  /** The context is full: an error, the end of the turn, and no more input. */
  async *#overflow(needed: number, thoughts: number): AsyncGenerator<SessionEvent, void, void> {
    this.#closed = `the context is full (${this.#mask.length} of ${this.#config.n_positions} positions used)`;
    yield {
      type: "error",
      code: "context_overflow",
      message:
        `${needed} more positions do not fit: ${this.#mask.length} of the model's ${this.#config.n_positions} are used; start a new session`,
    };
    yield { type: "turn_end", reason: "context", thoughts };
  }

  /** The LM head's top-k tokens of a hidden state. */
  async #probe(hidden: Float32Array): Promise<{ id: number; text: string; probability: number }[]> {
    const k = this.#options.topK ?? 5;
    if (k <= 0) return [];
    const top = await probeThought(this.#params, hidden, k);
    return top.map((t) => ({ ...t, text: this.#vocabulary.decode([t.id]) }));
  }
}

class ToolTimeout extends Error {}

/** σ of a (1,1) logit, read asynchronously; disposes it. */
async function probability(logit: tf.Tensor): Promise<number> {
  const z = (await logit.data())[0];
  logit.dispose();
  return 1 / (1 + Math.exp(-z));
}

/**
 * A complete tool call at the end of spoken text: `<<input=` or `<<name:input=` after the last `>>`, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCall } from "@copra/infer";
 * assert.deepEqual(parseCall("so <<48/2="), { name: null, input: "48/2" });
 * assert.deepEqual(parseCall("<<weather:Paris="), { name: "weather", input: "Paris" });
 * assert.equal(parseCall("<<48/2"), null);
 * ```
 */
export function parseCall(spoken: string): { name: string | null; input: string } | null {
  const match = spoken.match(/<<(?:([A-Za-z_][\w-]*):)?([^<>=]*)=$/);
  if (!match) return null;
  return { name: match[1] ?? null, input: match[2].trim() };
}
