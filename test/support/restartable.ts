// A handle on a server process a test stops, crashes and starts again: each start launches
// a new process the same way (so on the same port and data), and the handle always names
// the running one.

/** What the FerretDB and Hazelcast launchers return. */
export interface ManagedProcess {
  /** Graceful stop; resolves once the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL. */
  kill(): void;
  readonly exited: Promise<number | null>;
}

export interface Restartable<P extends ManagedProcess> {
  /** The running process; undefined before start and after stop/kill. */
  readonly process: P | undefined;
  /** Launches it (a first start, or again after stop/kill). */
  start(): Promise<void>;
  /** Graceful stop (SIGKILL if that fails); the data stays. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), resolving once it is gone; the data stays. */
  kill(): Promise<void>;
  /** stop(), then start(). */
  restart(): Promise<void>;
}

export function restartable<P extends ManagedProcess>(launch: () => Promise<P>): Restartable<P> {
  let running: P | undefined;
  const handle: Restartable<P> = {
    get process() {
      return running;
    },
    async start() {
      running = await launch();
    },
    async stop() {
      const current = running;
      running = undefined;
      try {
        await current?.stop();
      } catch (err) {
        current?.kill();
        throw err;
      }
    },
    async kill() {
      const current = running;
      running = undefined;
      if (!current) return;
      current.kill();
      await current.exited;
    },
    async restart() {
      await handle.stop();
      await handle.start();
    },
  };
  return handle;
}
