// deno-lint-ignore-file no-console
/**
 * `deno task bench [name…]`: runs the named benchmarks (all when none is named). Each prints a short report
 * and, as its last line, one JSON object.
 *
 * @module
 */

import { benchTokenizer } from "./tokenizer.ts";

const BENCHES: Record<string, () => Promise<object>> = {
  tokenizer: () => benchTokenizer(),
};

const names = Deno.args.length > 0 ? Deno.args : Object.keys(BENCHES);
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark ${JSON.stringify(name)}; known: ${Object.keys(BENCHES).join(", ")}`);
    Deno.exit(2);
  }
  console.log(JSON.stringify(await bench()));
}
