/**
 * Small, dependency-free SVG charts for the results page: a line chart (one line per series, optional vertical
 * markers) and a labelled scatter plot. Pure functions from data to an SVG string.
 *
 * @module
 */

/** One line of a {@link lineChart}. */
export interface Series {
  /** Legend label. */
  name: string;
  /** Points (x, y), drawn in the given order. */
  points: [number, number][];
}

/** Options shared by the charts. */
export interface ChartOptions {
  /** Title above the plot. */
  title: string;
  /** Label of the x axis. */
  xLabel: string;
  /** Label of the y axis. */
  yLabel: string;
  /** y range; default: the data's, padded. */
  yRange?: [number, number];
  /** x range; default: the data's. */
  xRange?: [number, number];
  /** Vertical dashed lines with a label (e.g. where a curriculum stage starts). */
  markers?: { x: number; label: string }[];
  /** Width and height in pixels. Default 720 × 400. */
  size?: [number, number];
}

/** Colours for up to ten series (then they repeat). */
const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** Escapes text for SVG. */
function esc(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** Rounds a coordinate for compact output. */
const r = (x: number): string => (Math.round(x * 10) / 10).toString();

/** About five round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number((Math.round(v / step) * step).toPrecision(12)));
  }
  return out;
}

interface Frame {
  svg: string[];
  x: (v: number) => number;
  y: (v: number) => number;
}

/** Axes, ticks, labels and title; returns the open SVG parts and the data → pixel maps. */
function frame(options: ChartOptions, xs: number[], ys: number[]): Frame {
  const [W, H] = options.size ?? [720, 400];
  const left = 60, right = 170, top = 36, bottom = 48;
  let [x0, x1] = options.xRange ?? [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = options.yRange ?? [Math.min(...ys), Math.max(...ys)];
  if (!(x1 > x0)) [x0, x1] = [x0 - 1, x0 + 1];
  if (!(y1 > y0)) [y0, y1] = [y0 - 1, y0 + 1];
  const x = (v: number) => left + ((v - x0) / (x1 - x0)) * (W - left - right);
  const y = (v: number) => H - bottom - ((v - y0) / (y1 - y0)) * (H - top - bottom);
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(options.title)}</text>`,
    `<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${H - bottom}" stroke="black"/>`,
  ];
  for (const t of ticks(x0, x1)) {
    svg.push(
      `<text x="${r(x(t))}" y="${H - bottom + 16}" text-anchor="middle">${t}</text>`,
      `<line x1="${r(x(t))}" y1="${H - bottom}" x2="${r(x(t))}" y2="${H - bottom + 4}" stroke="black"/>`,
    );
  }
  for (const t of ticks(y0, y1)) {
    svg.push(
      `<text x="${left - 6}" y="${r(y(t) + 4)}" text-anchor="end">${t}</text>`,
      `<line x1="${left}" y1="${r(y(t))}" x2="${W - right}" y2="${r(y(t))}" stroke="#ddd"/>`,
    );
  }
  svg.push(
    `<text x="${(left + W - right) / 2}" y="${H - 10}" text-anchor="middle">${esc(options.xLabel)}</text>`,
    `<text x="16" y="${(top + H - bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${
      (top + H - bottom) / 2
    })">${esc(options.yLabel)}</text>`,
  );
  for (const m of options.markers ?? []) {
    if (m.x < x0 || m.x > x1) continue;
    svg.push(
      `<line x1="${r(x(m.x))}" y1="${top}" x2="${r(x(m.x))}" y2="${H - bottom}" stroke="#999" stroke-dasharray="4 3"/>`,
      `<text x="${r(x(m.x) + 3)}" y="${top + 10}" fill="#666" font-size="10">${esc(m.label)}</text>`,
    );
  }
  return { svg, x, y };
}

/**
 * A line chart: one polyline with dots per series, a legend on the right.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lineChart } from "./svg.ts";
 * const svg = lineChart([{ name: "cot", points: [[0, 0.1], [1, 0.5]] }], {
 *   title: "accuracy", xLabel: "epoch", yLabel: "acc", yRange: [0, 1],
 * });
 * assert.match(svg, /^<svg/);
 * assert.equal(svg.match(/<polyline/g)?.length, 1);
 * ```
 */
