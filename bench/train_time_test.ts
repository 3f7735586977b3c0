import assert from "node:assert/strict";
import { benchTrainTime, trainTaskArgs } from "./train_time.ts";

Deno.test("train-time: deno task train's own flags, writing under the given folder; the default path without FFI", async () => {
  const task = await trainTaskArgs("/tmp/x", true), plain = await trainTaskArgs("/tmp/x", false);
  assert.ok(task.includes("--allow-write=/tmp/x") && !task.includes("--allow-write=runs"));
  assert.ok(task.some((a) => a.startsWith("--allow-ffi=")), task.join(" "));
  assert.deepEqual(plain, task.filter((a) => !a.startsWith("--allow-ffi")));
  assert.deepEqual(task.slice(-2), ["cli/main.ts", "train"]);
});

Deno.test("train-time: runs the command twice (short here), reads its held-out accuracy, leaves nothing behind", async () => {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const before = [...Deno.readDirSync(tmp)].filter((e) => e.name.startsWith("copra-train-time-")).length;
  const r = await benchTrainTime({ args: ["--train-items", "48", "--eval-items", "4", "--epochs", "1"] });
  assert.ok(r.default_s > 0 && r.default_heldout >= 0 && r.default_heldout <= 1, JSON.stringify(r));
  assert.notEqual(r.default_products, "blas"); // no FFI: copra's own products
  let openblas = false;
  try {
    Deno.statSync("/usr/lib/x86_64-linux-gnu/libopenblas.so.0");
    openblas = Deno.build.arch === "x86_64";
  } catch {
    // no OpenBLAS on this machine
  }
  if (openblas) {
    assert.ok(r.openblas_s !== null && r.openblas_s > 0, JSON.stringify(r));
    assert.equal(r.default_over_openblas, Math.round((r.default_s / r.openblas_s!) * 100) / 100);
  } else assert.match(r.note ?? "", /no OpenBLAS/);
  assert.match(r.command, /^deno run .*cli\/main\.ts train --train-items 48/);
  const after = [...Deno.readDirSync(tmp)].filter((e) => e.name.startsWith("copra-train-time-")).length;
  assert.equal(after, before);
});
