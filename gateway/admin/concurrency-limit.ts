// At most `max` holders at once, without a queue: a caller that finds it full is turned away
// (the login route answers 429 with Retry-After). Password hashing runs on libuv's small
// thread pool (4 threads by default), shared with file and DNS work; a login flood must not
// occupy all of it.
export class ConcurrencyLimit {
  private active = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('ConcurrencyLimit: max must be a positive whole number');
  }

  /** A release function, or undefined when `max` holders are already in. */
  tryEnter(): (() => void) | undefined {
    if (this.active >= this.max) return undefined;
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
    };
  }
}
