import * as tf from '@tensorflow/tfjs-core';
import { reluGrad } from './wasm/reluGrad';

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

/**
 * Gradient of the `FusedConv2D` kernel (NHWC, bias, `linear` or `relu`), one lazy function per
 * input. tfjs' `tf.fused.conv2d` wraps the kernel in a customGrad that always computes the
 * input gradient too, even for the first layer, whose input is the image batch: on AlexNet
 * that unused 11×11 input gradient costs about as much as the layer's forward pass. The tape
 * only calls the functions of inputs that lead to a trained variable.
 *
 * @example
 * ```ts
 * tf.registerGradient(fusedConv2DGradConfig);
 * ```
 */
export const fusedConv2DGradConfig: tf.GradConfig = {
  kernelName: tf.FusedConv2D,
  inputsToSave: ['x', 'filter', 'bias'],
  outputsToSave: [true],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs?: tf.NamedAttrMap) => {
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = attrs as unknown as tf.FusedConv2DAttrs;
    const [x, filter, bias, y] = saved;
    if (dataFormat !== 'NHWC') throw new Error(`FusedConv2D gradient: only NHWC is supported, got ${dataFormat}`);
    const dil = typeof dilations === 'number' ? [dilations, dilations] : dilations;
    if (dil.some((d) => d !== 1)) throw new Error(`FusedConv2D gradient: dilations must be 1, got [${dil.join(', ')}]`);
    let g = dy as tf.Tensor;
    if (activation === 'relu') g = reluGrad(g, y);
    else if (activation !== 'linear') throw new Error(`FusedConv2D gradient: activation ${activation} is not supported (linear, relu)`);
    const conv = { strides, pad, dataFormat, dimRoundingMode };
    return {
      x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: g, filter }, { ...conv, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: g }, { ...conv, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      bias: () => tf.reshape(tf.sum(g, [0, 1, 2]), bias.shape),
    };
  },
};

let registered = false;

/**
 * NHWC convolution + per-channel bias (+ optional ReLU) as one `FusedConv2D` kernel whose
 * gradient is {@link fusedConv2DGradConfig}: like `tf.fused.conv2d`, but the input gradient is
 * only computed when something trained lies upstream (not for the first layer).
 *
 * @example
 * ```ts
 * const y = convLayer(images, kernel, bias, 1, 'same', 'linear');
 * ```
 */
export function convLayer(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, stride: number, pad: Pad, activation: 'linear' | 'relu' = 'linear'): tf.Tensor4D {
  if (!registered) {
    tf.registerGradient(fusedConv2DGradConfig);
    registered = true;
  }
  const attrs = { strides: [stride, stride], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined, activation, leakyreluAlpha: 0 };
  return tf.engine().runKernel(tf.FusedConv2D, { x, filter, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
