;; Softmax cross-entropy over rows of logits, in wasm SIMD, reading and writing the wasm backend's memory in place
;; (pointers are byte offsets into it). Assembled by `deno task build-wasm` into xent_wasm.ts; run by xent_wasm.ts.
;;
;; exp is Cephes' single-precision method on four lanes: n = round(x·log2 e), r = x − n·ln 2 (in two parts), a
;; degree-5 polynomial for e^r, scaled by 2^n built in the exponent bits. Plain multiplies and adds only, so every
;; engine gives the same bits. Inputs are clamped to [−87.3, 88] (2^n stays a normal float); here they are ≤ 0.
(module
  (import "env" "memory" (memory 1))

  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $z v128) (local $y v128)
    (local.set $x (f32x4.max (f32x4.min (local.get $x) (v128.const f32x4 88.0 88.0 88.0 88.0))
                             (v128.const f32x4 -87.3 -87.3 -87.3 -87.3)))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x)
                                             (v128.const f32x4 1.44269504088896341 1.44269504088896341
                                                                1.44269504088896341 1.44269504088896341))))
    (local.set $x (f32x4.sub (local.get $x) (f32x4.mul (local.get $n)
                                                       (v128.const f32x4 0.693359375 0.693359375
                                                                          0.693359375 0.693359375))))
    (local.set $x (f32x4.sub (local.get $x) (f32x4.mul (local.get $n)
                                                       (v128.const f32x4 -2.12194440e-4 -2.12194440e-4
                                                                          -2.12194440e-4 -2.12194440e-4))))
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $y (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x))
                             (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x))
                             (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x))
                             (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x))
                             (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x))
                             (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $y) (local.get $z)) (local.get $x))
                             (v128.const f32x4 1.0 1.0 1.0 1.0)))
    ;; 2^n: (n + 127) << 23 read as a float
    (f32x4.mul (local.get $y)
               (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127))
                          (i32.const 23))))

  ;; e^x of one number through the same lanes (the rows' tails use it, so that tails and bodies agree).
  (func $exp1 (param $x f32) (result f32)
    (f32x4.extract_lane 0 (call $exp4 (f32x4.splat (local.get $x)))))

  ;; For each row r of x (rows × V floats) with weight w[r] ≠ 0: out[2r] = max, out[2r + 1] = Σ e^(x − max);
  ;; a row of weight 0 gets (0, 1), so that its log-sum-exp is 0 without reading it.
  (func (export "row_stats") (param $x i32) (param $w i32) (param $rows i32) (param $V i32) (param $out i32)
    (local $r i32) (local $p i32) (local $end i32) (local $body i32) (local $m v128) (local $s v128)
    (local $max f32) (local $sum f32)
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (if (f32.eq (f32.load (i32.add (local.get $w) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then
          (f32.store (local.get $out) (f32.const 0))
          (f32.store offset=4 (local.get $out) (f32.const 1)))
        (else
          (local.set $end (i32.add (local.get $x) (i32.shl (local.get $V) (i32.const 2))))
          (local.set $body (i32.add (local.get $x) (i32.shl (i32.and (local.get $V) (i32.const -4)) (i32.const 2))))
          ;; the row's maximum
          (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
          (local.set $p (local.get $x))
          (block $b1 (loop $l1
            (br_if $b1 (i32.ge_u (local.get $p) (local.get $body)))
            (local.set $m (f32x4.max (local.get $m) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $l1)))
          (local.set $max (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
                                   (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
          (block $b2 (loop $l2
            (br_if $b2 (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $max (f32.max (local.get $max) (f32.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $l2)))
          ;; Σ e^(x − max), four lanes, then the lanes in order, then the tail
          (local.set $m (f32x4.splat (local.get $max)))
          (local.set $s (v128.const f32x4 0 0 0 0))
          (local.set $p (local.get $x))
          (block $b3 (loop $l3
            (br_if $b3 (i32.ge_u (local.get $p) (local.get $body)))
            (local.set $s (f32x4.add (local.get $s) (call $exp4 (f32x4.sub (v128.load (local.get $p)) (local.get $m)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $l3)))
          (local.set $sum (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s)) (f32x4.extract_lane 1 (local.get $s)))
                                   (f32.add (f32x4.extract_lane 2 (local.get $s)) (f32x4.extract_lane 3 (local.get $s)))))
          (block $b4 (loop $l4
            (br_if $b4 (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $sum (f32.add (local.get $sum) (call $exp1 (f32.sub (f32.load (local.get $p)) (local.get $max)))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $l4)))
          (f32.store (local.get $out) (local.get $max))
          (f32.store offset=4 (local.get $out) (local.get $sum))))
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $V) (i32.const 2))))
      (local.set $out (i32.add (local.get $out) (i32.const 8)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; dx[r, j] = e^(x[r, j] − lse[r])·w[r] (the softmax scaled by the row's weight); rows of weight 0 are zeros.
  (func (export "softmax_scaled") (param $x i32) (param $lse i32) (param $w i32) (param $rows i32) (param $V i32)
                                  (param $dx i32)
    (local $r i32) (local $p i32) (local $q i32) (local $end i32) (local $body i32) (local $l v128) (local $k v128)
    (local $weight f32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $V) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $weight (f32.load (i32.add (local.get $w) (i32.shl (local.get $r) (i32.const 2)))))
      (if (f32.eq (local.get $weight) (f32.const 0))
        (then (memory.fill (local.get $dx) (i32.const 0) (local.get $bytes)))
        (else
          (local.set $l (f32x4.splat (f32.load (i32.add (local.get $lse) (i32.shl (local.get $r) (i32.const 2))))))
          (local.set $k (f32x4.splat (local.get $weight)))
          (local.set $end (i32.add (local.get $x) (local.get $bytes)))
          (local.set $body (i32.add (local.get $x) (i32.shl (i32.and (local.get $V) (i32.const -4)) (i32.const 2))))
          (local.set $p (local.get $x))
          (local.set $q (local.get $dx))
          (block $b1 (loop $l1
            (br_if $b1 (i32.ge_u (local.get $p) (local.get $body)))
            (v128.store (local.get $q)
                        (f32x4.mul (call $exp4 (f32x4.sub (v128.load (local.get $p)) (local.get $l))) (local.get $k)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $l1)))
          (block $b2 (loop $l2
            (br_if $b2 (i32.ge_u (local.get $p) (local.get $end)))
            (f32.store (local.get $q)
                       (f32.mul (call $exp1 (f32.sub (f32.load (local.get $p)) (f32x4.extract_lane 0 (local.get $l))))
                                (local.get $weight)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br $l2)))))
      (local.set $x (i32.add (local.get $x) (local.get $bytes)))
      (local.set $dx (i32.add (local.get $dx) (local.get $bytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))
)