export function lineChart(series: Series[], options: ChartOptions): string {
  const all = series.flatMap((s) => s.points);
  const { svg, x, y } = frame(options, all.map((p) => p[0]), all.map((p) => p[1]));
  const [W] = options.size ?? [720, 400];
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const pts = s.points.map(([a, b]) => `${r(x(a))},${r(y(b))}`).join(" ");
    svg.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts}"/>`);
    for (const [a, b] of s.points) svg.push(`<circle cx="${r(x(a))}" cy="${r(y(b))}" r="2.5" fill="${colour}"/>`);
    const ly = 44 + i * 18;
    svg.push(
      `<line x1="${W - 160}" y1="${ly}" x2="${W - 140}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${W - 134}" y="${ly + 4}">${esc(s.name)}</text>`,
    );
  });
  svg.push("</svg>");
  return svg.join("\n") + "\n";
}

/** One point of a {@link scatterChart}. */
export interface LabelledPoint {
  /** Label written next to the point. */
  label: string;
  /** x value. */
  x: number;
  /** y value. */
  y: number;
  /** Half-width of an error bar on y (e.g. the spread over seeds), drawn when positive. */
  yError?: number;
}

/**
 * A scatter plot with a label beside each point and optional y error bars.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scatterChart } from "./svg.ts";
 * const svg = scatterChart([{ label: "cot", x: 20, y: 0.9, yError: 0.02 }, { label: "coconut", x: 8, y: 0.95 }], {
 *   title: "tokens vs accuracy", xLabel: "tokens", yLabel: "accuracy",
 * });
 * assert.equal(svg.match(/<circle/g)?.length, 2);
 * ```
 */
export function scatterChart(points: LabelledPoint[], options: ChartOptions): string {
  const ys = points.flatMap((p) => [p.y - (p.yError ?? 0), p.y + (p.yError ?? 0)]);
  const { svg, x, y } = frame(options, points.map((p) => p.x), ys);
  points.forEach((p, i) => {
    const colour = PALETTE[i % PALETTE.length];
    if (p.yError && p.yError > 0) {
      svg.push(
        `<line x1="${r(x(p.x))}" y1="${r(y(p.y - p.yError))}" x2="${r(x(p.x))}" y2="${
          r(y(p.y + p.yError))
        }" stroke="${colour}"/>`,
      );
    }
    svg.push(
      `<circle cx="${r(x(p.x))}" cy="${r(y(p.y))}" r="5" fill="${colour}"/>`,
      `<text x="${r(x(p.x) + 8)}" y="${r(y(p.y) + 4)}">${esc(p.label)}</text>`,
    );
  });
  svg.push("</svg>");
  return svg.join("\n") + "\n";
}

/** One bar of a {@link stackedBarChart}: a label under it and its segments' values, in the legend's order. */
export interface StackedBar {
  /** Label under the bar. */
  label: string;
  /** Segment values, bottom to top (same length as the legend). */
  values: number[];
}

/**
 * A stacked bar chart (e.g. where each thought's probability mass goes), a legend on the right.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stackedBarChart } from "./svg.ts";
 * const svg = stackedBarChart([{ label: "0", values: [0.6, 0.4] }, { label: "1", values: [0.3, 0.7] }], ["frontier", "other"], {
 *   title: "mass", xLabel: "thought", yLabel: "share", yRange: [0, 1],
 * });
 * assert.equal(svg.match(/<rect class="segment"/g)?.length, 4);
 * ```
 */
export function stackedBarChart(bars: StackedBar[], legend: string[], options: ChartOptions): string {
  const totals = bars.map((b) => b.values.reduce((a, v) => a + v, 0));
  const { svg, y } = frame({ ...options, xRange: [0, 1] }, [0, 1], [0, ...totals]);
  const [W, H] = options.size ?? [720, 400];
  const left = 60, right = 170, width = (W - left - right) / Math.max(bars.length, 1);
  // The frame draws numeric x ticks for [0, 1]; bars are categorical, so their labels replace them.
  const body = svg.filter((line) => !/text-anchor="middle">(0|0\.2|0\.4|0\.6|0\.8|1)<\/text>$/.test(line));
  bars.forEach((bar, i) => {
    let base = 0;
    const x0 = left + i * width + width * 0.15, w = width * 0.7;
    bar.values.forEach((v, k) => {
      body.push(
        `<rect class="segment" x="${r(x0)}" y="${r(y(base + v))}" width="${r(w)}" height="${
          r(Math.max(0, y(base) - y(base + v)))
        }" fill="${PALETTE[k % PALETTE.length]}"><title>${
          esc(`${bar.label}: ${legend[k]} ${v.toFixed(3)}`)
        }</title></rect>`,
      );
      base += v;
    });
    body.push(`<text x="${r(x0 + w / 2)}" y="${H - 48 + 16}" text-anchor="middle">${esc(bar.label)}</text>`);
  });
  legend.forEach((name, k) => {
    const ly = 44 + k * 18;
    body.push(
      `<rect x="${W - 160}" y="${ly - 6}" width="12" height="12" fill="${PALETTE[k % PALETTE.length]}"/>`,
      `<text x="${W - 142}" y="${ly + 4}">${esc(name)}</text>`,
    );
  });
  body.push("</svg>");
  return body.join("\n") + "\n";
}

