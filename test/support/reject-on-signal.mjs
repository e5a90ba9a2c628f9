// Preloaded into a test node (NODE_OPTIONS=--import …): SIGUSR2 makes a promise nobody
// awaits reject, as a bug would. test/node/crash-and-drain.test.ts checks the node crashes cleanly.
import process from 'node:process';

process.on('SIGUSR2', () => {
  void Promise.reject(new Error('deliberate unhandled rejection (test)'));
});
