/**
 * The tasks a user runs grant the least they need (README, "What the commands promise about your files"): writing
 * under runs/ only (eval: nothing), FFI for OpenBLAS's own file only, one environment variable, no network fetches.
 */
import assert from "node:assert/strict";

const tasks: Record<string, string> = JSON.parse(
  await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
).tasks;
const flags = (task: string) => tasks[task].split(/\s+/).filter((w) => w.startsWith("-"));

Deno.test("user-facing tasks: least privilege, no network once installed", () => {
  const writes: Record<string, string | null> = {
    train: "--allow-write=runs",
    eval: null,
    copra: "--allow-write=runs",
    reproduce: "--allow-write=runs,docs",
  };
  for (const [task, write] of Object.entries(writes)) {
    const f = flags(task);
    assert.ok(f.includes("--cached-only"), `${task}: --cached-only`);
    assert.deepEqual(f.filter((x) => x.startsWith("--allow-write")), write ? [write] : [], `${task}: writes`);
    assert.deepEqual(f.filter((x) => x.startsWith("--allow-env")), ["--allow-env=OPENBLAS_NUM_THREADS"], task);
    const ffi = f.filter((x) => x.startsWith("--allow-ffi"));
    assert.equal(ffi.length, 1, task);
    assert.ok(ffi[0].startsWith("--allow-ffi="), `${task}: FFI scoped to named files`);
    for (const path of ffi[0].slice("--allow-ffi=".length).split(",")) assert.match(path, /\/libopenblas\.so\.0$/);
    for (const broad of ["-A", "--allow-all", "--allow-run", "--allow-net", "--allow-sys"]) {
      assert.ok(!f.includes(broad), `${task}: no ${broad}`);
    }
  }
});
