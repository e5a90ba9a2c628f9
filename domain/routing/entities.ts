// The routing service's domain model: one TypeBox definition per entity gives the JSON
// schema (Fastify/ajv, OpenAPI) and the TypeScript type (Static<>). See docs/routing.md, "Domain model".
import { Type, type Static, type TObject, type TOptional, type TProperties, type TSchema } from '@sinclair/typebox';
import { formatCidr, parseCidr } from './ip.js';

/**
 * A human rule attached to a schema node; validation messages prefer it over TypeBox's own
 * text. Symbol keys are invisible to ajv and to JSON, and survive object spread.
 */
export const RULE = Symbol.for('beamstack.rule');

function rule<T extends TSchema>(schema: T, text: string): T {
  Object.defineProperty(schema, RULE, { value: text, enumerable: true, configurable: true });
  return schema;
}

export function ruleOf(schema: TSchema | undefined): string | undefined {
  if (!schema) return undefined;
  const text = (schema as unknown as Record<symbol, unknown>)[RULE];
  return typeof text === 'string' ? text : undefined;
}

// ---- enums (upper case on the wire and in storage) -------------------------------------

export const STATUSES = ['ACTIVE', 'INACTIVE'] as const;
export const SERVER_TYPES = ['EDGE', 'DVR'] as const;
export const PROTOCOLS = ['HLS', 'MPD'] as const;
export const ENCRYPTIONS = ['NONE', 'CENC', 'WIDEVINE', 'PLAYREADY'] as const;
export const RECORD_STATUSES = ['NEW', 'PLANNED', 'RUNNING', 'COMPLETED', 'ERROR', 'CANCELED', 'REMOVED'] as const;
export const STRATEGIES = ['random', 'consistent'] as const;

export type Status = (typeof STATUSES)[number];
export type ServerType = (typeof SERVER_TYPES)[number];
export type Protocol = (typeof PROTOCOLS)[number];
export type Encryption = (typeof ENCRYPTIONS)[number];
export type RecordStatus = (typeof RECORD_STATUSES)[number];
export type Strategy = (typeof STRATEGIES)[number];

function literalUnion<T extends string>(values: readonly T[], description: string) {
  return rule(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      { description },
    ),
    `must be one of ${values.join(', ')}`,
  );
}

const StatusSchema = literalUnion<Status>(STATUSES, 'ACTIVE or INACTIVE');
const ServerTypeSchema = literalUnion<ServerType>(SERVER_TYPES, 'EDGE serves clients; DVR stores catch-up records');
const ProtocolSchema = literalUnion<Protocol>(PROTOCOLS, 'HLS or MPD (DASH)');
const EncryptionSchema = literalUnion<Encryption>(ENCRYPTIONS, 'DRM of the stream');
const RecordStatusSchema = literalUnion<RecordStatus>(RECORD_STATUSES, 'record lifecycle; only COMPLETED records are served');
const StrategySchema = literalUnion<Strategy>(
  STRATEGIES,
  'random: weighted random edge; consistent: weighted rendezvous hashing of the resource (cache affinity)',
);

// ---- field types ------------------------------------------------------------------------

/** Client-supplied or generated (uuid v7) ids; they appear in admin URLs. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$';
/** Resource names in client paths (`/btv/live/{codec}/{resource}`). */
export const RESOURCE_PATTERN = '^[A-Za-z0-9_]+$';
export const DOMAIN_NAME_PATTERN = '^[a-z0-9.-]+\\.[a-z0-9.-]+$';
export const PREFIX_PATTERN = '^[\\w-]+$';
/** Characters allowed in a URL path (RFC 3986 pchar plus "/"); the value ends up in a Location header. */
const URL_PATH_CHARS = "[A-Za-z0-9\\-._~!$&'()*+,;=:@%/]";
const UTC_TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$';

