// Recordings (one per stored file) and the search over them. See docs/video.md.
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from './file-name-pattern.js';
import { ZONE_NAME } from './zone.js';

export interface VideoRecording {
  /** `<zone>~<fileName>`. */
  id: string;
  zone: string;
  projectId?: string;
  sessionId: string;
  fileName: string;
  /** ISO 8601. */
  recordedAt: string;
  storageDays: number;
  sizeBytes: number;
  /** Lower-case hex. */
  sha256: string;
  legalHold: boolean;
  /** Set once the file is gone (retention); never while the file still exists. */
  deletedAt?: string;
  /** True while the file is not in storageDir although it was not deleted by retention. */
  missing?: boolean;
  /** Retention intends to delete the file (a crash between the intent and deletedAt is finished by the next run). */
  deleting?: boolean;
}

/** What the indexer registers; the store adds id and legalHold. */
export type NewRecording = Omit<VideoRecording, 'id' | 'legalHold' | 'deletedAt' | 'missing' | 'deleting'>;

/** The day a recording's storage period ends (recordedAt + storageDays). */
export function expiresAt(recording: Pick<VideoRecording, 'recordedAt' | 'storageDays'>): Date {
  return new Date(Date.parse(recording.recordedAt) + recording.storageDays * 86_400_000);
}

export const RecordingSchema = Type.Object({
  id: Type.String(),
  zone: Type.String(),
  projectId: Type.Optional(Type.String()),
  sessionId: Type.String(),
  fileName: Type.String(),
  recordedAt: Type.String({ format: 'date-time' }),
  storageDays: Type.Integer(),
  sizeBytes: Type.Integer(),
  sha256: Type.String(),
  legalHold: Type.Boolean(),
  deletedAt: Type.Optional(Type.String({ format: 'date-time' })),
  missing: Type.Optional(Type.Boolean()),
});

export const SearchItemSchema = Type.Object({
  ...RecordingSchema.properties,
  playbackUrl: Type.Union([Type.String(), Type.Null()], {
    description: 'signed, expiring link on the storage node; null when the file is deleted or missing',
  }),
});

export const SearchPageSchema = Type.Object({ items: Type.Array(SearchItemSchema), total: Type.Integer() });
export type SearchPage = Static<typeof SearchPageSchema>;

export const SearchQuerySchema = Type.Object(
  {
    sessionId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    projectId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    zone: Type.Optional(Type.String({ pattern: ZONE_NAME })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'recordedAt >= from' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'recordedAt < to' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuerySchema>;

/** The store's side of a search: equality filters plus an optional date range. */
export interface RecordingFilter {
  sessionId?: string;
  projectId?: string;
  zone?: string;
  from?: string;
  to?: string;
}

export const LegalHoldBodySchema = Type.Object({ legalHold: Type.Boolean() }, { additionalProperties: false });
export type LegalHoldBody = Static<typeof LegalHoldBodySchema>;
