/**
 * Names for the TensorFlow.js tensor types that appear in copra's signatures (so that the documentation of
 * copra's API is self-contained).
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";

/** A TensorFlow.js tensor of any rank. */
export type Tensor = tf.Tensor;
/** A rank-0 tensor (a single number). */
export type Scalar = tf.Scalar;
/** A rank-1 tensor, e.g. a bias (C). */
export type Tensor1D = tf.Tensor1D;
/** A rank-2 tensor, e.g. token ids (B,T). */
export type Tensor2D = tf.Tensor2D;
/** A rank-3 tensor, e.g. hidden states (B,T,C). */
export type Tensor3D = tf.Tensor3D;
/** A rank-4 tensor, e.g. attention keys (B,H,T,D). */
export type Tensor4D = tf.Tensor4D;
/** A trainable (or updatable) tensor. */
export type Variable = tf.Variable;