const Id = rule(
  Type.String({ pattern: ID_PATTERN, description: 'record id (letters, digits, _ . : -; up to 128)' }),
  'must be 1 to 128 characters of letters, digits, _ . : - starting with a letter or digit',
);
const IdList = (description: string) => rule(Type.Array(Id, { uniqueItems: true, description }), 'must be a list of distinct ids');
const Name = rule(Type.String({ minLength: 1, maxLength: 200 }), 'must be 1 to 200 characters');
const Description = rule(Type.String({ maxLength: 2000 }), 'must be at most 2000 characters');
const Timestamp = rule(
  Type.String({ pattern: UTC_TIMESTAMP_PATTERN, description: 'ISO-8601 UTC, e.g. 2026-01-01T10:00:00Z' }),
  'must be an ISO-8601 UTC time like 2026-01-01T10:00:00Z',
);
const Port = rule(Type.Integer({ minimum: 1, maximum: 65535 }), 'must be a whole number from 1 to 65535');
const IpText = rule(
  Type.String({ minLength: 2, maxLength: 64, pattern: '^[0-9A-Fa-f.:]+$', description: 'IPv4 or IPv6 address' }),
  'must be an IPv4 or IPv6 address',
);
const EpgId = rule(
  Type.String({ pattern: RESOURCE_PATTERN, maxLength: 128, description: 'EPG id; used as the resource in client paths' }),
  'must be letters, digits and _ only (it is the resource in client paths)',
);
const AbsoluteUrlPath = rule(
  Type.String({ maxLength: 1024, pattern: `^/${URL_PATH_CHARS}*$` }),
  'must start with / and contain only URL path characters',
);

// ---- schema families: record / create / replace / patch ---------------------------------

const ReadOnlyTimestamp = Type.Optional({ ...Timestamp, readOnly: true, description: 'set by the server' });
const MANAGED = {
  createdAt: ReadOnlyTimestamp,
  updatedAt: ReadOnlyTimestamp,
  version: Type.Optional(
    rule(
      Type.Integer({ minimum: 0, readOnly: true, description: 'increases on every change; set by the server' }),
      'must be a whole number >= 0',
    ),
  ),
};
/** Fields the server owns: accepted in bodies (so a GET result can be PUT back) and ignored. */
export const SERVER_MANAGED_FIELDS = ['createdAt', 'updatedAt', 'version'] as const;

type OptionalAll<P extends TProperties> = { [K in keyof P]: TOptional<P[K]> };

function optionalAll<P extends TProperties>(props: P): OptionalAll<P> {
  const out: Record<string, TSchema> = {};
  for (const [key, schema] of Object.entries(props)) out[key] = Type.Optional(schema);
  return out as OptionalAll<P>;
}

/** Copies of the properties without `default`, so PATCH validation (ajv useDefaults) fills nothing in. */
function withoutDefaults<P extends TProperties>(props: P): P {
  const out: Record<string, TSchema> = {};
  for (const [key, schema] of Object.entries(props)) {
    const copy: TSchema = { ...schema };
    delete (copy as { default?: unknown }).default;
    out[key] = copy;
  }
  return out as P;
}

const STRICT = { additionalProperties: false } as const;

/**
 * required: must be given; defaulted: optional in bodies, always present in stored records;
 * optional: may be absent; derived: read-only, computed from other records.
 */
function family<R extends TProperties, D extends TProperties, O extends TProperties, X extends TProperties>(
  title: string,
  parts: { required: R; defaulted: D; optional: O; derived: X },
) {
  const { required, defaulted, optional, derived } = parts;
  const opt = optionalAll(optional);
  const der = optionalAll(derived);
  const record = Type.Object({ id: Id, ...required, ...defaulted, ...opt, ...der, ...MANAGED }, { ...STRICT, title });
  const create = Type.Object(
    { id: Type.Optional(Id), ...required, ...optionalAll(defaulted), ...opt, ...der, ...MANAGED },
    { ...STRICT, title: `${title} (create or replace)` },
  );
  // Bulk documents: ids required (references need them), defaults still optional.
  const bulk = Type.Object(
    { id: Id, ...required, ...optionalAll(defaulted), ...opt, ...der, ...MANAGED },
    { ...STRICT, title: `${title} (bulk)` },
  );
  const patch = Type.Object(
    {
      id: Type.Optional(Id),
      ...optionalAll(withoutDefaults(required)),
      ...optionalAll(withoutDefaults(defaulted)),
      ...opt,
      ...der,
      ...MANAGED,
    },
    { ...STRICT, title: `${title} (patch)` },
  );
  return { record, create, replace: create, patch, bulk };
}

