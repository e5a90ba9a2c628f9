// A Transform that lets bytes through at most at `bytesPerSecond`: each chunk goes out in
// slices of ~50 ms worth, each slice held until the running total fits the rate since the
// first byte. Memory stays at one chunk; the upstream file stream waits (backpressure).
import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export class Throttle extends Transform {
  private readonly sliceBytes: number;
  private started = 0;
  private sent = 0;

  constructor(
    readonly bytesPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    super();
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) throw new RangeError('bytesPerSecond must be positive');
    this.sliceBytes = Math.max(1, Math.floor(bytesPerSecond / 20));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pass(chunk).then(() => callback(), callback);
  }

  private async pass(chunk: Buffer): Promise<void> {
    if (this.started === 0) this.started = this.now();
    for (let offset = 0; offset < chunk.length; offset += this.sliceBytes) {
      const slice = chunk.subarray(offset, offset + this.sliceBytes);
      // When this slice may be complete: total bytes / rate after the first byte.
      const dueMs = this.started + ((this.sent + slice.length) / this.bytesPerSecond) * 1000;
      const waitMs = dueMs - this.now();
      if (waitMs > 1) await sleep(waitMs);
      if (this.destroyed) return;
      this.sent += slice.length;
      this.push(slice);
    }
  }
}

/** The zone's uploadSpeedKbps is kilobytes (1024 bytes) per second, like the original's SPEED. */
export function bytesPerSecondOf(uploadSpeedKbps: number): number {
  return uploadSpeedKbps * 1024;
}
