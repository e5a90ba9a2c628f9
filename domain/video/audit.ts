// The audit log: who searched and who played what, when, from where (docs/video.md, "Audit").
import { Type, type Static } from '@sinclair/typebox';

export const AUDIT_ACTIONS = ['video.search', 'video.playback'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  id: string;
  /** ISO 8601. */
  at: string;
  action: AuditAction;
  /** User id (a playback carries the id of the user the link was made for), or `anonymous`. */
  actor: string;
  /** Client address, by the trusted-proxy rule (TRUSTED_PROXIES). */
  ip: string;
  /** What: the search filter, or the zone and file played (with the byte range). */
  details: Record<string, string | number | boolean>;
}

export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  action: Type.String(),
  actor: Type.String(),
  ip: Type.String(),
  details: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
});

export const AuditPageSchema = Type.Object({ items: Type.Array(AuditEntrySchema), total: Type.Integer() });

export const AuditQuerySchema = Type.Object(
  {
    action: Type.Optional(Type.Union(AUDIT_ACTIONS.map((a) => Type.Literal(a)))),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuerySchema>;
