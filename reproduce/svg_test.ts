import assert from "node:assert/strict";
import { lineChart, scatterChart, ticks } from "./svg.ts";

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
