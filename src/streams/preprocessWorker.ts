// Worker-thread entry of createPreprocessWorkers: one JPEG file in, one JPEG file out, with
// synchronous I/O and libjpeg-turbo calls, so a core does a whole image without thread hand-offs.
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { PreprocessWorkerMessage, PreprocessWorkerReply } from './createPreprocessWorkers';
import { fastJpegPreprocess } from './fastJpegPreprocess';
import { loadJpegTurbo } from './loadJpegTurbo';

// One growing read buffer per worker: a fresh buffer per file costs page faults here.
let input = Buffer.alloc(1 << 20);

function readWhole(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (input.length < size) input = Buffer.alloc(size + (size >> 1));
    let off = 0;
    for (let n = 1; off < size && n > 0; off += n) n = readSync(fd, input, off, size - off, off);
    return input.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

if (parentPort) {
  const port = parentPort;
  const jt = loadJpegTurbo();
  port.on('message', ({ id, job, ring, slot }: PreprocessWorkerMessage) => {
    const reply = (m: PreprocessWorkerReply): void => port.postMessage(m);
    if (jt === undefined) return reply({ id, kind: 'fallback', why: 'libjpeg-turbo binding not available in the worker' });
    let buf: Buffer;
    try {
      buf = readWhole(job.src);
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
    if (r.pixels !== undefined && ring !== undefined && slot !== undefined) new Uint8Array(ring, slot * r.pixels.length, r.pixels.length).set(r.pixels);
    reply({ id, kind: 'written', sums: r.sums, slot });
  });
}
