/**
 * The superposition picture (Zhu et al. 2025): what each continuous thought holds on a graph task. Each thought is
 * decoded through the LM head (the probe), and its probability mass is split over the graph's nodes by their
 * distance from the root: with c thoughts per step, thought k stands in for step ⌊k/c⌋, whose node lies at distance
 * h = ⌊k/c⌋ + 1 — the nodes at distance h are its frontier; nodes farther away are reachable later, nodes closer
 * were reached before, and nodes the root cannot reach are unreachable. What no node's token takes is "other".
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { buildPrompt, type CurriculumConfig, type SpecialIds, type TokenizedRecord } from "@copra/curriculum/browser";
import type { CoconutItem } from "@copra/data/browser";
import { generate } from "@copra/infer/browser";
import type { GPT2Config, GPT2Params } from "@copra/model/browser";
import type { Tokenizer } from "@copra/tokenizer/browser";
import { RunError } from "./errors.ts";

/** Where a thought's probe mass goes, as shares (they sum to 1). */
export interface ThoughtMass {
  /** Nodes at distance ⌊k/c⌋+1 from the root, for thought k (c thoughts per step). */
  frontier: number;
  /** Reachable nodes farther than that. */
  later: number;
  /** Nodes closer (the root included). */
  earlier: number;
  /** Nodes the root cannot reach. */
  unreachable: number;
  /** Tokens that are no node of the graph. */
  other: number;
}

/** The mass of one thought index, averaged over the items that have it. */
export interface ThoughtProfile extends ThoughtMass {
  /** Thought index (0 = the first thought). */
  index: number;
  /** Items averaged. */
  items: number;
}

/** One item's thoughts: for each thought, each node's probe probability (the picture painted on its graph). */
export interface ItemThoughts {
  /** Index of the item. */
  item: number;
  /** `nodes[k]`: node id → probe probability at thought k. */
  nodes: Map<number, number>[];
  /** The shares of each thought. */
  mass: ThoughtMass[];
}

/** Options of {@link superposition}. */
export interface SuperpositionOptions {
  /** Thoughts per item: a number, or `"hops"` (each item's step count × c, the default). */
  thoughts?: number | "hops";
  /** Prompts per batch. Default 32. */
  batchSize?: number;
}

/**
 * Splits a thought's probe mass on the graph's nodes (node → probability, each token counted once) by the nodes'
 * distance from the root against `hop`, the distance the thought stands for; what is on no node is `other`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitMass } from "@copra/train";
 * const distance = new Map([[0, 0], [1, 1], [2, 2]]); // node 3: unreachable
 * assert.deepEqual(splitMass(new Map([[1, 0.5], [2, 0.25], [0, 0.125], [3, 0.0625]]), distance, 1), {
 *   frontier: 0.5, later: 0.25, earlier: 0.125, unreachable: 0.0625, other: 0.0625,
 * });
 * ```
 */
export function splitMass(
  probe: ReadonlyMap<number, number>,
  distance: ReadonlyMap<number, number>,
  hop: number,
): ThoughtMass {
  const mass: ThoughtMass = { frontier: 0, later: 0, earlier: 0, unreachable: 0, other: 0 };
  for (const [node, p] of probe) {
    const d = distance.get(node);
    mass[d === undefined ? "unreachable" : d === hop ? "frontier" : d > hop ? "later" : "earlier"] += p;
  }
  mass.other = Math.max(0, 1 - mass.frontier - mass.later - mass.earlier - mass.unreachable);
  return mass;
}

/**
 * Distances from `root` along directed `edges` (breadth-first); unreachable nodes are absent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { distancesFrom } from "@copra/train";
 * assert.deepEqual([...distancesFrom(0, [[0, 1], [1, 2], [3, 2]])], [[0, 0], [1, 1], [2, 2]]);
 * ```
 */
export function distancesFrom(root: number, edges: readonly (readonly [number, number])[]): Map<number, number> {
  const distance = new Map([[root, 0]]);
  let layer = [root];
  while (layer.length > 0) {
    const next: number[] = [];
    for (const [from, to] of edges) {
      if (layer.includes(from) && !distance.has(to)) {
        distance.set(to, distance.get(from)! + 1);
        next.push(to);
      }
    }
    layer = next;
  }
  return distance;
}

