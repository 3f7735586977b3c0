// Every package's browser entry bundles for a browser with no Deno API and no Node built-in in it: each
// `<package>/browser.ts` goes through `deno bundle --platform browser`, and the bundle is searched.

import assert from "node:assert/strict";
import { builtinModules } from "node:module";

const PACKAGES = ["core", "random", "tokenizer", "model", "data", "curriculum", "infer", "train"];
const root = new URL("../", import.meta.url).pathname;

/** Bundles `entry` for the browser; the bundle's text. */
export async function bundleForBrowser(entry: string): Promise<string> {
  const out = await Deno.makeTempFile({ suffix: ".js" });
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "browser", "-o", out, entry],
      cwd: root,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, `deno bundle ${entry} failed: ${new TextDecoder().decode(stderr)}`);
    return await Deno.readTextFile(out);
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}

/**
 * What a browser bundle must not hold: a use of Deno's namespace, a `node:` import, or a `require` of a Node
 * built-in outside the Emscripten glue of tfjs-backend-wasm (which only runs it behind `ENVIRONMENT_IS_NODE`).
 * Also the copra modules that only Deno can run.
 */
export function browserProblems(text: string): string[] {
  const problems: string[] = [];
  // Doc comments (their examples import node:assert) are not code.
  const bundle = text.replace(/^[ \t]*\/\*\*[\s\S]*?\*\//gm, "");
  for (const m of bundle.matchAll(/\b(?:globalThis\.)?Deno\.[A-Za-z]+/g)) problems.push(`uses ${m[0]}`);
  for (const m of bundle.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["']node:[a-z_/]+["']/g)) {
    problems.push(`imports ${m[0]}`);
  }
  const builtins = new Set(builtinModules);
  for (const m of bundle.matchAll(/\brequire\s*\(\s*["']([a-z_/]+)["']\s*\)/g)) {
    if (!builtins.has(m[1])) continue;
    const before = bundle.slice(Math.max(0, m.index - 400), m.index);
    if (!before.includes("if(ENVIRONMENT_IS_NODE)")) problems.push(`requires Node's ${m[1]}`);
  }
  const denoOnly = ["tokenizer/io.ts", "model/files.ts", "model/deno_host.ts", "train/run.ts", "train/trainer.ts"];
  for (const module of denoOnly) {
    if (bundle.includes(`\n// ${module}\n`)) problems.push(`holds ${module}`);
  }
  return problems;
}

Deno.test("browserProblems finds a Deno call, a node: import and a bare built-in require", () => {
  assert.deepEqual(browserProblems('const x = 1;\nawait Deno.readFile("a");'), ["uses Deno.readFile"]);
  assert.deepEqual(browserProblems('import fs from "node:fs";'), ['imports from "node:fs"']);
  assert.deepEqual(browserProblems('var fs = require("fs");'), ["requires Node's fs"]);
  assert.deepEqual(browserProblems('if(ENVIRONMENT_IS_NODE){var fs=require("fs")}'), []);
  assert.deepEqual(browserProblems("const d = (globalThis).Deno;"), []);
  assert.deepEqual(browserProblems("x\n// model/deno_host.ts\ny"), ["holds model/deno_host.ts"]);
  assert.deepEqual(browserProblems('/**\n * import assert from "node:assert/strict";\n */\nf();'), []);
});

for (const name of PACKAGES) {
  Deno.test(`@copra/${name}/browser bundles for a browser without Deno or Node APIs`, async () => {
    const json = JSON.parse(await Deno.readTextFile(`${root}${name}/deno.json`));
    assert.equal(json.exports["./browser"], "./browser.ts", `${name}/deno.json: exports["./browser"]`);
    const bundle = await bundleForBrowser(`${name}/browser.ts`);
    assert.deepEqual(browserProblems(bundle), [], `${name}/browser.ts`);
  });
}

Deno.test("the thought explorer's bundle (web/main.ts) has no Deno or Node API either", async () => {
  assert.deepEqual(browserProblems(await bundleForBrowser("web/main.ts")), []);
});