// ---- the eight entities ------------------------------------------------------------------

export const RegionSchemas = family('Region', {
  required: { name: Name, status: StatusSchema },
  defaulted: { serverGroupIds: { ...IdList('server groups serving this region'), default: [] } },
  optional: { description: Description },
  derived: {},
});

export const SubnetSchemas = family('Subnet', {
  required: {
    name: Name,
    cidr: rule(
      Type.String({
        minLength: 3,
        maxLength: 64,
        pattern: '^[0-9A-Fa-f.:]+/\\d{1,3}$',
        description: 'IPv4 a.b.c.d/n (0..32) or IPv6 x::/n (0..128); host bits are ignored',
      }),
      'must be an IPv4 CIDR like 10.0.0.0/24 or an IPv6 CIDR like 2001:db8::/32',
    ),
    regionId: Id,
  },
  defaulted: {},
  optional: {},
  derived: {},
});

export const ServerGroupSchemas = family('ServerGroup', {
  required: { name: Name, status: StatusSchema },
  defaulted: {
    serverIds: { ...IdList('servers in this group'), default: [] },
    strategy: { ...StrategySchema, default: 'random' },
  },
  optional: { description: Description },
  derived: { regionIds: { ...IdList('regions listing this group (derived, read-only)'), readOnly: true } },
});

export const ServerSchemas = family('Server', {
  required: {
    type: ServerTypeSchema,
    domainName: rule(
      Type.String({ maxLength: 253, pattern: DOMAIN_NAME_PATTERN, description: 'lower-case host name' }),
      'must be a lower-case host name like edge1.example.com',
    ),
    ip: IpText,
    port: Port,
    status: StatusSchema,
  },
  defaulted: {
    availability: { ...rule(Type.Boolean(), 'must be true or false'), default: true },
    weight: {
      ...rule(
        Type.Integer({ minimum: 1, maximum: 100, description: 'share of traffic among edges' }),
        'must be a whole number from 1 to 100',
      ),
      default: 1,
    },
    healthcheckEnabled: { ...rule(Type.Boolean(), 'must be true or false'), default: true },
  },
  optional: {
    managePort: Port,
    manageIp: IpText,
    prefix: rule(
      Type.String({ maxLength: 64, pattern: PREFIX_PATTERN, description: 'DVR path prefix (/dvr/{prefix}/...)' }),
      'must be letters, digits, _ and - only',
    ),
    healthcheckPath: rule(
      Type.String({ maxLength: 1024, pattern: `^/${URL_PATH_CHARS}*$`, description: 'defaults to /' }),
      'must start with / and contain only URL path characters',
    ),
  },
  derived: { serverGroupIds: { ...IdList('groups listing this server (derived, read-only)'), readOnly: true } },
});

export const LinearChannelSchemas = family('LinearChannel', {
  required: { name: Name, codeName: Name, epgId: EpgId },
  defaulted: { dvrEnabled: { ...rule(Type.Boolean(), 'must be true or false'), default: false } },
  optional: {
    description: Description,
    serverGroupId: Id,
    storageId: rule(Type.Integer({ minimum: 1, maximum: 10 }), 'must be a whole number from 1 to 10'),
  },
  derived: {},
});

export const TvStreamSchemas = family('TvStream', {
  required: { linearChannelId: Id, streamPath: AbsoluteUrlPath, status: StatusSchema, protocol: ProtocolSchema },
  defaulted: { encryption: { ...EncryptionSchema, default: 'NONE' } },
  optional: {},
  derived: {},
});

export const ProgramSchemas = family('Program', {
  required: { linearChannelId: Id, epgId: EpgId, name: Name, startDatetime: Timestamp, endDatetime: Timestamp },
  defaulted: {},
  optional: {},
  derived: {},
});

export const ProgramRecordSchemas = family('ProgramRecord', {
  required: {
    programId: Id,
    serverId: Id,
    status: RecordStatusSchema,
    protocol: ProtocolSchema,
    path: rule(
      Type.String({ minLength: 1, maxLength: 1024, pattern: `^${URL_PATH_CHARS}+$`, description: 'path on the DVR below /dvr/{prefix}/' }),
      'must be a non-empty URL path',
    ),
  },
  defaulted: { encryption: { ...EncryptionSchema, default: 'NONE' } },
  optional: {},
  derived: {},
});

