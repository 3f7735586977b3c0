/**
 * A ProntoQA-style generator (5-hop, fictional ontology), in the format of the Coconut preprocessing.
 *
 * A person belongs to the first concept of a chain of `hops` concepts linked by "is a" rules; the last
 * concept has a property (an adjective, or its negation) and the question asks whether the person has it, or
 * has it not. Side branches, a second membership of the person and a distractor with the opposite property
 * fill the context to `sentences` shuffled sentences. The steps walk the chain — "Alex is a tumpus. Tumpuses
 * are gorpuses." … — and end with the derived fact; the answer is "True" or "False".
 *
 * @module
 */

import { Rng } from "@copra/random/browser";
import { DataError } from "./errors.ts";
import type { CoconutItem } from "./format.ts";
import { checkCount } from "./prosqa.ts";

/**
 * Person names of the released ProntoQA file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRONTOQA_PERSONS } from "@copra/data";
 * assert.ok(PRONTOQA_PERSONS.includes("Alex"));
 * ```
 */
export const PRONTOQA_PERSONS: readonly string[] = [
  "Alex",
  "Fae",
  "Max",
  "Polly",
  "Rex",
  "Sally",
  "Sam",
  "Stella",
  "Wren",
];

/**
 * Concept names of the released ProntoQA file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRONTOQA_CONCEPTS } from "@copra/data";
 * assert.equal(PRONTOQA_CONCEPTS.length, 17);
 * ```
 */
export const PRONTOQA_CONCEPTS: readonly string[] = (
  "brimpus dumpus gorpus grimpus impus jompus lempus lorpus numpus rompus shumpus sterpus tumpus vumpus " +
  "wumpus yumpus zumpus"
).split(" ");

/**
 * Adjectives of the released ProntoQA file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRONTOQA_ADJECTIVES } from "@copra/data";
 * assert.equal(PRONTOQA_ADJECTIVES.length, 45);
 * ```
 */
export const PRONTOQA_ADJECTIVES: readonly string[] = (
  "aggressive amenable angry bitter blue bright brown cold discordant dull earthy fast feisty floral fruity " +
  "happy hot kind large liquid loud luminous mean melodic metallic moderate muffled nervous opaque orange " +
  "overcast rainy red shy slow small snowy sour spicy sunny sweet temperate transparent windy wooden"
).split(" ");

/** Options of {@link generateProntoQA}. */
export interface ProntoQAOptions {
  /** Number of items. */
  n: number;
  /** Seed; the same seed and options give the same items. */
  seed: number;
  /** Length of the concept chain (reasoning hops). Default 5 (the released files). */
  hops?: number;
  /** Sentences in each question. Default 25. */
  sentences?: number;
}

type Form = "every" | "each" | "plural";

/**
 * Generates ProntoQA-style items with their graph keys (`idx_to_symbol, edges, root, target, neg_target,
 * chain_concepts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateProntoQA } from "@copra/data";
 * const [item] = generateProntoQA({ n: 1, seed: 1 });
 * assert.match(item.question, /True or false: \S+ is (not )?\S+\.$/);
 * assert.equal(item.steps.length, 6);
 * assert.ok(item.answer === "True" || item.answer === "False");
 * ```
 */
export function generateProntoQA(options: ProntoQAOptions): CoconutItem[] {
  checkCount("n", options.n, 0);
  const hops = options.hops ?? 5, total = options.sentences ?? 25;
  if (!Number.isInteger(hops) || hops < 1 || hops > 10) {
    throw new DataError("argument", null, "hops", "must be 1 to 10", hops);
  }
  const required = hops - 1 + hops + 3; // chain rules, chain properties, 2 memberships, the distractor
  const most = required + 2 * (PRONTOQA_CONCEPTS.length - hops - 2); // every other concept as a side branch
  if (!Number.isInteger(total) || total < required || total > most) {
    throw new DataError("argument", null, "sentences", `must be ${required} to ${most} for ${hops} hops`, total);
  }
  const rng = new Rng(options.seed);
  return Array.from({ length: options.n }, () => makeItem(rng, hops, total));
}

