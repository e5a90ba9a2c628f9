// What the scheduler asks a DVR to record (docs/scheduling.md, "What is sent to the DVR"):
// one task per ACTIVE stream of the channel, built from the channel, the stream, the
// programme and an edge of the channel's group.
import type { LinearChannel, Program, Server, TvStream } from '../routing/entities.js';
import { dvrTime, type DvrRecordingTask } from './dvr-soap.js';

/** `{codeName}/{PROTOCOL}/{ENCRYPTION}/{programme epgId}`. */
export function placementOf(channel: LinearChannel, stream: TvStream, program: Program): string {
  return `${channel.codeName}/${stream.protocol}/${stream.encryption}/${program.epgId}`;
}

/** `format={protocol};encryption={encryption};channel={codeName}[;storageID={n}]`, lower case values. */
export function paramsOf(channel: LinearChannel, stream: TvStream): string {
  const base = `format=${stream.protocol.toLowerCase()};encryption=${stream.encryption.toLowerCase()};channel=${channel.codeName}`;
  return channel.storageId !== undefined ? `${base};storageID=${channel.storageId}` : base;
}

/** `{http|https}://{edge.domainName}{streamPath}`: https only for port 443, never a port. */
export function assetToCaptureOf(edge: Server, stream: TvStream): string {
  return `${edge.port === 443 ? 'https' : 'http'}://${edge.domainName}${stream.streamPath}`;
}

export function recordingTask(channel: LinearChannel, stream: TvStream, program: Program, edge: Server): DvrRecordingTask {
  return {
    assetToCapture: assetToCaptureOf(edge, stream),
    contentId: program.epgId,
    params: paramsOf(channel, stream),
    placement: placementOf(channel, stream, program),
    plannedStartTime: dvrTime(program.startDatetime),
    plannedEndTime: dvrTime(program.endDatetime),
  };
}

/** The identity of a ProgramRecord: one per (programme, protocol, encryption). */
export function recordKey(programId: string, protocol: string, encryption: string): string {
  return `${programId}|${protocol}|${encryption}`;
}

/** Weighted random choice (probability ∝ weight); undefined for an empty list. */
export function pickByWeight<T extends { weight: number }>(items: readonly T[], random: () => number = Math.random): T | undefined {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let point = random() * total;
  for (const item of items) {
    point -= item.weight;
    if (point < 0) return item;
  }
  return items[items.length - 1];
}

/** A random order (Fisher–Yates): the DVRs of a group are tried in it. */
export function shuffled<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
