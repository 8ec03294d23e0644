// Worker-thread entry of createPreprocessWorkers: JPEG files in, JPEG files out, with
// synchronous I/O and one native call per image (decode, crop, resize, encode, write), so a
// core does a whole image without thread hand-offs; results go back a few per message.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PREPROCESS_REPLY_EVERY, type PreprocessWorkerData, type PreprocessWorkerMessage, type PreprocessWorkerReply } from './createPreprocessWorkers';
import { fastJpegPreprocessFile } from './fastJpegPreprocessFile';
import { loadJpegTurbo, type JpegTurbo } from './loadJpegTurbo';
import { NON_BLOCKING_READ } from './NON_BLOCKING_READ';
import { nativeJpegCodec } from './nativeJpegCodec';

// One growing read buffer per worker: a fresh buffer per file costs page faults here.
let input = Buffer.alloc(1 << 20);

function readWhole(file: string): Buffer {
  // A file swapped for a FIFO since it was listed: refused here, sharp's path says what it is.
  const fd = openSync(file, NON_BLOCKING_READ);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    const size = st.size;
    if (input.length < size) input = Buffer.alloc(size + (size >> 1));
    let off = 0;
    for (let n = 1; off < size && n > 0; off += n) n = readSync(fd, input, off, size - off, off);
    return input.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

function runJob(jt: JpegTurbo | undefined, { id, job, slot }: PreprocessWorkerMessage['jobs'][number], ring: SharedArrayBuffer | undefined): PreprocessWorkerReply {
  let buf: Buffer;
  try {
    buf = readWhole(job.src);
  } catch (e) {
    // Read errors are classified (dangling link, directory, …) by sharp's path.
    return { id, kind: 'fallback', why: (e as Error).message };
  }
  const bytes = job.size * job.size * 3;
  const pixels = job.wantPixels && ring !== undefined && slot !== undefined ? new Uint8Array(ring, slot * bytes, bytes) : undefined;
  let r;
  try {
    r = fastJpegPreprocessFile(jt, buf, job.dest, job, pixels);
  } catch (e) {
    return { id, kind: 'fallback', why: `fast path failed: ${(e as Error).message}` };
  }
  if (r.kind === 'refused') return { id, kind: 'fallback', why: r.why };
  if (r.kind === 'write-failed') return { id, kind: 'error', message: r.message };
  return { id, kind: 'written', sums: r.sums, slot };
}

if (parentPort) {
  const port = parentPort;
  const { stop } = workerData as PreprocessWorkerData;
  // The pool's thread loaded the binding (and libturbojpeg with it) before starting this one,
  // so with the addon's one-call kernel this thread never runs the binding's code: stopped in
  // there, a thread aborts the whole process (see nativeJpegCodec). Loaded now otherwise, while
  // the main thread is still listing the dataset, not on the first image.
  const codec = nativeJpegCodec({ bindingLoaded: true });
  const jt = codec?.jpegPreprocessFile !== undefined ? undefined : loadJpegTurbo();
  const usable = codec?.jpegPreprocessFile !== undefined || jt !== undefined;
  port.on('message', (m: PreprocessWorkerMessage | 'close') => {
    // The pool's close(): end the thread from here, between images, never by terminate().
    if (m === 'close') {
      port.close();
      return;
    }
    const { ring, jobs } = m;
    let out: PreprocessWorkerReply[] = [];
    for (let i = 0; i < jobs.length; i++) {
      // Closed: the pool has answered the rest already; end after the image in hand.
      if (Atomics.load(stop, 0) !== 0) break;
      out.push(usable ? runJob(jt, jobs[i], ring) : { id: jobs[i].id, kind: 'fallback', why: 'libjpeg-turbo binding not available in the worker' });
      if (out.length >= PREPROCESS_REPLY_EVERY || i === jobs.length - 1) {
        port.postMessage(out);
        out = [];
      }
    }
    if (out.length > 0) port.postMessage(out);
  });
}
