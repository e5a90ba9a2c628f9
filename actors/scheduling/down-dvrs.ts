// Within one job run, a DVR whose call failed because the DVR itself is down (no answer,
// unreachable, an unusable answer) is not asked again: its other records wait for the next
// run (docs/scheduling.md, "Status poller", "Cleaners"). Asking it once per record turned a
// dead DVR with 70 000 old records into a node-wide CPU burn on the node serving redirects
// (docs/performance.md, B6). A fault about one recording (DvrServiceException,
// DvrAssetNotFoundException, any SOAP fault) says the DVR is up: it does not count.
import type { Server } from '../../domain/routing/entities.js';
import { DvrError, type DvrErrorKind } from './dvr-client.js';

const DVR_DOWN: ReadonlySet<DvrErrorKind> = new Set<DvrErrorKind>(['timeout', 'unreachable', 'protocol']);

export class DownDvrs {
  private readonly down = new Set<string>();

  isDown(server: Server): boolean {
    return this.down.has(server.id);
  }

  /** Notes a failed call on `server`; true when it means the DVR is down for this run. */
  note(server: Server, err: unknown): boolean {
    if (!(err instanceof DvrError) || !DVR_DOWN.has(err.kind)) return false;
    this.down.add(server.id);
    return true;
  }
}
