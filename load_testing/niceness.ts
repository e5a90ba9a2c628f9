// The scheduling niceness of the whole current process. On Linux a niceness belongs to a thread
// (setpriority on the process id changes only the main thread), so every thread already running
// (V8's and libuv's) is set too; threads started later inherit it from the main thread.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

export function lowerPriority(niceness: number): void {
  let threads: number[];
  try {
    threads = readdirSync('/proc/self/task').map(Number);
  } catch {
    setPriority(niceness); // not Linux: the process as a whole
    return;
  }
  for (const tid of threads) {
    try {
      setPriority(tid, niceness);
    } catch {
      // the thread ended meanwhile
    }
  }
}
