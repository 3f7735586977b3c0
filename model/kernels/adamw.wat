;; AdamW's update over a parameter tensor in wasm SIMD, reading and writing the wasm backend's memory in place (pointers
;; are byte offsets into it). The arithmetic is float64, in the order of adamw_wasm.ts's JavaScript loop, so both give
;; the same float32 results bit for bit: two parameters at a time (f64x2), then the odd one.
;;   g' = g·scale; m' = β1·m + (1−β1)·g'; v' = β2·v + (1−β2)·g'·g'; p' = p·decay − step·m' / (√v' / √bc2 + ε)
;; Assembled by `deno task build-wasm` into adamw_wasm_bytes.ts.
(module
  (import "env" "memory" (memory 1))

  (func (export "adamw") (param $p i32) (param $m i32) (param $v i32) (param $g i32) (param $n i32)
        (param $scale f64) (param $decay f64) (param $beta1 f64) (param $omb1 f64) (param $beta2 f64)
        (param $omb2 f64) (param $eps f64) (param $step f64) (param $bc2sqrt f64)
        (param $p1 i32) (param $m1 i32) (param $v1 i32)
    (local $i i32) (local $two i32) (local $o i32)
    (local $S v128) (local $D v128) (local $B1 v128) (local $O1 v128) (local $B2 v128) (local $O2 v128) (local $E v128)
    (local $ST v128) (local $BC v128) (local $gi v128) (local $mi v128) (local $vi v128) (local $pi v128)
    (local $gs f64) (local $ms f64) (local $vs f64)
    (local.set $S (f64x2.splat (local.get $scale)))
    (local.set $D (f64x2.splat (local.get $decay)))
    (local.set $B1 (f64x2.splat (local.get $beta1)))
    (local.set $O1 (f64x2.splat (local.get $omb1)))
    (local.set $B2 (f64x2.splat (local.get $beta2)))
    (local.set $O2 (f64x2.splat (local.get $omb2)))
    (local.set $E (f64x2.splat (local.get $eps)))
    (local.set $ST (f64x2.splat (local.get $step)))
    (local.set $BC (f64x2.splat (local.get $bc2sqrt)))
    (local.set $two (i32.and (local.get $n) (i32.const -2)))
    (block $b2 (loop $l2
      (br_if $b2 (i32.ge_u (local.get $i) (local.get $two)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $gi (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $g) (local.get $o))))
                                (local.get $S)))
      (local.set $mi (f64x2.add
        (f64x2.mul (local.get $B1) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $m) (local.get $o)))))
        (f64x2.mul (local.get $O1) (local.get $gi))))
      (local.set $vi (f64x2.add
        (f64x2.mul (local.get $B2) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $v) (local.get $o)))))
        (f64x2.mul (f64x2.mul (local.get $O2) (local.get $gi)) (local.get $gi))))
      (local.set $pi (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (local.get $o)))))
      (v128.store64_lane 0 (i32.add (local.get $m1) (local.get $o)) (f32x4.demote_f64x2_zero (local.get $mi)))
      (v128.store64_lane 0 (i32.add (local.get $v1) (local.get $o)) (f32x4.demote_f64x2_zero (local.get $vi)))
      (v128.store64_lane 0 (i32.add (local.get $p1) (local.get $o))
        (f32x4.demote_f64x2_zero
          (f64x2.sub (f64x2.mul (local.get $pi) (local.get $D))
                     (f64x2.div (f64x2.mul (local.get $ST) (local.get $mi))
                                (f64x2.add (f64x2.div (f64x2.sqrt (local.get $vi)) (local.get $BC)) (local.get $E))))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $l2)))
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gs (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $g) (local.get $o)))) (local.get $scale)))
        (local.set $ms (f64.add (f64.mul (local.get $beta1) (f64.promote_f32 (f32.load (i32.add (local.get $m) (local.get $o)))))
                                (f64.mul (local.get $omb1) (local.get $gs))))
        (local.set $vs (f64.add (f64.mul (local.get $beta2) (f64.promote_f32 (f32.load (i32.add (local.get $v) (local.get $o)))))
                                (f64.mul (f64.mul (local.get $omb2) (local.get $gs)) (local.get $gs))))
        (f32.store (i32.add (local.get $m1) (local.get $o)) (f32.demote_f64 (local.get $ms)))
        (f32.store (i32.add (local.get $v1) (local.get $o)) (f32.demote_f64 (local.get $vs)))
        (f32.store (i32.add (local.get $p1) (local.get $o))
          (f32.demote_f64
            (f64.sub (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $o)))) (local.get $decay))
                     (f64.div (f64.mul (local.get $step) (local.get $ms))
                              (f64.add (f64.div (f64.sqrt (local.get $vs)) (local.get $bc2sqrt)) (local.get $eps))))))))))
