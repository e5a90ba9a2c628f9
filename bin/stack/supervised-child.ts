// Keeps one child process of the local stack running: restarts it with exponential backoff
// when it dies, and stops it on request. The stack launcher's equivalent of a supervisor.
import { errorText } from '../../domain/errors.js';

export interface RunningChild {
  pid: number | undefined;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface SupervisedChildOptions {
  name: string;
  start(): Promise<RunningChild>;
  log(line: string): void;
  /** Backoff starts here and doubles up to maxBackoffMs; it resets after a child ran stableAfterMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  stableAfterMs?: number;
}

export class SupervisedChild {
  private current: RunningChild | undefined;
  private stopping = false;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SupervisedChildOptions) {
    this.backoffMs = opts.initialBackoffMs ?? 1000;
  }

  /** Starts the child; the first start's failure is returned to the caller. */
  async start(): Promise<void> {
    await this.launch();
  }

  private async launch(): Promise<void> {
    const startedAt = Date.now();
    const child = await this.opts.start();
    if (this.stopping) {
      await child.stop();
      return;
    }
    this.current = child;
    void child.exited.then((code) => {
      if (this.stopping || this.current !== child) return;
      this.current = undefined;
      const ranMs = Date.now() - startedAt;
      if (ranMs >= (this.opts.stableAfterMs ?? 60_000)) this.backoffMs = this.opts.initialBackoffMs ?? 1000;
      this.opts.log(`${this.opts.name} exited (code ${code ?? 'signal'}); restarting in ${Math.round(this.backoffMs / 1000)}s`);
      this.scheduleRestart();
    });
  }

  private scheduleRestart(): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 30_000);
    this.retryTimer = setTimeout(() => {
      this.launch().catch((error: unknown) => {
        if (this.stopping) return;
        this.opts.log(`${this.opts.name} failed to start: ${errorText(error)}`);
        this.scheduleRestart();
      });
    }, delay);
  }

  /**
   * From now on an exit is final (no restart). Called for every child as soon as the stack
   * stops: Ctrl-C also reaches the children themselves, which may exit before their turn.
   */
  holdRestarts(): void {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const child = this.current;
    this.current = undefined;
    if (child) await child.stop();
  }
}
