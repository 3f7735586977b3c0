// deno-lint-ignore-file no-console
/**
 * Starts the wasm backend in a fresh process (the backend starts once per process) and prints what it got as one
 * JSON line: `{"blas": <library or null>}` or `{"error": <message>}`. Argument: the wasm folder URL, or nothing.
 *
 * @module
 */
import { useBackend } from "../mod.ts";

try {
  const info = await useBackend("wasm", Deno.args[0] ? { wasmPaths: Deno.args[0] } : {});
  console.log(JSON.stringify({ blas: info.blas?.library ?? null }));
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).message }));
}