export type Region = Static<typeof RegionSchemas.record>;
export type Subnet = Static<typeof SubnetSchemas.record>;
export type ServerGroup = Static<typeof ServerGroupSchemas.record>;
export type Server = Static<typeof ServerSchemas.record>;
export type LinearChannel = Static<typeof LinearChannelSchemas.record>;
export type TvStream = Static<typeof TvStreamSchemas.record>;
export type Program = Static<typeof ProgramSchemas.record>;
export type ProgramRecord = Static<typeof ProgramRecordSchemas.record>;

/** The bulk document of GET/PUT /api/v1/domain. */
export interface DomainModel {
  regions: Region[];
  subnets: Subnet[];
  serverGroups: ServerGroup[];
  servers: Server[];
  linearChannels: LinearChannel[];
  tvStreams: TvStream[];
  programs: Program[];
  programRecords: ProgramRecord[];
}

export type ModelKey = keyof DomainModel;

/**
 * JSON schema of the bulk document (PUT /api/v1/domain body, for OpenAPI). validateDomainModel
 * does the full check (references, uniqueness), so a route may use this for docs only.
 */
export const DomainModelSchema = Type.Object(
  {
    regions: Type.Array(RegionSchemas.bulk),
    subnets: Type.Array(SubnetSchemas.bulk),
    serverGroups: Type.Array(ServerGroupSchemas.bulk),
    servers: Type.Array(ServerSchemas.bulk),
    linearChannels: Type.Array(LinearChannelSchemas.bulk),
    tvStreams: Type.Array(TvStreamSchemas.bulk),
    programs: Type.Array(ProgramSchemas.bulk),
    programRecords: Type.Array(ProgramRecordSchemas.bulk),
  },
  { ...STRICT, title: 'DomainModel' },
);

export function emptyDomainModel(): DomainModel {
  return {
    regions: [],
    subnets: [],
    serverGroups: [],
    servers: [],
    linearChannels: [],
    tvStreams: [],
    programs: [],
    programRecords: [],
  };
}

// ---- the collections table ----------------------------------------------------------------

export interface EntityTypes {
  regions: Region;
  subnets: Subnet;
  'server-groups': ServerGroup;
  servers: Server;
  'linear-channels': LinearChannel;
  'tv-streams': TvStream;
  programs: Program;
  'program-records': ProgramRecord;
}

/** URL collection names, in dependency order (referenced collections first where possible). */
export type CollectionName = keyof EntityTypes;
export type AnyEntity = EntityTypes[CollectionName];

export interface UniqueRule {
  /** One field, or several for a compound key. */
  readonly fields: readonly string[];
  /** Only records where the (single) field is set take part (e.g. Server.prefix). */
  readonly whenSet?: boolean;
  /** Compare a canonical form (e.g. a CIDR's network) instead of the raw text; undefined = not comparable. */
  readonly canonical?: (value: unknown) => string | undefined;
}

export interface ReferenceRule {
  readonly field: string;
  readonly target: CollectionName;
  /** The field is a list of ids. */
  readonly many: boolean;
  /**
   * What deleting the target does while this reference exists:
   * `refuse` → 409 naming the referring records; `pull` → the id is removed from the list.
   */
  readonly onDelete: 'refuse' | 'pull';
  /** The target must also satisfy this (e.g. a record's server must be a DVR). */
  readonly targetType?: { readonly field: string; readonly value: string; readonly message: string };
}

export interface CollectionInfo<C extends CollectionName = CollectionName> {
  readonly name: C;
  readonly key: ModelKey;
  /** Human singular / plural for messages: "server group" / "server groups". */
  readonly singular: string;
  readonly plural: string;
  /** record: stored/returned; create/replace: POST/PUT bodies; patch: PATCH bodies; bulk: items of PUT /domain. */
  readonly schemas: {
    readonly record: TObject;
    readonly create: TObject;
    readonly replace: TObject;
    readonly patch: TObject;
    readonly bulk: TObject;
  };
  readonly unique: readonly UniqueRule[];
  readonly references: readonly ReferenceRule[];
  /** Read-only fields computed from other records (ignored in bodies). */
  readonly derived: readonly string[];
}

