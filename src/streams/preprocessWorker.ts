// Worker-thread entry of createPreprocessWorkers: one JPEG file in, one JPEG file out, with
// synchronous I/O and libjpeg-turbo calls, so a core does a whole image without thread hand-offs.
import { readFileSync, writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { PreprocessJob, PreprocessWorkerReply } from './createPreprocessWorkers';
import { fastJpegPreprocess } from './fastJpegPreprocess';
import { loadJpegTurbo } from './loadJpegTurbo';

if (parentPort) {
  const port = parentPort;
  const jt = loadJpegTurbo();
  port.on('message', ({ id, job }: { id: number; job: PreprocessJob }) => {
    const reply = (m: PreprocessWorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
    if (jt === undefined) return reply({ id, kind: 'fallback', why: 'libjpeg-turbo binding not available in the worker' });
    let buf: Buffer;
    try {
      buf = readFileSync(job.src);
    } catch (e) {
      // Read errors are classified (dangling link, directory, …) by sharp's path.
      return reply({ id, kind: 'fallback', why: (e as Error).message });
    }
    let r;
    try {
      r = fastJpegPreprocess(jt, buf, job);
    } catch (e) {
      return reply({ id, kind: 'fallback', why: `fast path failed: ${(e as Error).message}` });
    }
    if (r.kind === 'refused') return reply({ id, kind: 'fallback', why: r.why });
    try {
      writeFileSync(job.dest, r.jpeg);
    } catch (e) {
      return reply({ id, kind: 'error', message: `cannot write ${job.dest}: ${(e as Error).message}` });
    }
    const px = r.pixels;
    reply({ id, kind: 'written', sums: r.sums, pixels: px }, px ? [px.buffer as ArrayBuffer] : []);
  });
}
