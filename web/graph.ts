/// <reference lib="dom" />
/**
 * The graph view: a question's graph (symbolic or ProsQA) as SVG, laid out in columns by distance from the root,
 * with what the root cannot reach in a band below; each node filled by one thought's probability mass on it, the
 * nodes at the thought's frontier ringed.
 *
 * @module
 */

import { distancesFrom } from "@copra/train/browser";
import type { QuestionGraph } from "./question.ts";

const SVG = "http://www.w3.org/2000/svg";

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Draws `question`'s graph into `host`, painted with `mass` (node → probability), ringing the nodes at `ring`. */
export function drawGraph(
  host: HTMLElement,
  question: QuestionGraph,
  mass: Map<number, number>,
  ring: number | null,
  caption: string,
): void {
  const dist = distancesFrom(question.root, question.edges);
  const nodes = question.labels.map((_, i) => i);
  // Two bands: what the root reaches (column = hops from the root), and below it the rest, each column its
  // distance from a node of the rest that nothing points to (the negative option's own chain).
  const rest = nodes.filter((n) => !dist.has(n));
  const restEdges = question.edges.filter(([a, b]) => !dist.has(a) && !dist.has(b));
  const sources = rest.filter((n) => !restEdges.some(([, b]) => b === n));
  const restDist = new Map<number, number>();
  for (const s of sources) {
    for (const [n, k] of distancesFrom(s, restEdges)) restDist.set(n, Math.max(restDist.get(n) ?? 0, k));
  }
  const place = (n: number): [number, number] => dist.has(n) ? [0, dist.get(n)!] : [1, restDist.get(n) ?? 0];
  const deepest = Math.max(...dist.values());
  const columns = Math.max(deepest, ...restDist.values(), 0) + 1;
  const cells = new Map<string, number[]>();
  for (const n of nodes) {
    const key = place(n).join(",");
    cells.set(key, [...(cells.get(key) ?? []), n]);
  }
  const rowsIn = (band: number) =>
    Math.max(0, ...[...cells].filter(([k]) => k.startsWith(`${band},`)).map(([, list]) => list.length));
  const rows0 = rowsIn(0), rows1 = rowsIn(1);
  const rowH = 56, top = 40, gap = rows1 > 0 ? 34 : 0;
  // Short labels (numbers) sit in circles; words in pills as wide as they are.
  const half = (n: number) => Math.max(17, question.labels[n].length * 4.6 + 10);
  const widest = Math.max(...nodes.map(half));
  const colW = Math.max(84, 2 * widest + 30);
  const W = Math.max(320, (columns - 1) * colW + 2 * widest + 16), H = top + (rows0 + rows1) * rowH + gap + 30;
  const colX = (c: number) => widest + 8 + c * ((W - 2 * widest - 16) / Math.max(columns - 1, 1));
  const pos = new Map<number, [number, number]>();
  for (const [key, list] of cells) {
    const [band, c] = key.split(",").map(Number);
    const y0 = band === 0 ? top : top + rows0 * rowH + gap;
    const h = (band === 0 ? rows0 : rows1) * rowH;
    list.forEach((n, k) => pos.set(n, [colX(c), y0 + (k + 0.5) * (h / list.length)]));
  }
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": caption, class: "graph" });
  svg.style.maxWidth = `${Math.round(W * 1.25)}px`;
  const defs = el("defs", {});
  const marker = el("marker", {
    id: "arrow",
    viewBox: "0 0 8 8",
    refX: 8,
    refY: 4,
    markerWidth: 7,
    markerHeight: 7,
    orient: "auto",
  });
  marker.append(el("path", { d: "M0,0 L8,4 L0,8 z", class: "arrowhead" }));
  defs.append(marker);
  svg.append(defs, el("text", { x: 12, y: 22, class: "caption" }, caption));
  for (let c = 0; c <= deepest; c++) {
    svg.append(
      el("text", { x: colX(c), y: H - 8, class: "axis", "text-anchor": "middle" }, c === 0 ? "root" : `hop ${c}`),
    );
  }
  if (rows1 > 0) {
    svg.append(el("text", { x: 12, y: top + rows0 * rowH + gap - 8, class: "axis" }, "not reachable from the root"));
  }
  for (const [a, b] of question.edges) {
    const [x1, y1] = pos.get(a)!, [x2, y2] = pos.get(b)!;
    if (Math.abs(x2 - x1) < 1) {
      // Within a column: an arc out to the right, from the right side of one shape to the right side of the other.
      const sx = x1 + half(a), ex = x2 + half(b) + 2, bulge = Math.max(sx, ex) + 26 + Math.abs(y2 - y1) * 0.15;
      svg.append(el("path", {
        d: `M${sx},${y1} Q${bulge},${(y1 + y2) / 2} ${ex},${y2}`,
        class: "edge",
        fill: "none",
        "marker-end": "url(#arrow)",
      }));
      continue;
    }
    const len = Math.hypot(x2 - x1, y2 - y1) || 1;
    // Leave each shape at its border: the nearer of its sides (half-width w) and its top or bottom (half-height 17).
    const ux = Math.abs(x2 - x1) / len, uy = Math.abs(y2 - y1) / len;
    const out = (n: number) => Math.min(ux > 1e-6 ? half(n) / ux : Infinity, uy > 1e-6 ? 17 / uy : Infinity) + 2;
    const ca = out(a) / len, cb = out(b) / len;
    svg.append(el("line", {
      x1: x1 + (x2 - x1) * ca,
      y1: y1 + (y2 - y1) * ca,
      x2: x2 - (x2 - x1) * cb,
      y2: y2 - (y2 - y1) * cb,
      class: "edge",
      "marker-end": "url(#arrow)",
    }));
  }
  for (const n of nodes) {
    const [x, y] = pos.get(n)!;
    const p = mass.get(n) ?? 0;
    const label = question.labels[n];
    const g = el("g", { class: "node", "data-node": label, "data-mass": p.toFixed(4) });
    const tags = [n === question.root ? "root" : "", question.options.includes(n) ? "option" : ""].filter(Boolean);
    const w = half(n);
    const shape = (extra: number, attrs: Record<string, string | number>) =>
      el("rect", {
        x: x - w - extra,
        y: y - 17 - extra,
        width: 2 * (w + extra),
        height: 34 + 2 * extra,
        rx: 17 + extra,
        ...attrs,
      });
    g.append(
      shape(0, { class: "disc" }),
      shape(0, { class: "fill", "fill-opacity": Math.min(1, p).toFixed(3) }),
      shape(3, { class: ring !== null && dist.get(n) === ring ? "ring" : "no-ring" }),
      el("text", { x, y: y + 5, "text-anchor": "middle", class: p > 0.5 ? "label on" : "label" }, label),
      el("title", {}, `${label}${tags.length ? ` (${tags.join(", ")})` : ""}: ${(p * 100).toFixed(1)}%`),
    );
    if (tags.length > 0) {
      g.append(el("text", { x, y: y - 23, "text-anchor": "middle", class: "tag" }, tags.join(" · ")));
    }
    svg.append(g);
  }
  host.replaceChildren(svg);
}