const canonicalCidr = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const cidr = parseCidr(value);
  return cidr ? formatCidr(cidr) : undefined;
};

export const COLLECTIONS: { readonly [C in CollectionName]: CollectionInfo<C> } = {
  regions: {
    name: 'regions',
    key: 'regions',
    singular: 'region',
    plural: 'regions',
    schemas: RegionSchemas,
    unique: [{ fields: ['name'] }],
    references: [{ field: 'serverGroupIds', target: 'server-groups', many: true, onDelete: 'pull' }],
    derived: [],
  },
  subnets: {
    name: 'subnets',
    key: 'subnets',
    singular: 'subnet',
    plural: 'subnets',
    schemas: SubnetSchemas,
    unique: [{ fields: ['name'] }, { fields: ['cidr'], canonical: canonicalCidr }],
    references: [{ field: 'regionId', target: 'regions', many: false, onDelete: 'refuse' }],
    derived: [],
  },
  'server-groups': {
    name: 'server-groups',
    key: 'serverGroups',
    singular: 'server group',
    plural: 'server groups',
    schemas: ServerGroupSchemas,
    unique: [{ fields: ['name'] }],
    references: [{ field: 'serverIds', target: 'servers', many: true, onDelete: 'pull' }],
    derived: ['regionIds'],
  },
  servers: {
    name: 'servers',
    key: 'servers',
    singular: 'server',
    plural: 'servers',
    schemas: ServerSchemas,
    unique: [{ fields: ['domainName', 'type'] }, { fields: ['prefix'], whenSet: true }],
    references: [],
    derived: ['serverGroupIds'],
  },
  'linear-channels': {
    name: 'linear-channels',
    key: 'linearChannels',
    singular: 'linear channel',
    plural: 'linear channels',
    schemas: LinearChannelSchemas,
    unique: [{ fields: ['name'] }, { fields: ['codeName'] }, { fields: ['epgId'] }],
    // A group still named by a channel (its DVR group) cannot be deleted.
    references: [{ field: 'serverGroupId', target: 'server-groups', many: false, onDelete: 'refuse' }],
    derived: [],
  },
  'tv-streams': {
    name: 'tv-streams',
    key: 'tvStreams',
    singular: 'tv stream',
    plural: 'tv streams',
    schemas: TvStreamSchemas,
    unique: [{ fields: ['streamPath'] }],
    references: [{ field: 'linearChannelId', target: 'linear-channels', many: false, onDelete: 'refuse' }],
    derived: [],
  },
  programs: {
    name: 'programs',
    key: 'programs',
    singular: 'program',
    plural: 'programs',
    schemas: ProgramSchemas,
    unique: [{ fields: ['epgId'] }],
    references: [{ field: 'linearChannelId', target: 'linear-channels', many: false, onDelete: 'refuse' }],
    derived: [],
  },
  'program-records': {
    name: 'program-records',
    key: 'programRecords',
    singular: 'program record',
    plural: 'program records',
    schemas: ProgramRecordSchemas,
    unique: [{ fields: ['programId', 'protocol', 'encryption'] }],
    references: [
      { field: 'programId', target: 'programs', many: false, onDelete: 'refuse' },
      {
        field: 'serverId',
        target: 'servers',
        many: false,
        onDelete: 'refuse',
        targetType: { field: 'type', value: 'DVR', message: 'a program record must be on a DVR server' },
      },
    ],
    derived: [],
  },
};

export const COLLECTION_NAMES = Object.keys(COLLECTIONS) as CollectionName[];

export const COLLECTION_BY_KEY: { readonly [K in ModelKey]: CollectionName } = {
  regions: 'regions',
  subnets: 'subnets',
  serverGroups: 'server-groups',
  servers: 'servers',
  linearChannels: 'linear-channels',
  tvStreams: 'tv-streams',
  programs: 'programs',
  programRecords: 'program-records',
};

/** The records of one collection in a model. */
export function recordsOf<C extends CollectionName>(model: DomainModel, collection: C): EntityTypes[C][] {
  return model[COLLECTIONS[collection].key] as unknown as EntityTypes[C][];
}
