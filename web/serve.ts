// deno-lint-ignore-file no-console
/**
 * `deno task web`: builds the thought explorer (`build.ts`) and serves it on localhost. Options: `--port N`
 * (default 8000; 0 picks a free one), `--no-build` (serve what `web/dist/` holds).
 *
 * @module
 */

import { buildWeb } from "./build.ts";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  wasm: "application/wasm",
  safetensors: "application/octet-stream",
  png: "image/png",
};

/**
 * Serves the files under `root` on 127.0.0.1:`port` (GET only; paths cannot leave `root`).
 *
 * @example
 * ```ts ignore
 * const server = serveFolder("web/dist", 0);
 * console.log(server.addr.port);
 * await server.shutdown();
 * ```
 */
export function serveFolder(root: string, port: number): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed", { status: 405 });
    }
    const path = decodeURIComponent(new URL(request.url).pathname);
    if (path.split("/").includes("..")) return new Response("bad path", { status: 400 });
    const file = `${root}${path.endsWith("/") ? `${path}index.html` : path}`;
    try {
      const body = await Deno.readFile(file);
      const ext = file.split(".").at(-1) ?? "";
      return new Response(body, { headers: { "content-type": TYPES[ext] ?? "application/octet-stream" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

if (import.meta.main) {
  const args = [...Deno.args];
  const build = !args.includes("--no-build");
  const at = args.indexOf("--port");
  const port = at >= 0 ? Number(args[at + 1]) : 8000;
  const unknown = args.filter((a, i) => a !== "--no-build" && a !== "--port" && !(at >= 0 && i === at + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535 || unknown.length > 0) {
    console.error(
      unknown.length > 0
        ? `copra web: unknown argument ${unknown[0]}; use --port N or --no-build`
        : `copra web: --port ${args[at + 1] ?? "(missing)"}: give a port number 0–65535`,
    );
    Deno.exit(1);
  }
  const root = new URL("dist", import.meta.url).pathname;
  try {
    if (build) {
      const { appBytes } = await buildWeb(root);
      console.log(`built web/dist (app.js ${(appBytes / 1e6).toFixed(1)} MB)`);
    }
    await Deno.stat(`${root}/index.html`);
  } catch (error) {
    console.error(`copra web: ${(error as Error).message}`);
    Deno.exit(1);
  }
  const server = serveFolder(root, port);
  console.log(`copra thought explorer: http://127.0.0.1:${server.addr.port}/  (Ctrl-C stops)`);
}
