/**
 * Questions on the page: which task a question's text is (symbolic graph, ProsQA, arithmetic, other), its graph when
 * it has one (node labels, edges, root, options — the form the graph view draws), and a fresh seeded question of a
 * task for the "New question" button.
 *
 * @module
 */

import {
  generateArithmetic,
  generateProsQA,
  generateSymbolic,
  parseProsQAQuestion,
  parseSymbolicQuestion,
} from "@copra/data/browser";
import { PAYOFF } from "@copra/train/browser";

/** The tasks the page knows. */
export type Task = "symbolic" | "prosqa" | "arithmetic" | "text";

/** A question's graph: nodes are indices into `labels`. */
export interface QuestionGraph {
  /** Each node's label, as the model writes it (`"7"`, `"wumpus"`). */
  labels: string[];
  /** Directed edges [from, to]. */
  edges: [number, number][];
  /** The queried node. */
  root: number;
  /** The answer options. */
  options: number[];
}

/** The task of a question's text and its graph (null when it has none). */
export function readQuestion(text: string): { task: Task; graph: QuestionGraph | null } {
  const symbolic = parseSymbolicQuestion(text);
  if (symbolic) {
    const ids = [...new Set([symbolic.root, ...symbolic.edges.flat(), ...symbolic.options])].sort((a, b) => a - b);
    const at = new Map(ids.map((id, i) => [id, i]));
    return {
      task: "symbolic",
      graph: {
        labels: ids.map(String),
        edges: symbolic.edges.map(([a, b]) => [at.get(a)!, at.get(b)!]),
        root: at.get(symbolic.root)!,
        options: symbolic.options.map((o) => at.get(o)!),
      },
    };
  }
  if (/\bIs \S+ an? \S+ or \S+?\?/.test(text)) {
    try {
      const g = parseProsQAQuestion(text);
      return {
        task: "prosqa",
        graph: { labels: g.names, edges: g.edges, root: g.root, options: g.options.map((o) => g.names.indexOf(o)) },
      };
    } catch {
      return { task: "text", graph: null };
    }
  }
  if (/\d\s*[-+*/×÷]\s*\d|\bhow many\b/i.test(text)) return { task: "arithmetic", graph: null };
  return { task: "text", graph: null };
}

/** A new question of `task` (seeded), with its answer. */
export function newQuestion(task: Task, seed: number): { question: string; answer: string } {
  if (task === "prosqa") {
    const [item] = generateProsQA({ n: 1, seed, minHops: 3, maxHops: 4 });
    return { question: item.question, answer: item.answer };
  }
  if (task === "arithmetic") {
    const [item] = generateArithmetic({ n: 1, seed });
    return { question: item.question, answer: item.answer };
  }
  const [item] = generateSymbolic({ n: 1, seed, nodes: PAYOFF.task.nodes, hops: PAYOFF.task.hops });
  return { question: item.question, answer: item.answer };
}

/** The node a probe token names: its text without spaces and a final period, matched against the labels. */
export function nodeOfToken(graph: QuestionGraph, text: string): number | null {
  const word = text.trim().replace(/\.$/, "");
  const i = graph.labels.indexOf(word);
  return i >= 0 ? i : null;
}
