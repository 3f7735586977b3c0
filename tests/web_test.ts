/// <reference lib="dom" />
// The thought explorer in a real browser: Debian's Chromium, headless, driven by puppeteer-core (no browser
// download). The page is built and served on localhost, the demo checkpoint loaded, a question run; the answer's ids
// must equal `copra generate --json` on the same checkpoint and question, one thought row per thought, the graph
// painted. Screenshots (laptop and phone width) go to runs/web/. WebGPU when the headless browser gives an adapter
// (SwiftShader), and wasm always.

import assert from "node:assert/strict";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { buildWeb } from "../web/build.ts";
import { serveFolder } from "../web/serve.ts";

const CHROMIUM = "/usr/bin/chromium";
const root = new URL("../", import.meta.url).pathname;
const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
const skip = hasChromium ? "" : ` (skipped: ${CHROMIUM} is not installed; apt-get install chromium)`;

interface PageRun {
  backend: string;
  answer: string;
  ids: number[];
  rows: number;
  stops: number;
  verdict: string;
  paintedNodes: number;
  painted: string;
  pickedTop: string;
  graphNodes: number;
  offsite: string[];
  errors: string[];
  stats: string;
}

/** `copra generate --json` on the demo checkpoint. */
async function cliGenerate(question: string): Promise<{ ids: number[]; text: string; thoughts: number }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--cached-only",
      "-A",
      "cli/main.ts",
      "generate",
      "--ckpt",
      "web/demo",
      "--question",
      question,
      "--json",
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!);
}

async function launch(): Promise<Browser> {
  return await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--enable-unsafe-webgpu",
      "--use-angle=swiftshader",
      "--use-webgpu-adapter=swiftshader",
    ],
  });
}

/** Opens the page, runs demo question `q` and reads what it shows. */
async function runPage(page: Page, url: string): Promise<PageRun> {
  const offsite: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => {
    if (!/^(http:\/\/127\.0\.0\.1:|data:|blob:)/.test(r.url())) offsite.push(r.url());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector("body[data-state=ready], body[data-state=error]", { timeout: 120_000 });
  const state = await page.$eval("body", (b) => [b.dataset.state, document.getElementById("status")!.textContent]);
  assert.equal(state[0], "ready", `the page did not get ready: ${state[1]}`);
  await page.click("#run");
  await page.waitForSelector("body[data-state=done], body[data-state=error]", { timeout: 180_000 });
  // Pick thought #2 (the second step's node): the graph repaints with its mass.
  await page.click('li.thought[data-index="2"]');
  return await page.evaluate(() => {
    const answer = document.getElementById("answer")!;
    const nodes = [...document.querySelectorAll("#graph g.node")] as HTMLElement[];
    return {
      backend: document.getElementById("backend")!.textContent ?? "",
      answer: answer.textContent ?? "",
      ids: JSON.parse(answer.dataset.ids ?? "[]"),
      rows: document.querySelectorAll("li.thought").length,
      stops: [...document.querySelectorAll("li.thought .stop")].filter((s) => /^stop \d+%/.test(s.textContent ?? ""))
        .length,
      verdict: document.getElementById("verdict")!.textContent ?? "",
      paintedNodes: nodes.filter((n) => Number(n.dataset.mass) > 0.5).length,
      painted: nodes.find((n) => Number(n.dataset.mass) > 0.5)?.dataset.node ?? "",
      pickedTop: document.querySelector("li.thought.picked .token .text")?.textContent ?? "",
      graphNodes: nodes.length,
      offsite: [],
      errors: [],
      stats: document.getElementById("stats")!.textContent ?? "",
    };
  }).then((r) => ({ ...r, offsite, errors }));
}

Deno.test({
  name: `the thought explorer answers the demo question in Chromium as copra generate does${skip}`,
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir();
    const shots = `${root}runs/web`;
    await Deno.mkdir(shots, { recursive: true });
    await buildWeb(out);
    const server = serveFolder(out, 0);
    const browser = await launch();
    try {
      const questions = JSON.parse(await Deno.readTextFile(`${root}web/demo/questions.json`));
      const q = 0;
      const expected = await cliGenerate(questions[q].question);
      const base = `http://127.0.0.1:${server.addr.port}/?q=${q}`;

      // Whatever the browser offers (WebGPU on SwiftShader where it gives an adapter), at laptop size.
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 800 });
      const auto = await runPage(page, base);
      assert.deepEqual(auto.errors, []);
      assert.deepEqual(auto.offsite, [], "the page fetched something outside localhost");
      assert.deepEqual(auto.ids, expected.ids, `${auto.backend}: answer ids differ from copra generate`);
      assert.equal(auto.answer, expected.text);
      assert.equal(auto.rows, expected.thoughts, "one row per thought");
      assert.equal(auto.stops, auto.rows, "the switch's P(stop) on every row");
      assert.match(auto.verdict, /^✓/);
      assert.ok(auto.graphNodes >= 8, `the graph has ${auto.graphNodes} nodes`);
      assert.equal(auto.paintedNodes, 1, "thought #2 paints one node (its step's) with more than half the mass");
      assert.equal(auto.painted, auto.pickedTop.trim(), "the painted node is the one thought #2 decodes to");
      await page.screenshot({ path: `${shots}/explorer-1280.png` });
      await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2 });
      await page.screenshot({ path: `${shots}/explorer-phone.png`, fullPage: true });
      const phoneOverflow = await page.evaluate(() => document.documentElement.scrollWidth - globalThis.innerWidth);
      assert.ok(phoneOverflow <= 0, `the page is ${phoneOverflow}px wider than a phone`);
      await page.close();

      // wasm, explicitly: the same ids.
      let wasmStats = auto.stats;
      if (!auto.backend.startsWith("wasm")) {
        const wasmPage = await browser.newPage();
        const wasm = await runPage(wasmPage, `${base}&backend=wasm`);
        assert.match(wasm.backend, /^wasm/);
        assert.deepEqual(wasm.ids, expected.ids, "wasm: answer ids differ from copra generate");
        assert.equal(wasm.rows, expected.thoughts);
        wasmStats = wasm.stats;
        await wasmPage.close();
      }
      await Deno.writeTextFile(
        `${shots}/explorer.json`,
        JSON.stringify(
          { backend: auto.backend, answer: auto.answer, thoughts: auto.rows, stats: auto.stats, wasmStats },
          null,
          1,
        ) +
          "\n",
      );
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(out, { recursive: true });
    }
  },
});
