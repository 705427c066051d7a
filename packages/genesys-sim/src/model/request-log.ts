/**
 * A bounded log: keeps the newest `limit` entries and drops the oldest in O(1) once full
 * (a ring buffer), so a long benchmark cannot grow the simulator's memory without bound.
 */
export class RingLog<T> {
  private entries: T[] = [];
  /** Where the oldest entry sits once the buffer is full (the next one to overwrite). */
  private head = 0;
  private droppedCount = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 0)
      throw new RangeError(`request log limit must be an integer >= 0, got ${limit}`);
  }

  push(entry: T): void {
    if (this.entries.length < this.limit) {
      this.entries.push(entry);
      return;
    }
    this.droppedCount++;
    if (this.limit === 0) return;
    this.entries[this.head] = entry;
    this.head = (this.head + 1) % this.limit;
  }

  /** Entries kept right now. */
  get size(): number {
    return this.entries.length;
  }

  /** Entries dropped to stay within the limit since the last clear. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** A copy, oldest first. */
  toArray(): T[] {
    if (this.head === 0) return this.entries.slice();
    return this.entries.slice(this.head).concat(this.entries.slice(0, this.head));
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.droppedCount = 0;
  }
}
