// A loopback TCP proxy whose connections a test can cut, to drop a client's network without
// touching the node (the client then reconnects through it).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from '../../support/ports.js';

export interface TcpProxy {
  port: number;
  /** Destroys every open connection; with `refuseMs`, new ones are refused for that long. */
  cut(refuseMs?: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let refuseUntil = 0;
  const server: Server = createServer((client) => {
    if (Date.now() < refuseUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        open.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    cut(refuseMs = 0) {
      refuseUntil = Date.now() + refuseMs;
      for (const socket of [...open]) socket.destroy();
    },
    close() {
      for (const socket of [...open]) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
