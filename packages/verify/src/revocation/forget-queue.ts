/** Something the mirror holds, due to be forgotten at `forgetAfter`. */
export interface ForgetItem<T> {
  readonly forgetAfter: number;
  readonly item: T;
}

/**
 * A binary min-heap on `forgetAfter`, so pruning costs O(log n) per item that is actually due
 * instead of a scan of everything held. Entries arrive in cursor order, but `forgetAfter` need not
 * follow it (the service's longest token lifetime can change), so a plain FIFO would not do.
 */
export class ForgetQueue<T> {
  readonly #heap: Array<ForgetItem<T>> = [];

  push(forgetAfter: number, item: T): void {
    const heap = this.#heap;
    heap.push({ forgetAfter, item });
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.#at(parent).forgetAfter <= this.#at(index).forgetAfter) break;
      this.#swap(index, parent);
      index = parent;
    }
  }

  /** Removes and returns the earliest item if it is due (its `forgetAfter` is before `nowSec`). */
  popDue(nowSec: number): ForgetItem<T> | undefined {
    const heap = this.#heap;
    const first = heap[0];
    if (first === undefined || first.forgetAfter >= nowSec) return undefined;
    const last = heap.pop() as ForgetItem<T>;
    if (heap.length > 0) {
      heap[0] = last;
      this.#siftDown(0);
    }
    return first;
  }

  #siftDown(start: number): void {
    const length = this.#heap.length;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < length && this.#at(left).forgetAfter < this.#at(smallest).forgetAfter) {
        smallest = left;
      }
      if (right < length && this.#at(right).forgetAfter < this.#at(smallest).forgetAfter) {
        smallest = right;
      }
      if (smallest === index) return;
      this.#swap(index, smallest);
      index = smallest;
    }
  }

  #at(index: number): ForgetItem<T> {
    return this.#heap[index] as ForgetItem<T>;
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const held = this.#at(a);
    heap[a] = this.#at(b);
    heap[b] = held;
  }
}