/** A graph drawn by {@link graphPanels}: directed edges between node ids, and a layer for each node. */
export interface PanelGraph {
  /** Directed edges [from, to]. */
  edges: [number, number][];
  /** Column of each node (e.g. its distance from a source), left to right. */
  layer: Map<number, number>;
  /** Nodes drawn with a ring (e.g. the root and the two options), with a short tag. */
  marked?: Map<number, string>;
}

/**
 * The same graph drawn once per panel, each node filled in proportion to the panel's value for it (e.g. one panel
 * per continuous thought, filled with the probe's probability of that node).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { graphPanels } from "./svg.ts";
 * const graph = { edges: [[0, 1], [0, 2]] as [number, number][], layer: new Map([[0, 0], [1, 1], [2, 1]]) };
 * const svg = graphPanels(graph, [{ title: "thought 0", values: new Map([[1, 0.9]]) }], "one item");
 * assert.equal(svg.match(/<circle/g)?.length, 3);
 * ```
 */
export function graphPanels(
  graph: PanelGraph,
  panels: { title: string; values: Map<number, number> }[],
  title: string,
): string {
  const columns = Math.max(0, ...graph.layer.values()) + 1;
  const byLayer = new Map<number, number[]>();
  for (const [node, l] of [...graph.layer].sort((a, b) => a[0] - b[0])) {
    byLayer.set(l, [...(byLayer.get(l) ?? []), node]);
  }
  const rows = Math.max(1, ...[...byLayer.values()].map((n) => n.length));
  const pw = Math.max(160, columns * 56), ph = Math.max(120, rows * 40 + 40);
  const W = pw * panels.length + 20, H = ph + 50;
  const pos = new Map<number, [number, number]>();
  for (const [l, nodes] of byLayer) {
    nodes.forEach((node, k) =>
      pos.set(node, [28 + l * ((pw - 56) / Math.max(columns - 1, 1)), 40 + (k + 0.5) * ((ph - 50) / nodes.length)])
    );
  }
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<defs><marker id="arrow" viewBox="0 0 6 6" refX="6" refY="3" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L6,3 L0,6 z" fill="#999"/></marker></defs>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const ox = 10 + p * pw, oy = 20;
    svg.push(`<text x="${r(ox + pw / 2)}" y="${oy + 18}" text-anchor="middle">${esc(panel.title)}</text>`);
    for (const [a, b] of graph.edges) {
      const [x1, y1] = pos.get(a)!, [x2, y2] = pos.get(b)!;
      const len = Math.hypot(x2 - x1, y2 - y1) || 1, cut = 12 / len;
      svg.push(
        `<line x1="${r(ox + x1 + (x2 - x1) * cut)}" y1="${r(oy + y1 + (y2 - y1) * cut)}" x2="${
          r(ox + x2 - (x2 - x1) * cut)
        }" y2="${r(oy + y2 - (y2 - y1) * cut)}" stroke="#999" marker-end="url(#arrow)"/>`,
      );
    }
    for (const [node, [x, y]] of pos) {
      const v = Math.min(1, Math.max(0, panel.values.get(node) ?? 0));
      const tag = graph.marked?.get(node);
      svg.push(
        `<circle cx="${r(ox + x)}" cy="${r(oy + y)}" r="11" fill="#d62728" fill-opacity="${v.toFixed(3)}" stroke="${
          tag ? "black" : "#666"
        }" stroke-width="${tag ? 2 : 1}"><title>${node}: ${v.toFixed(3)}</title></circle>`,
        `<text x="${r(ox + x)}" y="${r(oy + y + 4)}" text-anchor="middle">${node}</text>`,
      );
      if (tag) {
        svg.push(`<text x="${r(ox + x)}" y="${r(oy + y - 14)}" text-anchor="middle" font-size="9">${esc(tag)}</text>`);
      }
    }
  });
  svg.push("</svg>");
  return svg.join("\n") + "\n";
}