function makeItem(rng: Rng, hops: number, total: number): CoconutItem {
  const person = PRONTOQA_PERSONS[rng.int(PRONTOQA_PERSONS.length)];
  const concepts = rng.shuffle([...PRONTOQA_CONCEPTS]);
  const adjectives = rng.shuffle([...PRONTOQA_ADJECTIVES]);
  const chain = concepts.splice(0, hops);
  const names = [person, ...chain];
  const node = (name: string) => {
    let i = names.indexOf(name);
    if (i === -1) i = names.push(name) - 1;
    return i;
  };
  const edges: [number, number][] = [];
  const plural = (c: string) => c + "es";
  const capital = (s: string) => s[0].toUpperCase() + s.slice(1);
  // Released files: half the rules and properties in the plural form, a quarter each with "Every" and "Each".
  const form = (): Form => (["plural", "plural", "every", "each"] as const)[rng.int(4)];
  const isA = (x: string, y: string, f = form()) =>
    f === "plural" ? `${capital(plural(x))} are ${plural(y)}.` : `${f === "every" ? "Every" : "Each"} ${x} is a ${y}.`;
  const has = (x: string, adjective: string, positive: boolean, f = form()) => {
    const not = positive ? "" : "not ";
    return f === "plural"
      ? `${capital(plural(x))} are ${not}${adjective}.`
      : `${f === "every" ? "Every" : "Each"} ${x} is ${not}${adjective}.`;
  };

  // Required: the chain's rules and properties, the person's two memberships, the opposite distractor.
  const queried = adjectives.pop()!;
  const positive = rng.next() < 0.6; // released files: about two in three property sentences are positive
  const chainRules = chain.slice(0, -1).map((c, i) => {
    edges.push([node(c), node(chain[i + 1])]);
    return isA(c, chain[i + 1]);
  });
  const chainProps = chain.map((c, i) =>
    i === hops - 1 ? has(c, queried, positive) : has(c, adjectives.pop()!, rng.next() < 0.66)
  );
  const second = concepts.pop()!, distractor = concepts.pop()!;
  node(second);
  node(distractor);
  const required = [
    ...chainRules,
    ...chainProps,
    `${person} is a ${chain[0]}.`,
    `${person} is a ${second}.`,
    has(distractor, queried, !positive),
  ];
  // Optional, in order of preference: side branches of chain concepts (rule, then property), then a rule and
  // a property for the person's second concept. They fill the context up to `total` sentences.
  const optional: { rule: string; property: string; edge: [string, string] }[] = [];
  const parents = [...rng.shuffle([...chain]), second, ...rng.shuffle([...chain])];
  for (const c of parents) {
    const side = concepts.pop();
    if (side === undefined) break;
    optional.push({ rule: isA(c, side), property: has(side, adjectives.pop()!, rng.next() < 0.66), edge: [c, side] });
  }
  const extra: string[] = [];
  for (const group of optional) {
    if (required.length + extra.length >= total) break;
    extra.push(group.rule);
    edges.push([node(group.edge[0]), node(group.edge[1])]);
    if (required.length + extra.length < total) extra.push(group.property);
  }
  const sentences = rng.shuffle([...required, ...extra]);

  const askNot = rng.next() < 0.5;
  const steps = chain.map((c, i) => `${person} is a ${c}. ${i < hops - 1 ? chainRules[i] : chainProps[i]}`);
  steps.push(`${person} is ${positive ? "" : "not "}${queried}.`);
  return {
    question: `${sentences.join(" ")} True or false: ${person} is ${askNot ? "not " : ""}${queried}.`,
    steps,
    answer: positive !== askNot ? "True" : "False",
    idx_to_symbol: names,
    edges,
    root: 0,
    target: hops,
    neg_target: names.indexOf(distractor),
    chain_concepts: chain,
  };
}
