/**
 * Guards the documentation conventions: every exported function, class, constant and public method of the
 * published packages has JSDoc with an `@example` (the examples themselves run under `deno test --doc`).
 */
import assert from "node:assert/strict";

/** Entry points of the published packages. */
const ENTRY_POINTS = [
  "mod.ts",
  "core/mod.ts",
  "random/mod.ts",
  "tokenizer/mod.ts",
  "model/mod.ts",
  "data/mod.ts",
  "curriculum/mod.ts",
  "infer/mod.ts",
  "train/mod.ts",
];

interface DocTag {
  kind: string;
}
interface JsDoc {
  doc?: string;
  tags?: DocTag[];
}
interface Declaration {
  kind: string;
  jsDoc?: JsDoc;
  location: { filename: string; line: number };
  def?: { methods?: { name: string; jsDoc?: JsDoc; accessibility?: string; kind?: string }[] };
}
interface DocSymbol {
  name: string;
  declarations: Declaration[];
}

const hasExample = (doc?: JsDoc) => (doc?.tags ?? []).some((t) => t.kind === "example");

Deno.test("every exported function, class, constant and method has an @example", async () => {
  const root = new URL("../", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...ENTRY_POINTS],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const json = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    nodes: Record<string, { symbols: DocSymbol[] }>;
  };
  const missing: string[] = [];
  let checked = 0;
  for (const node of Object.values(json.nodes)) {
    for (const symbol of node.symbols) {
      for (const d of symbol.declarations) {
        if (!["function", "class", "variable"].includes(d.kind)) continue;
        const where = `${d.location.filename.replace(root.href, "")}:${d.location.line} ${symbol.name}`;
        checked++;
        if (!hasExample(d.jsDoc)) missing.push(where);
        for (const m of d.def?.methods ?? []) {
          if (m.accessibility === "private" || m.name.startsWith("#") || m.kind === "getter") continue;
          checked++;
          if (!hasExample(m.jsDoc)) missing.push(`${where}.${m.name}`);
        }
      }
    }
  }
  assert.ok(checked > 30, `found only ${checked} exports: is the doc output layout still understood?`);
  assert.deepEqual([...new Set(missing)], [], "exports without an @example");
});
