;; copra's matrix product for tfjs's wasm backend: C = op(A)·op(B), row-major float32, in 128-bit SIMD.
;;
;; The module imports the backend's own memory, so it reads its operands and writes its result where tfjs keeps
;; them (byte offsets; no copies). `model/kernels/gemm.ts` calls it once per matrix of a batched product;
;; `deno task build-wasm` assembles this file into `gemm_wasm.ts`.
;;
;; Blocking: B is first copied into K×8 panels (eight columns each, zero-padded past N, read transposed when B
;; is); then C is computed four rows at a time, each 4×8 tile from one B panel and four rows of A — read in place
;; when A is stored row by row, copied into a K×4 panel when it is transposed — with eight f32x4 accumulators and
;; B's eight columns as two vectors. A's entries are loaded as vectors (four k of a row, or four rows of a k) and
;; broadcast by lane shuffles: a broadcast load per entry was the kernel's bottleneck (four per step of k, against
;; two loads of B). One row of A takes a one-row loop over the panels ($rowPacked); up to four rows times a
;; transposed B skip the copy ($rowsTransB); `pack` and `gemm_packed` let a caller pack a B once for many products
;; (decoding's LM head). Each entry of C is Σₖ A(i,k)·B(k,j) accumulated in order of k with separate multiply and add
;; (no fused multiply-add): the same bits on every machine, whatever the number of rows.

(module
  (import "env" "memory" (memory 1))

  ;; Copies B into ceil(N/8) panels at $dst, panel p holding columns 8p..8p+7 as K rows of 8 floats:
  ;; dst[p·8K + k·8 + jj] = B(k, 8p+jj), zero past N. B(k, j) is at b + 4·(k·ldb + j), or b + 4·(j·ldb + k) when
  ;; transposed.
  (func $packB (param $b i32) (param $ldb i32) (param $transB i32) (param $K i32) (param $N i32) (param $dst i32)
    (local $j0 i32) (local $w i32) (local $k i32) (local $jj i32) (local $src i32) (local $rowStep i32)
    (local $colStep i32)
    (local $end i32) (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $c4 i32) (local $c5 i32)
    (local $c6 i32) (local $c7 i32) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    ;; bytes between B(k, j) and B(k+1, j), and between B(k, j) and B(k, j+1)
    (if (local.get $transB)
      (then (local.set $rowStep (i32.const 4)) (local.set $colStep (i32.shl (local.get $ldb) (i32.const 2))))
      (else (local.set $rowStep (i32.shl (local.get $ldb) (i32.const 2))) (local.set $colStep (i32.const 4))))
    (local.set $j0 (i32.const 0))
    (block $panels_done
      (loop $panels
        (br_if $panels_done (i32.ge_u (local.get $j0) (local.get $N)))
        (local.set $w (i32.sub (local.get $N) (local.get $j0)))
        (if (i32.gt_u (local.get $w) (i32.const 8)) (then (local.set $w (i32.const 8))))
        (local.set $k (i32.const 0))
        (if (i32.and (local.get $transB) (i32.eq (local.get $w) (i32.const 8)))
          (then
            ;; B transposed, a full panel: its eight columns are eight rows of memory; four k of each per turn,
            ;; transposed in registers (4×4 blocks), then the last K mod 4 entry by entry below
            (local.set $c0 (i32.add (local.get $b) (i32.mul (local.get $j0) (local.get $colStep))))
            (local.set $c1 (i32.add (local.get $c0) (local.get $colStep)))
            (local.set $c2 (i32.add (local.get $c1) (local.get $colStep)))
            (local.set $c3 (i32.add (local.get $c2) (local.get $colStep)))
            (local.set $c4 (i32.add (local.get $c3) (local.get $colStep)))
            (local.set $c5 (i32.add (local.get $c4) (local.get $colStep)))
            (local.set $c6 (i32.add (local.get $c5) (local.get $colStep)))
            (local.set $c7 (i32.add (local.get $c6) (local.get $colStep)))
            (local.set $end (i32.and (local.get $K) (i32.const -4)))
            (block $done
              (loop $quads
                (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
                ;; columns 0..3: four k of each, transposed into four k rows of four
                (local.set $r0 (v128.load (local.get $c0)))
                (local.set $r1 (v128.load (local.get $c1)))
                (local.set $r2 (v128.load (local.get $c2)))
                (local.set $r3 (v128.load (local.get $c3)))
                (local.set $s0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                (local.set $s1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                (local.set $s2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                (local.set $s3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                (v128.store offset=0 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s0) (local.get $s1)))
                (v128.store offset=32 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s0) (local.get $s1)))
                (v128.store offset=64 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s2) (local.get $s3)))
                (v128.store offset=96 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s2) (local.get $s3)))
                ;; columns 4..7: four k of each, transposed into four k rows of four
                (local.set $r0 (v128.load (local.get $c4)))
                (local.set $r1 (v128.load (local.get $c5)))
                (local.set $r2 (v128.load (local.get $c6)))
                (local.set $r3 (v128.load (local.get $c7)))
                (local.set $s0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                (local.set $s1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                (local.set $s2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                (local.set $s3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                (v128.store offset=16 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s0) (local.get $s1)))
                (v128.store offset=48 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s0) (local.get $s1)))
                (v128.store offset=80 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s2) (local.get $s3)))
                (v128.store offset=112 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s2) (local.get $s3)))
                (local.set $c0 (i32.add (local.get $c0) (i32.const 16)))
                (local.set $c1 (i32.add (local.get $c1) (i32.const 16)))
                (local.set $c2 (i32.add (local.get $c2) (i32.const 16)))
                (local.set $c3 (i32.add (local.get $c3) (i32.const 16)))
                (local.set $c4 (i32.add (local.get $c4) (i32.const 16)))
                (local.set $c5 (i32.add (local.get $c5) (i32.const 16)))
                (local.set $c6 (i32.add (local.get $c6) (i32.const 16)))
                (local.set $c7 (i32.add (local.get $c7) (i32.const 16)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 128)))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $quads)))))
        (if (i32.and (i32.eqz (local.get $transB)) (i32.eq (local.get $w) (i32.const 8)))
          (then
            ;; B as stored, a full panel: two vector copies per row
            (local.set $src (i32.add (local.get $b) (i32.shl (local.get $j0) (i32.const 2))))
            (block $done
              (loop $rows
                (br_if $done (i32.ge_u (local.get $k) (local.get $K)))
                (v128.store (local.get $dst) (v128.load (local.get $src)))
                (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
                (local.set $src (i32.add (local.get $src) (local.get $rowStep)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $rows))))
          (else
            ;; otherwise entry by entry from k on, zeros past w
            (block $done
              (loop $rows
                (br_if $done (i32.ge_u (local.get $k) (local.get $K)))
                (local.set $src
                  (i32.add
                    (i32.add (local.get $b) (i32.mul (local.get $k) (local.get $rowStep)))
                    (i32.mul (local.get $j0) (local.get $colStep))))
                (v128.store (local.get $dst) (v128.const f32x4 0 0 0 0))
                (v128.store offset=16 (local.get $dst) (v128.const f32x4 0 0 0 0))
                (local.set $jj (i32.const 0))
                (block $cols_done
                  (loop $cols
                    (br_if $cols_done (i32.ge_u (local.get $jj) (local.get $w)))
                    (f32.store (i32.add (local.get $dst) (i32.shl (local.get $jj) (i32.const 2))) (f32.load (local.get $src)))
                    (local.set $src (i32.add (local.get $src) (local.get $colStep)))
                    (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
                    (br $cols)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $rows)))))
        (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))
        (br $panels))))

  ;; Copies rows i0..i0+rows-1 (rows ≤ 4) of A into a K×4 panel at $dst: dst[k·4 + r] = A(i0+r, k), zero for
  ;; r ≥ rows. $p points at A(i0, 0); $aRow and $aK are the bytes to the next row and to the next k.
  (func $packA (param $p i32) (param $aRow i32) (param $aK i32) (param $K i32) (param $rows i32) (param $dst i32)
    (local $k i32) (local $r i32) (local $src i32)
    (local.set $k (i32.const 0))
    (if (i32.and (i32.eq (local.get $aRow) (i32.const 4)) (i32.eq (local.get $rows) (i32.const 4)))
      (then
        ;; A transposed: the four rows' entries of one k are adjacent
        (block $done
          (loop $ks
            (br_if $done (i32.ge_u (local.get $k) (local.get $K)))
            (v128.store (local.get $dst) (v128.load (local.get $p)))
            (local.set $p (i32.add (local.get $p) (local.get $aK)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $ks)))
        (return)))
    (block $done
      (loop $ks
        (br_if $done (i32.ge_u (local.get $k) (local.get $K)))
        (v128.store (local.get $dst) (v128.const f32x4 0 0 0 0))
        (local.set $src (local.get $p))
        (local.set $r (i32.const 0))
        (block $rows_done
          (loop $rs
            (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
            (f32.store (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2))) (f32.load (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $aRow)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rs)))
        (local.set $p (i32.add (local.get $p) (local.get $aK)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $ks))))

  ;; Writes the first w columns of a tile row (two vectors) to C at $dst: all eight with two stores, fewer one by one.
  (func $storeRow (param $dst i32) (param $lo v128) (param $hi v128) (param $w i32)
    (if (i32.eq (local.get $w) (i32.const 8))
      (then
        (v128.store (local.get $dst) (local.get $lo))
        (v128.store offset=16 (local.get $dst) (local.get $hi))
        (return)))
    (if (i32.gt_u (local.get $w) (i32.const 0)) (then (f32.store offset=0 (local.get $dst) (f32x4.extract_lane 0 (local.get $lo)))))
    (if (i32.gt_u (local.get $w) (i32.const 1)) (then (f32.store offset=4 (local.get $dst) (f32x4.extract_lane 1 (local.get $lo)))))
    (if (i32.gt_u (local.get $w) (i32.const 2)) (then (f32.store offset=8 (local.get $dst) (f32x4.extract_lane 2 (local.get $lo)))))
    (if (i32.gt_u (local.get $w) (i32.const 3)) (then (f32.store offset=12 (local.get $dst) (f32x4.extract_lane 3 (local.get $lo)))))
    (if (i32.gt_u (local.get $w) (i32.const 4)) (then (f32.store offset=16 (local.get $dst) (f32x4.extract_lane 0 (local.get $hi)))))
    (if (i32.gt_u (local.get $w) (i32.const 5)) (then (f32.store offset=20 (local.get $dst) (f32x4.extract_lane 1 (local.get $hi)))))
    (if (i32.gt_u (local.get $w) (i32.const 6)) (then (f32.store offset=24 (local.get $dst) (f32x4.extract_lane 2 (local.get $hi))))))


  ;; C's rows dst.. (rows ≤ 4 of them) from an A panel at $pa (K×4, see $packA) and B's panels at $panels: per k,
  ;; the four rows' entries are one vector load, each broadcast to a vector by a lane shuffle.
  (func $tilesPacked (param $pa i32) (param $panels i32) (param $K i32) (param $N i32)
    (param $dst i32) (param $ldcBytes i32) (param $rows i32)
    (local $q i32) (local $j0 i32) (local $w i32) (local $pb i32) (local $end i32) (local $d i32) (local $v v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $pb (local.get $panels))
    (local.set $j0 (i32.const 0))
    (block $panels_done
      (loop $panel
        (br_if $panels_done (i32.ge_u (local.get $j0) (local.get $N)))
        (local.set $w (i32.sub (local.get $N) (local.get $j0)))
        (if (i32.gt_u (local.get $w) (i32.const 8)) (then (local.set $w (i32.const 8))))
        (local.set $c00 (v128.const f32x4 0 0 0 0)) (local.set $c01 (v128.const f32x4 0 0 0 0)) (local.set $c10 (v128.const f32x4 0 0 0 0)) (local.set $c11 (v128.const f32x4 0 0 0 0))
        (local.set $c20 (v128.const f32x4 0 0 0 0)) (local.set $c21 (v128.const f32x4 0 0 0 0)) (local.set $c30 (v128.const f32x4 0 0 0 0)) (local.set $c31 (v128.const f32x4 0 0 0 0))
        (local.set $q (local.get $pa))
        ;; one step of k per turn; $pb walks the panel (32 bytes per k), $q the A panel (16 bytes per k)
        (local.set $end (i32.add (local.get $pb) (i32.shl (local.get $K) (i32.const 5))))
        (block $k_done
          (loop $ks
            (br_if $k_done (i32.ge_u (local.get $pb) (local.get $end)))
            (local.set $v (v128.load (local.get $q)))
            (local.set $b0 (v128.load offset=0 (local.get $pb)))
            (local.set $b1 (v128.load offset=16 (local.get $pb)))
            (local.set $a0 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $v) (local.get $v)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
            (local.set $a1 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $v) (local.get $v)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
            (local.set $a2 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $v) (local.get $v)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a2) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a2) (local.get $b1))))
            (local.set $a3 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $v) (local.get $v)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a3) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a3) (local.get $b1))))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
            (br $ks)))
        (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $j0) (i32.const 2))))
        (if (i32.and (i32.eq (local.get $w) (i32.const 8)) (i32.eq (local.get $rows) (i32.const 4)))
          (then
            ;; a whole tile: eight stores
            (v128.store (local.get $d) (local.get $c00)) (v128.store offset=16 (local.get $d) (local.get $c01))
            (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
            (v128.store (local.get $d) (local.get $c10)) (v128.store offset=16 (local.get $d) (local.get $c11))
            (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
            (v128.store (local.get $d) (local.get $c20)) (v128.store offset=16 (local.get $d) (local.get $c21))
            (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
            (v128.store (local.get $d) (local.get $c30)) (v128.store offset=16 (local.get $d) (local.get $c31)))
          (else
            (call $storeRow (local.get $d) (local.get $c00) (local.get $c01) (local.get $w))
            (if (i32.gt_u (local.get $rows) (i32.const 1))
              (then
                (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
                (call $storeRow (local.get $d) (local.get $c10) (local.get $c11) (local.get $w))))
            (if (i32.gt_u (local.get $rows) (i32.const 2))
              (then
                (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
                (call $storeRow (local.get $d) (local.get $c20) (local.get $c21) (local.get $w))))
            (if (i32.gt_u (local.get $rows) (i32.const 3))
              (then
                (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
                (call $storeRow (local.get $d) (local.get $c30) (local.get $c31) (local.get $w))))))
        (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))
        (br $panel))))

  ;; The same from four rows of A read where they are (row r at $pr, k-th entry 4·k bytes on; rows past M repeat
  ;; row 0): four steps of k per turn, each row's four entries one vector load, broadcast lane by lane with shuffles
  ;; (a load-and-broadcast per entry costs more than a shuffle); the last K mod 4 steps broadcast from memory.
  (func $tilesDirect (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (param $panels i32) (param $K i32) (param $N i32)
    (param $dst i32) (param $ldcBytes i32) (param $rows i32)
    (local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32) (local $j0 i32) (local $w i32) (local $pb i32) (local $end i32) (local $d i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $pb (local.get $panels))
    (local.set $j0 (i32.const 0))
    (block $panels_done
      (loop $panel
        (br_if $panels_done (i32.ge_u (local.get $j0) (local.get $N)))
        (local.set $w (i32.sub (local.get $N) (local.get $j0)))
        (if (i32.gt_u (local.get $w) (i32.const 8)) (then (local.set $w (i32.const 8))))
        (local.set $c00 (v128.const f32x4 0 0 0 0)) (local.set $c01 (v128.const f32x4 0 0 0 0)) (local.set $c10 (v128.const f32x4 0 0 0 0)) (local.set $c11 (v128.const f32x4 0 0 0 0))
        (local.set $c20 (v128.const f32x4 0 0 0 0)) (local.set $c21 (v128.const f32x4 0 0 0 0)) (local.set $c30 (v128.const f32x4 0 0 0 0)) (local.set $c31 (v128.const f32x4 0 0 0 0))
        (local.set $q0 (local.get $p0))
        (local.set $q1 (local.get $p1))
        (local.set $q2 (local.get $p2))
        (local.set $q3 (local.get $p3))
        ;; four steps of k per turn; $pb walks the panel (32 bytes per k)
        (local.set $end (i32.add (local.get $pb) (i32.shl (i32.shr_u (local.get $K) (i32.const 2)) (i32.const 7))))
        (block $k_done
          (loop $ks
            (br_if $k_done (i32.ge_u (local.get $pb) (local.get $end)))
            (local.set $v0 (v128.load (local.get $q0)))
            (local.set $v1 (v128.load (local.get $q1)))
            (local.set $v2 (v128.load (local.get $q2)))
            (local.set $v3 (v128.load (local.get $q3)))
            (local.set $b0 (v128.load offset=0 (local.get $pb)))
            (local.set $b1 (v128.load offset=16 (local.get $pb)))
            (local.set $a0 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $v0) (local.get $v0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
            (local.set $a1 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $v1) (local.get $v1)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
            (local.set $a2 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $v2) (local.get $v2)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a2) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a2) (local.get $b1))))
            (local.set $a3 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $v3) (local.get $v3)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a3) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a3) (local.get $b1))))
            (local.set $b0 (v128.load offset=32 (local.get $pb)))
            (local.set $b1 (v128.load offset=48 (local.get $pb)))
            (local.set $a0 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $v0) (local.get $v0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
            (local.set $a1 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $v1) (local.get $v1)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
            (local.set $a2 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $v2) (local.get $v2)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a2) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a2) (local.get $b1))))
            (local.set $a3 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $v3) (local.get $v3)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a3) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a3) (local.get $b1))))
            (local.set $b0 (v128.load offset=64 (local.get $pb)))
            (local.set $b1 (v128.load offset=80 (local.get $pb)))
            (local.set $a0 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $v0) (local.get $v0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
            (local.set $a1 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $v1) (local.get $v1)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
            (local.set $a2 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $v2) (local.get $v2)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a2) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a2) (local.get $b1))))
            (local.set $a3 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $v3) (local.get $v3)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a3) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a3) (local.get $b1))))
            (local.set $b0 (v128.load offset=96 (local.get $pb)))
            (local.set $b1 (v128.load offset=112 (local.get $pb)))
            (local.set $a0 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $v0) (local.get $v0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
            (local.set $a1 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $v1) (local.get $v1)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
            (local.set $a2 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $v2) (local.get $v2)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a2) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a2) (local.get $b1))))
            (local.set $a3 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $v3) (local.get $v3)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a3) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a3) (local.get $b1))))
            (local.set $q0 (i32.add (local.get $q0) (i32.const 16)))
            (local.set $q1 (i32.add (local.get $q1) (i32.const 16)))
            (local.set $q2 (i32.add (local.get $q2) (i32.const 16)))
            (local.set $q3 (i32.add (local.get $q3) (i32.const 16)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 128)))
            (br $ks)))
        ;; the last K mod 4 steps
        (local.set $end (i32.add (local.get $pb) (i32.shl (i32.and (local.get $K) (i32.const 3)) (i32.const 5))))
        (block $rest_done
          (loop $rest
            (br_if $rest_done (i32.ge_u (local.get $pb) (local.get $end)))
            (local.set $b0 (v128.load offset=0 (local.get $pb)))
            (local.set $b1 (v128.load offset=16 (local.get $pb)))
            (local.set $a0 (v128.load32_splat (local.get $q0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
            (local.set $a1 (v128.load32_splat (local.get $q1)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
            (local.set $a2 (v128.load32_splat (local.get $q2)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a2) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a2) (local.get $b1))))
            (local.set $a3 (v128.load32_splat (local.get $q3)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a3) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a3) (local.get $b1))))
            (local.set $q0 (i32.add (local.get $q0) (i32.const 4)))
            (local.set $q1 (i32.add (local.get $q1) (i32.const 4)))
            (local.set $q2 (i32.add (local.get $q2) (i32.const 4)))
            (local.set $q3 (i32.add (local.get $q3) (i32.const 4)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
            (br $rest)))
        (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $j0) (i32.const 2))))
        (if (i32.and (i32.eq (local.get $w) (i32.const 8)) (i32.eq (local.get $rows) (i32.const 4)))
          (then
            ;; a whole tile: eight stores
            (v128.store (local.get $d) (local.get $c00)) (v128.store offset=16 (local.get $d) (local.get $c01))
            (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
            (v128.store (local.get $d) (local.get $c10)) (v128.store offset=16 (local.get $d) (local.get $c11))
            (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
            (v128.store (local.get $d) (local.get $c20)) (v128.store offset=16 (local.get $d) (local.get $c21))
            (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
            (v128.store (local.get $d) (local.get $c30)) (v128.store offset=16 (local.get $d) (local.get $c31)))
          (else
            (call $storeRow (local.get $d) (local.get $c00) (local.get $c01) (local.get $w))
            (if (i32.gt_u (local.get $rows) (i32.const 1))
              (then
                (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
                (call $storeRow (local.get $d) (local.get $c10) (local.get $c11) (local.get $w))))
            (if (i32.gt_u (local.get $rows) (i32.const 2))
              (then
                (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
                (call $storeRow (local.get $d) (local.get $c20) (local.get $c21) (local.get $w))))
            (if (i32.gt_u (local.get $rows) (i32.const 3))
              (then
                (local.set $d (i32.add (local.get $d) (local.get $ldcBytes)))
                (call $storeRow (local.get $d) (local.get $c30) (local.get $c31) (local.get $w))))))
        (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))
        (br $panel))))

  ;; C's rows (rows ≤ 2 of them) = A·Bᵀ for A stored row by row and B stored transposed (row j of memory is column j
  ;; of Bᵀ), B read in place eight columns at a time: four k of each column loaded as vectors and transposed in
  ;; registers (two 4×4 blocks), so that a product of a few rows by a large transposed matrix (decoding's LM head)
  ;; reads it once instead of copying it into panels first. A last slab narrower than eight is copied to $scratch
  ;; with zero rows after it (32·K bytes). Entries of C are summed in order of k with the tiles' operations: the same
  ;; bits as the tiles give.
  (func $rowsTransB (param $a i32) (param $aRow i32) (param $b i32) (param $ldbBytes i32) (param $K i32) (param $N i32)
    (param $c i32) (param $ldcBytes i32) (param $rows i32) (param $scratch i32)
    (local $j0 i32) (local $w i32) (local $k i32) (local $K4 i32) (local $jj i32) (local $kBytes i32) (local $q0 i32)
    (local $q1 i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $p4 i32) (local $p5 i32)
    (local $p6 i32) (local $p7 i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $s0 v128) (local $s1 v128) (local $s2 v128)
    (local $s3 v128) (local $v v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $b4 v128) (local $b5 v128) (local $b6 v128)
    (local $b7 v128) (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local.set $K4 (i32.and (local.get $K) (i32.const -4)))
    (local.set $kBytes (i32.shl (local.get $K) (i32.const 2)))
    (local.set $j0 (i32.const 0))
    (block $slabs_done
      (loop $slab
        (br_if $slabs_done (i32.ge_u (local.get $j0) (local.get $N)))
        (local.set $w (i32.sub (local.get $N) (local.get $j0)))
        (if (i32.gt_u (local.get $w) (i32.const 8)) (then (local.set $w (i32.const 8))))
        (if (i32.eq (local.get $w) (i32.const 8))
          (then (local.set $p0 (i32.add (local.get $b) (i32.mul (local.get $j0) (local.get $ldbBytes)))))
          (else
            ;; the last w < 8 columns' rows, then zero rows
            (memory.fill (local.get $scratch) (i32.const 0) (i32.shl (local.get $kBytes) (i32.const 3)))
            (local.set $jj (i32.const 0))
            (block $copied
              (loop $copy
                (br_if $copied (i32.ge_u (local.get $jj) (local.get $w)))
                (memory.copy (i32.add (local.get $scratch) (i32.mul (local.get $jj) (local.get $kBytes)))
                  (i32.add (local.get $b) (i32.mul (i32.add (local.get $j0) (local.get $jj)) (local.get $ldbBytes))) (local.get $kBytes))
                (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
                (br $copy)))
            (local.set $p0 (local.get $scratch))
            (local.set $ldbBytes (local.get $kBytes))))
        (local.set $p1 (i32.add (local.get $p0) (local.get $ldbBytes)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $ldbBytes)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $ldbBytes)))
        (local.set $p4 (i32.add (local.get $p3) (local.get $ldbBytes)))
        (local.set $p5 (i32.add (local.get $p4) (local.get $ldbBytes)))
        (local.set $p6 (i32.add (local.get $p5) (local.get $ldbBytes)))
        (local.set $p7 (i32.add (local.get $p6) (local.get $ldbBytes)))
        (local.set $c00 (v128.const f32x4 0 0 0 0)) (local.set $c01 (v128.const f32x4 0 0 0 0))
        (local.set $c10 (v128.const f32x4 0 0 0 0)) (local.set $c11 (v128.const f32x4 0 0 0 0))
        (local.set $q0 (local.get $a))
        (local.set $q1 (i32.add (local.get $a) (local.get $aRow)))
        (local.set $k (i32.const 0))
        (block $k_done
          (loop $ks
            (br_if $k_done (i32.ge_u (local.get $k) (local.get $K4)))
            ;; four k of the eight columns, transposed: $b0..$b3 (columns 0–3) and $b4..$b7 (4–7) at k, k+1, k+2, k+3
            (local.set $r0 (v128.load (local.get $p0)))
            (local.set $r1 (v128.load (local.get $p1)))
            (local.set $r2 (v128.load (local.get $p2)))
            (local.set $r3 (v128.load (local.get $p3)))
            (local.set $s0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $s1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $s2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $s3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (local.set $b0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s0) (local.get $s1)))
            (local.set $b1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s0) (local.get $s1)))
            (local.set $b2 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s2) (local.get $s3)))
            (local.set $b3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s2) (local.get $s3)))
            (local.set $r0 (v128.load (local.get $p4)))
            (local.set $r1 (v128.load (local.get $p5)))
            (local.set $r2 (v128.load (local.get $p6)))
            (local.set $r3 (v128.load (local.get $p7)))
            (local.set $s0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $s1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $s2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $s3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (local.set $b4 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s0) (local.get $s1)))
            (local.set $b5 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s0) (local.get $s1)))
            (local.set $b6 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s2) (local.get $s3)))
            (local.set $b7 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s2) (local.get $s3)))
            (local.set $v (v128.load (local.get $q0)))
            (local.set $a0 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $v) (local.get $v)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b4))))
            (local.set $a1 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $v) (local.get $v)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a1) (local.get $b1))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a1) (local.get $b5))))
            (local.set $a2 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $v) (local.get $v)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a2) (local.get $b2))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a2) (local.get $b6))))
            (local.set $a3 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $v) (local.get $v)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a3) (local.get $b3))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a3) (local.get $b7))))
            (if (i32.gt_u (local.get $rows) (i32.const 1))
              (then
                (local.set $v (v128.load (local.get $q1)))
                (local.set $a0 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $v) (local.get $v)))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a0) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a0) (local.get $b4))))
                (local.set $a1 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $v) (local.get $v)))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b1))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b5))))
                (local.set $a2 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $v) (local.get $v)))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a2) (local.get $b2))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a2) (local.get $b6))))
                (local.set $a3 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $v) (local.get $v)))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a3) (local.get $b3))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a3) (local.get $b7))))))
            (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
            (local.set $p1 (i32.add (local.get $p1) (i32.const 16)))
            (local.set $p2 (i32.add (local.get $p2) (i32.const 16)))
            (local.set $p3 (i32.add (local.get $p3) (i32.const 16)))
            (local.set $p4 (i32.add (local.get $p4) (i32.const 16)))
            (local.set $p5 (i32.add (local.get $p5) (i32.const 16)))
            (local.set $p6 (i32.add (local.get $p6) (i32.const 16)))
            (local.set $p7 (i32.add (local.get $p7) (i32.const 16)))
            (local.set $q0 (i32.add (local.get $q0) (i32.const 16)))
            (local.set $q1 (i32.add (local.get $q1) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $ks)))
        ;; the last K mod 4 steps, one k at a time
        (block $rest_done
          (loop $rest
            (br_if $rest_done (i32.ge_u (local.get $k) (local.get $K)))
            (local.set $b0 (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (f32.load (local.get $p0)))
              (f32.load (local.get $p1))) (f32.load (local.get $p2))) (f32.load (local.get $p3))))
            (local.set $b4 (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (f32.load (local.get $p4)))
              (f32.load (local.get $p5))) (f32.load (local.get $p6))) (f32.load (local.get $p7))))
            (local.set $a0 (v128.load32_splat (local.get $q0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b4))))
            (if (i32.gt_u (local.get $rows) (i32.const 1))
              (then
                (local.set $a0 (v128.load32_splat (local.get $q1)))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a0) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a0) (local.get $b4))))))
            (local.set $p0 (i32.add (local.get $p0) (i32.const 4)))
            (local.set $p1 (i32.add (local.get $p1) (i32.const 4)))
            (local.set $p2 (i32.add (local.get $p2) (i32.const 4)))
            (local.set $p3 (i32.add (local.get $p3) (i32.const 4)))
            (local.set $p4 (i32.add (local.get $p4) (i32.const 4)))
            (local.set $p5 (i32.add (local.get $p5) (i32.const 4)))
            (local.set $p6 (i32.add (local.get $p6) (i32.const 4)))
            (local.set $p7 (i32.add (local.get $p7) (i32.const 4)))
            (local.set $q0 (i32.add (local.get $q0) (i32.const 4)))
            (local.set $q1 (i32.add (local.get $q1) (i32.const 4)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $rest)))
        (call $storeRow (i32.add (local.get $c) (i32.shl (local.get $j0) (i32.const 2))) (local.get $c00) (local.get $c01) (local.get $w))
        (if (i32.gt_u (local.get $rows) (i32.const 1))
          (then (call $storeRow (i32.add (i32.add (local.get $c) (local.get $ldcBytes)) (i32.shl (local.get $j0) (i32.const 2)))
            (local.get $c10) (local.get $c11) (local.get $w))))
        (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))
        (br $slab))))


  ;; One row of C from A's row at $a (K entries) and B's packed panels at $panels (see $packB): per panel, per k, two
  ;; vectors of B against A's entry broadcast by a lane shuffle (four k of A per vector load); the same sums, in order
  ;; of k, as the tiles.
  (func $rowPacked (param $a i32) (param $panels i32) (param $K i32) (param $N i32) (param $c i32)
    (local $j0 i32) (local $w i32) (local $pb i32) (local $q i32) (local $k i32) (local $K4 i32) (local $v v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128)
    (local $c0 v128) (local $c1 v128)
    (local.set $K4 (i32.and (local.get $K) (i32.const -4)))
    (local.set $pb (local.get $panels))
    (local.set $j0 (i32.const 0))
    (block $panels_done
      (loop $panel
        (br_if $panels_done (i32.ge_u (local.get $j0) (local.get $N)))
        (local.set $w (i32.sub (local.get $N) (local.get $j0)))
        (if (i32.gt_u (local.get $w) (i32.const 8)) (then (local.set $w (i32.const 8))))
        (local.set $c0 (v128.const f32x4 0 0 0 0)) (local.set $c1 (v128.const f32x4 0 0 0 0))
        (local.set $q (local.get $a))
        (local.set $k (i32.const 0))
        (block $k_done (loop $ks (br_if $k_done (i32.ge_u (local.get $k) (local.get $K4)))
          (local.set $v (v128.load (local.get $q)))
          (local.set $a0 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $v) (local.get $v)))
          (local.set $b0 (v128.load offset=0 (local.get $pb))) (local.set $b1 (v128.load offset=16 (local.get $pb)))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $a0) (local.get $b0))))
          (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $a0) (local.get $b1))))
          (local.set $a1 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $v) (local.get $v)))
          (local.set $b0 (v128.load offset=32 (local.get $pb))) (local.set $b1 (v128.load offset=48 (local.get $pb)))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $a1) (local.get $b0))))
          (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $a1) (local.get $b1))))
          (local.set $a2 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $v) (local.get $v)))
          (local.set $b0 (v128.load offset=64 (local.get $pb))) (local.set $b1 (v128.load offset=80 (local.get $pb)))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $a2) (local.get $b0))))
          (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $a2) (local.get $b1))))
          (local.set $a3 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $v) (local.get $v)))
          (local.set $b0 (v128.load offset=96 (local.get $pb))) (local.set $b1 (v128.load offset=112 (local.get $pb)))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $a3) (local.get $b0))))
          (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $a3) (local.get $b1))))
          (local.set $q (i32.add (local.get $q) (i32.const 16))) (local.set $pb (i32.add (local.get $pb) (i32.const 128)))
          (local.set $k (i32.add (local.get $k) (i32.const 4))) (br $ks)))
        (block $rest_done (loop $rest (br_if $rest_done (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $a0 (v128.load32_splat (local.get $q)))
          (local.set $b0 (v128.load (local.get $pb))) (local.set $b1 (v128.load offset=16 (local.get $pb)))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $a0) (local.get $b0))))
          (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $a0) (local.get $b1))))
          (local.set $q (i32.add (local.get $q) (i32.const 4))) (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
          (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $rest)))
        (call $storeRow (i32.add (local.get $c) (i32.shl (local.get $j0) (i32.const 2))) (local.get $c0) (local.get $c1) (local.get $w))
        (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))
        (br $panel))))

  ;; C (M×N, row stride ldc) = op(A)·op(B), op(A) M×K, op(B) K×N. A(i, k) is at a + 4·(i·lda + k), or
  ;; a + 4·(k·lda + i) when transA; B likewise with ldb. $scratch: room for 4·K·(8·ceil(N/8) + 4) bytes.
  (func (export "gemm")
    (param $transA i32) (param $transB i32) (param $M i32) (param $N i32) (param $K i32)
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $scratch i32)
    (local $aRow i32) (local $i i32) (local $rows i32) (local $apack i32) (local $ldcBytes i32)
    (local.set $ldcBytes (i32.shl (local.get $ldc) (i32.const 2)))
    ;; up to four rows by a transposed B, two rows at a time: B read in place (packing it would cost more than the
    ;; product)
    (if (i32.and (i32.and (local.get $transB) (i32.eqz (local.get $transA))) (i32.le_u (local.get $M) (i32.const 4)))
      (then
        (local.set $aRow (i32.shl (local.get $lda) (i32.const 2)))
        (block $pairs_done
          (loop $pairs
            (br_if $pairs_done (i32.ge_u (local.get $i) (local.get $M)))
            (local.set $rows (i32.sub (local.get $M) (local.get $i)))
            (if (i32.gt_u (local.get $rows) (i32.const 2)) (then (local.set $rows (i32.const 2))))
            (call $rowsTransB (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))) (local.get $aRow)
              (local.get $b) (i32.shl (local.get $ldb) (i32.const 2)) (local.get $K) (local.get $N)
              (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldcBytes))) (local.get $ldcBytes)
              (local.get $rows) (local.get $scratch))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $pairs)))
        (return)))
    (call $packB (local.get $b) (local.get $ldb) (local.get $transB) (local.get $K) (local.get $N) (local.get $scratch))
    (if (i32.eqz (local.get $transA))
      (then
        (call $rowsPacked (local.get $M) (local.get $N) (local.get $K) (local.get $a) (local.get $lda)
          (local.get $scratch) (local.get $c) (local.get $ldc))
        (return)))
    ;; A transposed: four rows at a time copied into a K×4 panel after B's panels (32·K bytes each)
    (local.set $apack
      (i32.add (local.get $scratch)
        (i32.mul (i32.shl (local.get $K) (i32.const 5)) (i32.shr_u (i32.add (local.get $N) (i32.const 7)) (i32.const 3)))))
    (local.set $i (i32.const 0))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $i) (local.get $M)))
        (local.set $rows (i32.sub (local.get $M) (local.get $i)))
        (if (i32.gt_u (local.get $rows) (i32.const 4)) (then (local.set $rows (i32.const 4))))
        (call $packA (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))) (i32.const 4)
          (i32.shl (local.get $lda) (i32.const 2)) (local.get $K) (local.get $rows) (local.get $apack))
        (call $tilesPacked (local.get $apack) (local.get $scratch) (local.get $K) (local.get $N)
          (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldcBytes))) (local.get $ldcBytes) (local.get $rows))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $blocks))))

  ;; C (M×N, row stride ldc) = A·op(B) for A stored row by row (M×K, row stride lda) and op(B) as panels at $panels
  ;; (see $packB): four rows at a time by the tiles (rows past M repeat row 0), one row by $rowPacked (no rows to fill).
  (func $rowsPacked (param $M i32) (param $N i32) (param $K i32) (param $a i32) (param $lda i32) (param $panels i32)
    (param $c i32) (param $ldc i32)
    (local $aRow i32) (local $i i32) (local $rows i32) (local $p i32) (local $ldcBytes i32)
    (if (i32.eq (local.get $M) (i32.const 1))
      (then
        (call $rowPacked (local.get $a) (local.get $panels) (local.get $K) (local.get $N) (local.get $c))
        (return)))
    (local.set $ldcBytes (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $aRow (i32.shl (local.get $lda) (i32.const 2)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $i) (local.get $M)))
        (local.set $rows (i32.sub (local.get $M) (local.get $i)))
        (if (i32.gt_u (local.get $rows) (i32.const 4)) (then (local.set $rows (i32.const 4))))
        (local.set $p (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))
        (call $tilesDirect
          (local.get $p)
          (select (i32.add (local.get $p) (local.get $aRow)) (local.get $p) (i32.gt_u (local.get $rows) (i32.const 1)))
          (select (i32.add (local.get $p) (i32.shl (local.get $aRow) (i32.const 1))) (local.get $p)
            (i32.gt_u (local.get $rows) (i32.const 2)))
          (select (i32.add (local.get $p) (i32.mul (local.get $aRow) (i32.const 3))) (local.get $p)
            (i32.gt_u (local.get $rows) (i32.const 3)))
          (local.get $panels) (local.get $K) (local.get $N)
          (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldcBytes))) (local.get $ldcBytes) (local.get $rows))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $blocks))))

  ;; B's K×8 panels at $dst (see $packB), for many products by the same B (`gemm_packed`): decoding's LM head, packed
  ;; once per generation instead of once per token. Room: 4·K·8·ceil(N/8) bytes.
  (func (export "pack") (param $b i32) (param $ldb i32) (param $transB i32) (param $K i32) (param $N i32) (param $dst i32)
    (call $packB (local.get $b) (local.get $ldb) (local.get $transB) (local.get $K) (local.get $N) (local.get $dst)))

  ;; C (M×N, row stride ldc) = A·op(B) for A stored row by row (M×K, row stride lda) and op(B) given as the panels
  ;; `pack` wrote: what `gemm` computes after its own packing, the same bits.
  (func (export "gemm_packed") (param $M i32) (param $N i32) (param $K i32) (param $a i32) (param $lda i32)
    (param $panels i32) (param $c i32) (param $ldc i32)
    (call $rowsPacked (local.get $M) (local.get $N) (local.get $K) (local.get $a) (local.get $lda) (local.get $panels)
      (local.get $c) (local.get $ldc)))
)
