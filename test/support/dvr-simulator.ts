// A CTI DVR simulator for tests: an HTTP server speaking the DVR's SOAP operations as
// docs/scheduling.md describes them (SOAP 1.1 document/literal at /cti-dvr/dvr-service,
// HTTP Basic, faults DvrServiceException / DvrAssetNotFoundException), keeping its own
// recordings. A recording is NEW when scheduled, PLANNED `plannedAfterMs` later, RUNNING from
// its planned start, COMPLETED `completeAfterMs` after its planned end: the tests' programmes
// last seconds, so the whole life of a recording fits in a test (the compressed clock).
// `mode` makes it misbehave: answer every call with a fault, never answer, or answer garbage.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DVR_SERVICE_PATH,
  buildFault,
  buildResponse,
  readRequest,
  type DvrRecordingTask,
  type RecordingStatus,
} from '../../domain/scheduling/dvr-soap.js';

export type DvrMode = 'ok' | 'fault' | 'hang' | 'garbage';

export interface SimulatedRecording {
  id: number;
  path: string;
  task: DvrRecordingTask;
  scheduledAt: number;
  removedAt?: number;
  canceledAt?: number;
}

export interface DvrCall {
  operation: string;
  arg0: unknown;
  at: number;
}

export interface DvrSimulatorOptions {
  user: string;
  password: string;
  plannedAfterMs?: number;
  completeAfterMs?: number;
}

export class DvrSimulator {
  mode: DvrMode = 'ok';
  /** Each answer waits this long (a slow DVR: lets a test kill a scheduler mid-run). */
  delayMs = 0;
  readonly calls: DvrCall[] = [];
  readonly recordings = new Map<string, SimulatedRecording>();
  private server: HttpServer | undefined;
  private nextId = 1;
  private readonly hanging = new Set<ServerResponse>();

  constructor(private readonly opts: DvrSimulatorOptions) {}

  async start(): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The status a recording has now. */
  statusOf(recording: SimulatedRecording, now = Date.now()): RecordingStatus {
    if (recording.removedAt !== undefined) return 'REMOVED';
    if (recording.canceledAt !== undefined) return 'CANCELED';
    const start = Date.parse(recording.task.plannedStartTime);
    const end = Date.parse(recording.task.plannedEndTime);
    if (now >= end + (this.opts.completeAfterMs ?? 500)) return 'COMPLETED';
    if (now >= start) return 'RUNNING';
    if (now >= recording.scheduledAt + (this.opts.plannedAfterMs ?? 300)) return 'PLANNED';
    return 'NEW';
  }

  /** scheduleRecording calls that were accepted, as tasks. */
  scheduledTasks(): DvrRecordingTask[] {
    return [...this.recordings.values()].map((r) => r.task);
  }

  callsOf(operation: string): DvrCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  private send(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' });
    res.end(body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.method !== 'POST' || req.url !== DVR_SERVICE_PATH) return this.send(res, 404, 'not found');
    const expected = `Basic ${Buffer.from(`${this.opts.user}:${this.opts.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="dvr"' });
      res.end();
      return;
    }
    if (req.headers.soapaction === undefined) return this.send(res, 500, buildFault('DvrServiceException', 'SOAPAction header missing'));
    if (!/^text\/xml/.test(req.headers['content-type'] ?? '')) return this.send(res, 415, 'SOAP 1.1 wants text/xml');
    let request: { operation: string; arg0: unknown };
    try {
      request = readRequest(body);
    } catch (err) {
      return this.send(res, 500, buildFault('DvrServiceException', `bad request: ${(err as Error).message}`));
    }
    // Only the operation element is namespaced (document/literal, unqualified children).
    if (!body.includes('http://ws.api.dvr.cti.ru')) return this.send(res, 500, buildFault('DvrServiceException', 'wrong namespace'));
    this.calls.push({ operation: request.operation, arg0: request.arg0, at: Date.now() });

    if (this.mode === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (this.mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Service Temporarily Unavailable</body></html');
      return;
    }
    if (this.mode === 'fault') {
      return this.send(res, 500, buildFault('DvrServiceException', 'storage is full'));
    }
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.answer(request, res);
  }

  private answer(request: { operation: string; arg0: unknown }, res: ServerResponse): void {
    const { operation, arg0 } = request;
    switch (operation) {
      case 'scheduleRecording': {
        const task = arg0 as Partial<DvrRecordingTask> | undefined;
        const fields = ['assetToCapture', 'contentId', 'params', 'placement', 'plannedStartTime', 'plannedEndTime'] as const;
        const missing = fields.filter((f) => typeof task?.[f] !== 'string' || task[f] === '');
        if (missing.length > 0) return this.send(res, 500, buildFault('DvrServiceException', `missing ${missing.join(', ')}`));
        const full = task as DvrRecordingTask;
        if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/.test(full.plannedStartTime)) {
          return this.send(res, 500, buildFault('DvrServiceException', `bad plannedStartTime ${full.plannedStartTime}`));
        }
        const start = Date.parse(full.plannedStartTime);
        const duration = Math.round((Date.parse(full.plannedEndTime) - start) / 1000);
        const path = `${full.placement}/index-${Math.floor(start / 1000)}-${duration}.m3u8`;
        this.recordings.set(path, { id: this.nextId++, path, task: full, scheduledAt: Date.now() });
        return this.send(res, 200, buildResponse('scheduleRecording', path));
      }
      case 'getRecording': {
        const rec = typeof arg0 === 'string' ? this.recordings.get(arg0) : undefined;
        if (!rec || rec.removedAt !== undefined)
          return this.send(res, 500, buildFault('DvrAssetNotFoundException', `no asset ${String(arg0)}`));
        return this.send(
          res,
          200,
          buildResponse('getRecording', {
            assetToCapture: rec.task.assetToCapture,
            contentId: rec.task.contentId,
            dvrAsset: rec.path,
            id: String(rec.id),
            plannedStartTime: rec.task.plannedStartTime,
            plannedEndTime: rec.task.plannedEndTime,
            recordingStatus: this.statusOf(rec),
          }),
        );
      }
      case 'removeRecording':
      case 'cancelRecording': {
        const rec = typeof arg0 === 'string' ? this.recordings.get(arg0) : undefined;
        if (!rec) return this.send(res, 500, buildFault('DvrServiceException', `no recording ${String(arg0)}`));
        if (operation === 'removeRecording') rec.removedAt = Date.now();
        else rec.canceledAt = Date.now();
        return this.send(res, 200, buildResponse(operation));
      }
      case 'getDvrServerVersion':
        return this.send(res, 200, buildResponse(operation, 'dvr-simulator 1.0'));
      default:
        return this.send(res, 500, buildFault('DvrServiceException', `unknown operation ${operation}`));
    }
  }
}
