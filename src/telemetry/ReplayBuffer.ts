/**
 * The last `capacity` items of a gap-free sequence (1, 2, 3, ...), kept in a fixed ring so
 * memory stays flat however long training runs. Late or reconnecting subscribers read
 * from it by sequence number.
 *
 * @example
 * ```ts
 * const buf = new ReplayBuffer<string>(2);
 * buf.push('a'); buf.push('b'); buf.push('c'); // 'a' (sequence 1) is evicted
 * buf.oldest; // 2
 * buf.get(3); // 'c'
 * ```
 */
export class ReplayBuffer<T> {
  private readonly ring: (T | undefined)[];
  private last = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`replay buffer capacity must be a positive integer, got ${capacity}`);
    }
    this.ring = new Array<T | undefined>(capacity);
  }

  /** Sequence of the newest item (0 before the first push). */
  get newest(): number {
    return this.last;
  }

  /** Sequence of the oldest item still held (0 when empty). */
  get oldest(): number {
    return this.last === 0 ? 0 : Math.max(1, this.last - this.capacity + 1);
  }

  /** Appends an item and returns the sequence number it got. */
  push(item: T): number {
    this.last += 1;
    this.ring[(this.last - 1) % this.capacity] = item;
    return this.last;
  }

  /** The item with this sequence, or undefined if it was evicted or does not exist yet. */
  get(sequence: number): T | undefined {
    if (!Number.isInteger(sequence) || sequence < this.oldest || sequence > this.last || sequence < 1) return undefined;
    return this.ring[(sequence - 1) % this.capacity];
  }
}