/**
 * Probes every thought of a Coconut model on graph items (items with `edges` and `root` as node ids, e.g. the
 * symbolic task) and returns the mean split of each thought's probe mass ({@link ThoughtProfile}) and each item's
 * per-node picture. A node's token is the first token of its step text (`"<id>\n"`), as the curriculum learns it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig, specialIds, tokenizeRecord } from "@copra/curriculum";
 * import { generateSymbolic } from "@copra/data";
 * import { disposeParams, initParams, useBackend } from "@copra/model";
 * import { buildTokenizer, modelConfigFor, superposition } from "@copra/train";
 * await useBackend("cpu");
 * const items = generateSymbolic({ n: 3, seed: 1, nodes: [10, 10], hops: [3, 3] });
 * const curriculum = curriculumConfig({ method: "coconut" });
 * const tok = buildTokenizer(items, [], { addPrefixSpace: true }); // a step's node is the question's token
 * const config = modelConfigFor("nano", tok, items, curriculum, { n_layer: 1, n_embd: 24, n_head: 2 });
 * const params = initParams(config);
 * const records = items.map((it) => tokenizeRecord(tok, it));
 * const { profile } = await superposition(params, config, records, items, curriculum, specialIds(tok), tok);
 * assert.equal(profile.length, 3); // three thoughts for three hops
 * const m = profile[0];
 * assert.ok(Math.abs(m.frontier + m.later + m.earlier + m.unreachable + m.other - 1) < 1e-4);
 * disposeParams(params);
 * ```
 */
export async function superposition(
  params: GPT2Params,
  config: GPT2Config,
  records: readonly TokenizedRecord[],
  items: readonly CoconutItem[],
  curriculum: CurriculumConfig,
  ids: SpecialIds,
  tokenizer: Tokenizer,
  options: SuperpositionOptions = {},
): Promise<{ profile: ThoughtProfile[]; items: ItemThoughts[] }> {
  const graphs = items.slice(0, records.length).map((item, i) => {
    const edges = item.edges, root = item.root;
    if (!Array.isArray(edges) || typeof root !== "number") {
      throw new RunError(
        "superposition",
        `item ${i}: edges/root`,
        "are missing: the picture needs graph items whose edges and root are node ids",
        undefined,
        "use symbolic items (copra data generate symbolic, data convert --to symbolic)",
      );
    }
    const nodes = [...new Set(edges.flat())];
    const distance = distancesFrom(root, edges);
    const token = new Map(nodes.map((v) => [v, tokenizer.encode(`${v}\n`)[0]]));
    for (const [v, t] of token) {
      if (tokenizer.decode([t]).trim() !== String(v)) {
        throw new RunError(
          "superposition",
          `item ${i}: node ${v}`,
          `has no token of its own as a step (it encodes to ${JSON.stringify(tokenizer.decode([t]))})`,
          undefined,
          "build the vocabulary with a space before each line (copra train --prefix-space), so a step's node is " +
            "the token the question uses",
        );
      }
    }
    return { nodes, distance, token };
  });
  const thoughtsOf = (i: number) =>
    options.thoughts === undefined || options.thoughts === "hops"
      ? records[i].steps.length * curriculum.thoughtsPerStep
      : options.thoughts;
  const groups = new Map<number, number[]>();
  for (let i = 0; i < records.length; i++) groups.set(thoughtsOf(i), [...(groups.get(thoughtsOf(i)) ?? []), i]);
  const perItem: ItemThoughts[] = records.map((_, item) => ({ item, nodes: [], mass: [] }));
  const c = curriculum.thoughtsPerStep;
  const batchSize = options.batchSize ?? 32;
  for (const [k, members] of groups) {
    for (let b = 0; b < members.length; b += batchSize) {
      const batch = members.slice(b, b + batchSize);
      const prompts = batch.map((i) => buildPrompt(records[i], curriculum, ids, k));
      await generate(params, config, prompts, {
        eosId: ids.eos,
        maxNewTokens: 1,
        onThought: async (t) => {
          const probs = tf.tidy(() =>
            tf.softmax(tf.matMul(tf.tensor2d(t.hidden, [1, t.hidden.length]), params["wte.weight"], false, true))
          );
          const p = await probs.data();
          probs.dispose();
          const i = batch[t.row], g = graphs[i];
          const byNode = new Map<number, number>();
          const once = new Map<number, number>(); // two nodes sharing a token count it once
          const counted = new Set<number>();
          for (const v of g.nodes) {
            const token = g.token.get(v)!;
            byNode.set(v, p[token]);
            if (counted.has(token)) continue;
            counted.add(token);
            once.set(v, p[token]);
          }
          perItem[i].nodes.push(byNode);
          perItem[i].mass.push(splitMass(once, g.distance, Math.floor(t.index / c) + 1)); // thought k ↔ step ⌊k/c⌋
        },
      });
    }
  }
  const longest = Math.max(0, ...perItem.map((it) => it.mass.length));
  const profile: ThoughtProfile[] = Array.from({ length: longest }, (_, index) => {
    const having = perItem.filter((it) => it.mass.length > index);
    const mean = (key: keyof ThoughtMass) => having.reduce((s, it) => s + it.mass[index][key], 0) / having.length;
    return {
      index,
      items: having.length,
      frontier: mean("frontier"),
      later: mean("later"),
      earlier: mean("earlier"),
      unreachable: mean("unreachable"),
      other: mean("other"),
    };
  });
  return { profile, items: perItem };
}
