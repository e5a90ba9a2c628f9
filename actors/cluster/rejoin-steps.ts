// Helpers of the rejoin steps that talk to the cluster store: waiting for a connection. (The
// switch acknowledgements are collected with actors/routing/switch-acks.ts.)
import type { ClusterStore, Unsubscribe } from '../../domain/ports/cluster-store.js';

/** Resolves once the store is connected; rejects after `timeoutMs`. */
export async function waitConnected(store: Pick<ClusterStore, 'status' | 'onStatus'>, timeoutMs: number): Promise<void> {
  if (store.status() === 'connected') return;
  let off: Unsubscribe | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      off = store.onStatus((status) => {
        if (status === 'connected') resolve();
      });
      timer = setTimeout(
        () => reject(new Error(`the cluster store (Hazelcast) is not connected after ${Math.round(timeoutMs / 1000)} s`)),
        timeoutMs,
      );
      if (store.status() === 'connected') resolve();
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    await off?.().catch(() => undefined);
  }
}
