/**
 * What the host runtime adds to backend selection (internal): under Deno, OpenBLAS through FFI, the npm package's
 * folder of `.wasm` files, and a check that names a missing one. `mod.ts` installs the Deno host
 * (`deno_host.ts`); the browser entry installs none, so no Deno API reaches a browser bundle.
 *
 * @module
 */

import type { BlasInfo } from "./blas.ts";

/** The host's part of backend setup (`useBackend`). */
export interface Host {
  /** Turns on the BLAS path when the host has one; null otherwise. */
  enableBlas(): BlasInfo | null;
  /** The default folder (URL ending in `/`) of tfjs's `.wasm` files. */
  wasmFolder(): string;
  /** Throws a clear error when a `.wasm` file is missing from `folder`. */
  checkWasmFiles(folder: string): void;
}

let installed: Host | null = null;

/** Installs the host (once, at import of the Deno entry). */
export function installHost(h: Host): void {
  installed = h;
}

/** The installed host, or null in a browser. */
export function host(): Host | null {
  return installed;
}
