/**
 * Builds the thought explorer into a static folder (default `web/dist/`): the page, its styles, `app.js` (bundled by
 * `deno bundle --platform browser` from `web/main.ts`), tfjs's `.wasm` files from the locked npm package and the
 * demo checkpoint. Nothing is fetched from outside: the page only loads files from this folder.
 *
 * @module
 */

const here = new URL("./", import.meta.url);

/** The tfjs-backend-wasm binaries the page serves from `wasm/`. */
export const WASM_FILES: readonly string[] = [
  "tfjs-backend-wasm.wasm",
  "tfjs-backend-wasm-simd.wasm",
  "tfjs-backend-wasm-threaded-simd.wasm",
];

const DEMO_FILES = ["config.json", "model.safetensors", "tokenizer.json", "run.json", "questions.json"];

/** What {@link buildWeb} wrote. */
export interface WebBuild {
  /** The folder. */
  out: string;
  /** Bytes of `app.js`. */
  appBytes: number;
}

/**
 * Builds the page into `out` (a folder copra owns: it is created, and only the files named here are written).
 *
 * @example
 * ```ts ignore
 * import { buildWeb } from "./build.ts";
 * const { out } = await buildWeb("web/dist");
 * ```
 */
export async function buildWeb(out: string = new URL("dist", here).pathname): Promise<WebBuild> {
  await Deno.mkdir(`${out}/wasm`, { recursive: true });
  await Deno.mkdir(`${out}/demo`, { recursive: true });
  const app = `${out}/app.js`;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "browser", "-o", `${app}.partial`, new URL("main.ts", here).pathname],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`web/main.ts: deno bundle failed: ${new TextDecoder().decode(stderr).trim()}`);
  }
  await Deno.rename(`${app}.partial`, app);
  for (const name of ["index.html", "style.css"]) await Deno.copyFile(new URL(name, here), `${out}/${name}`);
  const wasm = new URL(import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/").replace(/\/?$/, "/"));
  for (const name of WASM_FILES) await Deno.copyFile(new URL(name, wasm), `${out}/wasm/${name}`);
  for (const name of DEMO_FILES) await Deno.copyFile(new URL(`demo/${name}`, here), `${out}/demo/${name}`);
  return { out, appBytes: (await Deno.stat(app)).size };
}
