// deno-lint-ignore-file no-console
/**
 * Starts the wasm backend in a fresh process (the backend starts once per process) and prints what it got as one
 * JSON line: `{"blas": <library or null>, "products": <path>}` or `{"error": <message>}`. Arguments: the wasm folder URL (or an empty
 * string), and a products path (optional).
 *
 * @module
 */
import { type ProductsPath, useBackend } from "../mod.ts";

try {
  const info = await useBackend("wasm", {
    ...(Deno.args[0] ? { wasmPaths: Deno.args[0] } : {}),
    ...(Deno.args[1] ? { products: Deno.args[1] as ProductsPath } : {}),
  });
  console.log(JSON.stringify({ blas: info.blas?.library ?? null, products: info.products }));
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).message }));
}
