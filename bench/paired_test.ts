import assert from "node:assert/strict";
import { pairedBlocks, pairedRatio, TorchSession } from "./paired.ts";
import { findTorchPython } from "./util.ts";

Deno.test("pairedRatio: each round's own ratio, so a machine that slows down between rounds does not move it", () => {
  // copra 10 ms and PyTorch 12 ms per step in every round, but rounds 3 and 4 ran 3× slower (both sides alike).
  const copra = [[10, 10], [11, 11], [30, 30], [35, 35]];
  const torch = [[12, 12], [13.2, 13.2], [36, 36], [42, 42]];
  assert.equal(pairedRatio(copra, torch), 1.2);
  // The same steps timed in two long runs that fell in different phases (copra slow, PyTorch fast) read 0.4.
  const unpaired = torch[0][0] / copra[3][0];
  assert.ok(unpaired < 0.5);
  // One PyTorch block that caught a fast stretch moves its own round only (the medians of all steps would read 0.75).
  assert.equal(pairedRatio([[10], [20], [30]], [[12], [24], [15]]), 1.2);
  // Only rounds both sides finished count.
  assert.equal(pairedRatio([[10], [10], [10]], [[20]]), 2);
  assert.equal(pairedRatio([], [[1]]), null);
});

Deno.test("pairedBlocks: sides in turn, blocks of the asked size; a failing side stops, the others go on", async () => {
  const order: string[] = [];
  let calls = 0;
  const { times, errors } = await pairedBlocks([
    { run: (n) => (order.push(`a${n}`), Promise.resolve(Array(n).fill(1))) },
    {
      run: (n) => {
        order.push(`b${n}`);
        if (++calls === 2) return Promise.reject(new Error("reference stopped"));
        return Promise.resolve(Array(n).fill(2));
      },
      pauseMs: 1,
    },
  ], { rounds: 3, block: 2 });
  assert.deepEqual(order, ["a2", "b2", "a2", "b2", "a2"]);
  assert.deepEqual(times, [[[1, 1], [1, 1], [1, 1]], [[2, 2]]]);
  assert.deepEqual(errors, [null, "reference stopped"]);
});

/** A stand-in for python3 (COPRA_PYTHON): `-c` succeeds; the script path runs `body` (a shell script). */
async function fakePython(body: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".sh" });
  await Deno.writeTextFile(path, `#!/bin/sh\nif [ "$1" = "-c" ]; then exit 0; fi\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

async function withPython<T>(path: string, f: () => Promise<T>): Promise<T> {
  const before = Deno.env.get("COPRA_PYTHON");
  Deno.env.set("COPRA_PYTHON", path);
  try {
    return await f();
  } finally {
    if (before === undefined) Deno.env.delete("COPRA_PYTHON");
    else Deno.env.set("COPRA_PYTHON", before);
    await Deno.remove(path);
  }
}

Deno.test("TorchSession: the serve protocol — ready line, one line back per block, the threads it reports", async () => {
  // answers block N with N steps of N ms; arguments are checked: --threads 1 --serve at the end
  const python = await fakePython(`
case "$*" in *"train-step --preset tiny --threads 1 --serve") ;; *) echo "bad args: $*" >&2; exit 3;; esac
echo '{"ready": true, "threads": 1, "blas_threads": 1}'
while read n extra; do printf '{"times_ms": ['; i=1; while [ $i -lt $n ]; do printf '%s, ' $n$extra; i=$((i+1)); done; echo "$n$extra]}"; done`);
  await withPython(python, async () => {
    const session = await TorchSession.open(["train-step", "--preset", "tiny"], 1);
    assert.ok(session instanceof TorchSession, JSON.stringify(session));
    assert.equal(session.threads, "1+1");
    assert.deepEqual(await session.block(3), [3, 3, 3]);
    assert.deepEqual(await session.block(1), [1]);
    // arguments after the count travel on the same line (decode's batch): here echoed as digits after N
    assert.deepEqual(await session.block(2, 7), [27, 27]);
    await session.close();
  });
});

Deno.test("TorchSession: a script that fails to start, or stops mid-way, is named by its last stderr line", async () => {
  const failing = await fakePython(`echo "Traceback…" >&2; echo "ModuleNotFoundError: no torch here" >&2; exit 1`);
  await withPython(failing, async () => {
    const result = await TorchSession.open(["train-step"], "default");
    assert.deepEqual(result, { note: "PyTorch reference failed: ModuleNotFoundError: no torch here" });
  });
  // PyTorch's default: --threads 0, and OpenBLAS's pool not pinned to one thread
  const stopping = await fakePython(`
case "$* $OPENBLAS_NUM_THREADS" in *"train-step --threads 0 --serve 1") echo "pinned" >&2; exit 3;;
  *"train-step --threads 0 --serve "*) ;; *) echo "bad args: $*" >&2; exit 3;; esac
echo '{"ready": true, "threads": 2, "blas_threads": 2}'
read n; echo '{"times_ms": [5]}'; read n; echo "RuntimeError: out of memory" >&2; exit 1`);
  await withPython(stopping, async () => {
    const session = await TorchSession.open(["train-step"], "default");
    assert.ok(session instanceof TorchSession);
    assert.deepEqual(await session.block(1), [5]);
    await assert.rejects(session.block(1), /PyTorch reference stopped: RuntimeError: out of memory/);
    await session.close();
  });
});

Deno.test("TorchSession: a script whose first line is not the ready line is stopped, not waited for", async () => {
  // prints garbage, then waits on stdin for ever
  const python = await fakePython(`echo "Warning: something" ; echo "not json" >&2; read n; sleep 60`);
  await withPython(python, async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<string>((resolve) => timer = setTimeout(() => resolve("hung"), 10_000));
    const result = await Promise.race([TorchSession.open(["train-step"], 1), timeout]);
    clearTimeout(timer);
    assert.deepEqual(result, { note: "PyTorch reference failed: not json" });
  });
});

Deno.test({
  name: "TorchSession: bench/torch_gpt2.py train-step --serve times the blocks it is asked for",
  ignore: (await findTorchPython()) === null,
  fn: async () => {
    const session = await TorchSession.open(["train-step", "--preset", "tiny", "--batch", "2", "--seq", "8"], 1);
    assert.ok(session instanceof TorchSession, JSON.stringify(session));
    assert.equal(session.threads, "1+1");
    const times = await session.block(2);
    assert.equal(times.length, 2);
    assert.ok(times.every((ms) => ms > 0 && ms < 10_000), JSON.stringify(times));
    await session.close();
  },
});
