import assert from "node:assert/strict";
import { graphPanels, lineChart, scatterChart, stackedBarChart, ticks } from "./svg.ts";

/** Every `attr="number"` of the given element kind. */
function numbers(svg: string, element: string, attr: string): number[] {
  return [...svg.matchAll(new RegExp(`<${element} [^>]*${attr}="([-0-9.]+)"`, "g"))].map((m) => Number(m[1]));
}

Deno.test("ticks are round values inside the range", () => {
  assert.deepEqual(ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(ticks(0, 30), [0, 10, 20, 30]);
  assert.deepEqual(ticks(0, 12), [0, 2.5, 5, 7.5, 10]);
  assert.deepEqual(ticks(3, 3), [3]);
});

Deno.test("lineChart: one polyline per series, points mapped into the plot area, y grows upwards", () => {
  const svg = lineChart([
    { name: "cot", points: [[0, 0], [10, 1]] },
    { name: "a <b> & c", points: [[5, 0.5]] },
  ], { title: "t", xLabel: "epoch", yLabel: "acc", yRange: [0, 1], markers: [{ x: 5, label: "stage 1" }] });
  assert.equal(svg.match(/<polyline/g)?.length, 2);
  assert.match(svg, /a &lt;b&gt; &amp; c/);
  const cx = numbers(svg, "circle", "cx"), cy = numbers(svg, "circle", "cy");
  assert.deepEqual(cx, [60, 550, 305]); // left edge, right edge (720 − 170), middle
  assert.deepEqual(cy, [352, 36, 194]); // y = 0 at the bottom (400 − 48), 1 at the top
  assert.ok(svg.trim().endsWith("</svg>"));
  assert.equal(svg.match(/stroke-dasharray/g)?.length, 1);
});

Deno.test("scatterChart: a labelled dot per point and an error bar where given", () => {
  const svg = scatterChart([{ label: "cot", x: 20, y: 0.9, yError: 0.05 }, { label: "coconut", x: 8, y: 0.95 }], {
    title: "t",
    xLabel: "tokens",
    yLabel: "acc",
  });
  assert.equal(svg.match(/<circle/g)?.length, 2);
  assert.match(svg, />coconut</);
  // The error bar spans y ± 0.05, which sets the y range: its ends are the plot's bottom and top.
  const bar = svg.match(/<line x1="([-0-9.]+)" y1="([-0-9.]+)" x2="\1" y2="([-0-9.]+)" stroke="#1f77b4"\/>/);
  assert.ok(bar);
  assert.deepEqual([Number(bar[2]), Number(bar[3])], [352, 36]);
});

Deno.test("stackedBarChart: segments stack bottom-up to each bar's total; category labels, no numeric x ticks", () => {
  const svg = stackedBarChart([{ label: "t0", values: [0.5, 0.25] }, { label: "t1", values: [1, 0] }], ["a", "b"], {
    title: "t",
    xLabel: "thought",
    yLabel: "share",
    yRange: [0, 1],
  });
  const ys = numbers(svg, 'rect class="segment"', "y"), hs = numbers(svg, 'rect class="segment"', "height");
  // y = 1 is pixel 36, y = 0 is 352: 316 pixels per unit.
  assert.deepEqual(hs, [158, 79, 316, 0]);
  assert.deepEqual(ys, [194, 115, 36, 36]); // the second segment starts where the first ends
  assert.match(svg, />t0<\/text>/);
  assert.doesNotMatch(svg, /text-anchor="middle">0\.4</); // no numeric x ticks
});

Deno.test("graphPanels: one circle per node per panel, filled by the panel's value, edges as arrows", () => {
  const graph = {
    edges: [[0, 1], [1, 2], [0, 3]] as [number, number][],
    layer: new Map([[0, 0], [1, 1], [3, 1], [2, 2]]),
    marked: new Map([[0, "root"]]),
  };
  const svg = graphPanels(graph, [
    { title: "thought 0", values: new Map([[1, 0.75], [3, 0.25]]) },
    { title: "thought 1", values: new Map([[2, 2]]) }, // clamped to 1
  ], "item");
  assert.equal(svg.match(/<circle/g)?.length, 8);
  assert.equal(svg.match(/<line /g)?.length, 6);
  const fills = [...svg.matchAll(/fill-opacity="([0-9.]+)"[^>]*><title>(\d+):/g)].map((
    m,
  ) => [Number(m[2]), Number(m[1])]);
  assert.deepEqual(fills, [[0, 0], [1, 0.75], [3, 0.25], [2, 0], [0, 0], [1, 0], [3, 0], [2, 1]]);
  assert.match(svg, />root</);
});
