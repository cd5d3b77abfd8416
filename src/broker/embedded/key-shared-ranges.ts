import { murmur3Hash } from '../../pulsar/routing/index.js';

/** Pulsar's hash range size for Key_Shared (`2 << 15`). */
export const KEY_HASH_RANGE = 65536;

/** Messages without a key share one sticky key, as in Pulsar's Key_Shared dispatcher. */
const NONE_KEY = 'NONE_KEY';

/** Slot of a message key: Murmur3_32 (seed 0, `& Integer.MAX_VALUE`) modulo 65536, as Pulsar. */
export function stickyKeyHash(orderingKey: string | undefined, partitionKey: string | undefined) {
  return murmur3Hash(orderingKey ?? partitionKey ?? NONE_KEY) % KEY_HASH_RANGE;
}

/**
 * Auto-split hash ranges, the behaviour of Pulsar's HashRangeAutoSplitStickyKeyConsumerSelector:
 * the first consumer owns 0..65536; each newcomer takes the upper half of the widest range;
 * a leaving consumer's range goes to its neighbour above (or below, for the top range).
 * A slot belongs to the range with the smallest end >= slot, so keys move only on join/leave.
 */
export class KeySharedRanges<C> {
  /** Range ends, ascending, with their owners. */
  private ends: number[] = [];
  private owners: C[] = [];

  get size(): number {
    return this.ends.length;
  }

  add(consumer: C): void {
    if (this.ends.length === 0) {
      this.ends.push(KEY_HASH_RANGE);
      this.owners.push(consumer);
      return;
    }
    let widest = 0;
    let widestIdx = 0;
    for (let i = 0; i < this.ends.length; i++) {
      const lower = i === 0 ? 0 : this.ends[i - 1];
      if (this.ends[i] - lower > widest) {
        widest = this.ends[i] - lower;
        widestIdx = i;
      }
    }
    if (widest <= 1) throw new RangeError('no hash range left to split');
    const end = this.ends[widestIdx];
    const split = end - (widest >> 1);
    this.ends.splice(widestIdx, 0, split);
    this.owners.splice(widestIdx, 0, consumer);
  }

  remove(consumer: C): void {
    const i = this.owners.indexOf(consumer);
    if (i < 0) return;
    if (this.ends[i] === KEY_HASH_RANGE && this.ends.length > 1) {
      // The top range is taken over by the range below it.
      this.owners[i] = this.owners[i - 1];
      this.ends.splice(i - 1, 1);
      this.owners.splice(i - 1, 1);
    } else {
      this.ends.splice(i, 1);
      this.owners.splice(i, 1);
    }
  }

  select(slot: number): C | undefined {
    const ends = this.ends;
    let lo = 0;
    let hi = ends.length - 1;
    if (hi < 0) return undefined;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid] >= slot) hi = mid;
      else lo = mid + 1;
    }
    return this.owners[lo];
  }

  /** [start, end] inclusive per owner, for stats and tests. */
  ranges(): Array<{ consumer: C; start: number; end: number }> {
    return this.ends.map((end, i) => ({
      consumer: this.owners[i],
      start: i === 0 ? 0 : this.ends[i - 1] + 1,
      end,
    }));
  }
}
