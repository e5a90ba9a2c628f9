// The indexer of one zone on a storage node: registers uploads and scans storageDir at start
// and every VIDEO_SCAN_INTERVAL_MS. A scan runs beside the mailbox (it may hash big files), so
// registrations are never held up by it; the next scan is scheduled when one finishes.
import type { Logger } from '../../domain/log.js';
import type { NewRecording } from '../../domain/video/index.js';
import type { ActorSpec, ReplyTo } from '../kernel/index.js';
import type { RegisterOutcome, VideoStore } from './ports.js';
import { scanZone, type ScanSummary } from './scan.js';

export type IndexerMessage =
  | { kind: 'register'; recording: NewRecording; replyTo: ReplyTo<RegisterOutcome> }
  | { kind: 'scan'; replyTo?: ReplyTo<ScanSummary | undefined> }
  | { kind: 'scan-done' };

interface IndexerState {
  scanning: boolean;
  timer: NodeJS.Timeout | undefined;
  waiting: Array<ReplyTo<ScanSummary | undefined>>;
  stopped: boolean;
}

export interface IndexerOptions {
  zone: string;
  store: VideoStore;
  scanIntervalMs: number;
  log: Logger;
}

export function indexerName(zone: string): string {
  return `indexer-${zone}`;
}

export function indexerSpec(opts: IndexerOptions): ActorSpec<IndexerState, IndexerMessage> {
  return {
    name: indexerName(opts.zone),
    restart: { maxRestarts: 10, withinMs: 60_000 },
    init(ctx) {
      ctx.self.tell({ kind: 'scan' });
      return { scanning: false, timer: undefined, waiting: [], stopped: false };
    },
    async handle(state, message, ctx) {
      switch (message.kind) {
        case 'register': {
          try {
            message.replyTo.reply(await opts.store.registerRecording(message.recording));
          } catch (error) {
            message.replyTo.fail(error as Error);
          }
          return state;
        }
        case 'scan': {
          if (message.replyTo) state.waiting.push(message.replyTo);
          if (state.scanning) return state;
          state.scanning = true;
          if (state.timer) clearTimeout(state.timer);
          const waiting = state.waiting.splice(0);
          void (async () => {
            let summary: ScanSummary | undefined;
            try {
              const zone = await opts.store.getZone(opts.zone);
              if (zone === undefined) ctx.log.debug({ zone: opts.zone }, 'zone not configured yet; nothing to scan');
              else summary = await scanZone(zone, opts.store, opts.log);
            } catch (error) {
              ctx.log.warn({ zone: opts.zone, err: (error as Error).message }, 'storage scan failed; retrying next interval');
            }
            for (const replyTo of waiting) replyTo.reply(summary);
            ctx.self.tell({ kind: 'scan-done' });
          })();
          return state;
        }
        case 'scan-done': {
          state.scanning = false;
          if (state.stopped) return state;
          if (state.waiting.length > 0) {
            ctx.self.tell({ kind: 'scan' });
            return state;
          }
          state.timer = setTimeout(() => ctx.self.tell({ kind: 'scan' }), opts.scanIntervalMs);
          state.timer.unref();
          return state;
        }
      }
    },
    onStop(state) {
      state.stopped = true;
      if (state.timer) clearTimeout(state.timer);
    },
  };
}
