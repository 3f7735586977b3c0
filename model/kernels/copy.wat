;; Strided copies inside the wasm backend's memory (pointers and strides are byte offsets): `count` runs of `run` bytes,
;; run i from src + i·srcStride to dst + i·dstStride. The rows that Concat, SplitV and Slice move, in one call per input
;; or output instead of one JavaScript `subarray` and `set` per row. Runs never overlap (a kernel's output is fresh).
;; Assembled by `deno task build-wasm` into copy_wasm_bytes.ts; run by copy_wasm.ts.
(module
  (import "env" "memory" (memory 1))

  (func (export "copy_runs") (param $dst i32) (param $src i32) (param $count i32) (param $run i32)
        (param $dstStride i32) (param $srcStride i32)
    (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (memory.copy (local.get $dst) (local.get $src) (local.get $run))
      (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
      (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))))
