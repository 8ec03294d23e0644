import { BARRIER_ABORTED } from './replicaProtocol';

/** Cells of the barrier's Int32Array. */
const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;
const FAILED = 3;
const CELLS = 4;

/** How long a waiting replica sleeps before it looks at the abort flag again (ms). */
const ABORT_POLL_MS = 250;

/**
 * A reusable barrier for data-parallel replicas (worker_threads) in shared memory, plus the
 * step's failure flag. The replicas meet at it twice per training step (all gradients
 * written; all parameter slices updated) without a message round trip to the coordinating
 * thread: that took 3–5 ms of a ≈ 430 ms step on the small model, and the coordinator's
 * main thread took CPU the replicas needed. A replica whose work failed still arrives, with
 * the failure flag set, so no replica is left waiting; the coordinator clears the flag
 * before each step and raises `abort` when a replica's thread died, which releases the
 * others with an error. The flag names the round it was raised for: a replica that fails
 * right after a round must not make one still waking from that round see it as failed, or
 * that one would leave the step there while the others wait for it at the next round.
 *
 * @example
 * ```ts
 * const cells = ReplicaBarrier.allocate();          // coordinator, once
 * const barrier = new ReplicaBarrier(cells, 2);      // in each replica
 * barrier.arrive();                                  // returns when both have arrived
 * ```
 */
export class ReplicaBarrier {
  private readonly cells: Int32Array<SharedArrayBuffer>;
  /** The generation of the round this thread last passed (none yet: undefined). */
  private passed: number | undefined;

  /** Shared memory for one barrier (all cells zero). */
  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(CELLS * Int32Array.BYTES_PER_ELEMENT);
  }

  constructor(buffer: SharedArrayBuffer, readonly parties: number) {
    if (!(Number.isInteger(parties) && parties >= 1)) throw new RangeError(`a barrier needs at least one party, got ${parties}`);
    if (buffer.byteLength < CELLS * Int32Array.BYTES_PER_ELEMENT) throw new RangeError(`barrier memory too small: ${buffer.byteLength} bytes`);
    this.cells = new Int32Array(buffer, 0, CELLS);
  }

  /**
   * Blocks the calling thread until all `parties` have arrived (the last one releases the
   * others). Throws if the barrier was aborted. Only worker threads may block; the last
   * party to arrive never does, so a barrier of one never waits.
   */
  arrive(): void {
    const c = this.cells;
    const generation = Atomics.load(c, GENERATION);
    this.passed = generation;
    if (Atomics.add(c, ARRIVED, 1) === this.parties - 1) {
      // Reset before the release: nobody can arrive for the next round until it happens.
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    while (Atomics.load(c, GENERATION) === generation) {
      if (Atomics.load(c, ABORTED) !== 0) throw new Error(BARRIER_ABORTED);
      Atomics.wait(c, GENERATION, generation, ABORT_POLL_MS);
    }
  }

  /** Releases every waiting party with an error, now and at every later `arrive`. */
  abort(): void {
    Atomics.store(this.cells, ABORTED, 1);
    Atomics.notify(this.cells, GENERATION);
  }

  /**
   * Marks the round this thread arrives at next as failed (its gradients or update went
   * wrong). While it works towards that round, the round cannot complete, so the generation
   * read here is that round's.
   */
  markFailed(): void {
    Atomics.store(this.cells, FAILED, stamp(Atomics.load(this.cells, GENERATION)));
  }

  /**
   * Whether a party marked the round this thread last passed as failed (read it after an
   * `arrive`). Every party reads the same answer for a round, however late it wakes: a
   * failure marked for the next round by a party already past this one does not count.
   */
  get failed(): boolean {
    return this.passed !== undefined && Atomics.load(this.cells, FAILED) === stamp(this.passed);
  }

  /** Clears the failure flag; the coordinator calls it before a step, while no replica is in one. */
  clearFailure(): void {
    Atomics.store(this.cells, FAILED, 0);
  }
}

/** The failure flag's value for a round: never 0, the cleared flag (generations wrap, and may be negative). */
function stamp(generation: number): number {
  return (generation & 0x3fffffff) + 1;
}
