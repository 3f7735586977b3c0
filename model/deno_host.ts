/**
 * The Deno host of the model package (internal; imported for its effect by `mod.ts`): OpenBLAS through FFI when
 * permitted, tfjs-backend-wasm's folder in the npm cache, and a check that names a missing `.wasm` file.
 *
 * @module
 */

import { enableBlas } from "./blas.ts";
import { ModelError } from "./errors.ts";
import { installHost } from "./host.ts";

/**
 * Names a missing `.wasm` file up front: tfjs itself only reports that the backend "could not start" (and its
 * Emscripten loader prints an abort trace). Folders that are not local files (http:, in a browser) are left to tfjs.
 */
function checkWasmFiles(folder: string): void {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!folder.startsWith("file:") || !deno?.statSync) return;
  for (const name of ["tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm.wasm"]) {
    const path = new URL(name, folder).pathname;
    try {
      deno.statSync(path);
    } catch (error) {
      if (!(error instanceof deno.errors.NotFound)) return; // no read permission etc.: let tfjs try
      throw new ModelError({
        source: path,
        field: "(file)",
        value: path,
        problem: "the wasm backend's binary is missing",
        hint: "run `deno install` in the project to fetch the locked npm packages again (or pass wasmPaths: a folder " +
          "holding tfjs's .wasm files); --backend cpu runs without it",
      });
    }
  }
}

installHost({
  enableBlas: () => enableBlas(),
  wasmFolder: () => import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/").replace(/\/?$/, "/"),
  checkWasmFiles,
});
