// Video zones (a site with its storage node) and their validation. See docs/video.md.
import { Type, type Static } from '@sinclair/typebox';
import { compileFileNamePattern } from './file-name-pattern.js';

export const ZONE_NAME = '^[A-Za-z0-9_-]{1,64}$';
export const ZONE_NAME_RE = new RegExp(ZONE_NAME);

export interface VideoZone {
  name: string;
  /** Host name playback links point to (the zone's storage node). */
  publicAddress: string;
  /** Port playback links point to: the storage node's admin port (PORT). */
  publicPort: number;
  /** Absolute directory of the zone's files on its storage node(s). */
  storageDir: string;
  /** Extension of the zone's recordings, without the dot, e.g. `mp4`. */
  fileType: string;
  /** Regular expression with named groups `sessionId` (required), `projectId?`, `recordedAt?`. */
  fileNamePattern: string;
  defaultStorageDays: number;
  /** The rate workstation agents keep to, in kilobytes per second. */
  uploadSpeedKbps: number;
  createdAt: string;
  updatedAt: string;
}

const zoneFields = {
  publicAddress: Type.String({
    minLength: 1,
    maxLength: 253,
    pattern: '^[A-Za-z0-9.:\\[\\]-]+$',
    description: 'host name or IP of the storage node as browsers reach it',
  }),
  publicPort: Type.Integer({ minimum: 1, maximum: 65535, description: "the storage node's admin port (PORT)" }),
  storageDir: Type.String({ minLength: 2, maxLength: 1024, pattern: '^/', description: 'absolute path on the storage node' }),
  fileType: Type.String({ pattern: '^[A-Za-z0-9]{1,10}$', description: 'file extension without the dot, e.g. mp4' }),
  fileNamePattern: Type.String({
    minLength: 1,
    maxLength: 1000,
    description: 'regular expression with named groups sessionId, projectId?, recordedAt?',
  }),
  defaultStorageDays: Type.Integer({ minimum: 1, maximum: 36500 }),
  uploadSpeedKbps: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
};

export const VideoZoneSchema = Type.Object({
  name: Type.String({ pattern: ZONE_NAME }),
  ...zoneFields,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const CreateZoneBodySchema = Type.Object(
  { name: Type.String({ pattern: ZONE_NAME }), ...zoneFields },
  { additionalProperties: false },
);
export type CreateZoneBody = Static<typeof CreateZoneBodySchema>;

export const PatchZoneBodySchema = Type.Partial(Type.Object(zoneFields), { additionalProperties: false, minProperties: 1 });
export type PatchZoneBody = Static<typeof PatchZoneBodySchema>;

export const AgentConfigSchema = Type.Object({
  name: Type.String(),
  fileType: Type.String(),
  fileNamePattern: Type.String(),
  uploadSpeedKbps: Type.Integer(),
});
export type AgentConfig = Static<typeof AgentConfigSchema>;

export class InvalidZoneError extends Error {
  readonly code = 'INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidZoneError';
  }
}

/** Checks what JSON schema cannot: the pattern compiles and has a sessionId group; paths are clean. */
export function checkZoneFields(fields: Partial<Pick<VideoZone, 'fileNamePattern' | 'storageDir'>>): void {
  if (fields.fileNamePattern !== undefined) {
    const compiled = compileFileNamePattern(fields.fileNamePattern);
    if (!compiled.ok) throw new InvalidZoneError(`fileNamePattern: ${compiled.message}`);
  }
  if (fields.storageDir !== undefined && (fields.storageDir.includes('\u0000') || /(^|\/)\.\.?(\/|$)/.test(fields.storageDir))) {
    throw new InvalidZoneError('storageDir must be an absolute path without . or .. segments');
  }
}

export function agentConfigOf(zone: VideoZone): AgentConfig {
  return { name: zone.name, fileType: zone.fileType, fileNamePattern: zone.fileNamePattern, uploadSpeedKbps: zone.uploadSpeedKbps };
}
