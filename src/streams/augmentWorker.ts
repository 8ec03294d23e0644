// Worker-thread entry of {@link createAugmentWorkers}: runs the fused augmentation kernel into
// a shared batch buffer, so batch assembly uses more than the main thread's core.
import { parentPort } from 'node:worker_threads';
import { makeImage } from '../ops/Image';
import { createRng } from '../ops/Rng';
import { augmentInto } from './Augment';
import type { AugmentJob } from './createAugmentWorkers';

if (parentPort) {
  const port = parentPort;
  port.on('message', (job: AugmentJob) => {
    try {
      const img = makeImage(job.pixels, job.width, job.height, job.channels);
      augmentInto(img, job.augment, createRng(job.seed), new Float32Array(job.out), job.offset);
      port.postMessage({ id: job.id });
    } catch (e) {
      port.postMessage({ id: job.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  });
}
