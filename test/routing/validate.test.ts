import { expect } from 'chai';
import { createRequire } from 'node:module';
import { COLLECTION_NAMES, COLLECTIONS, DomainModelSchema, type DomainModel } from '../../domain/routing/entities.js';
import { applyPatch, deleteFromModel, patchInModel, putInModel } from '../../domain/routing/model-ops.js';
import {
  checkEntity,
  lookupFromModel,
  normalize,
  referencesTo,
  validateDomainModel,
  type FieldError,
} from '../../domain/routing/validate.js';
import { generateDomainModel } from '../../load_testing/fixture-model.js';
import { baseModel, loadCases } from './helpers.js';

function fixtureDoc(): Record<string, unknown[]> & DomainModel {
  return structuredClone(loadCases().fixture) as Record<string, unknown[]> & DomainModel;
}

function errorsOf(doc: unknown): FieldError[] {
  const result = validateDomainModel(doc);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

function messageAt(errors: FieldError[], path: string): string | undefined {
  return errors.find((e) => e.path === path)?.message;
}

describe('domain/redirect: validation', () => {
  it('accepts the fixture, applies defaults and computes derived fields', () => {
    const doc = fixtureDoc();
    doc.linearChannels.push({ id: 'lc2', name: 'Channel 2', codeName: 'c2', epgId: 'ch2' } as never);
    const result = validateDomainModel(doc);
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    expect(result.model.serverGroups[0]).to.include({ strategy: 'random' });
    expect(result.model.serverGroups[0]!.regionIds).to.deep.equal(['r1']);
    expect(result.model.servers[0]!.serverGroupIds).to.deep.equal(['g1']);
    expect(result.model.linearChannels[1]).to.include({ dvrEnabled: false });
  });

  it('normalize applies every default and drops derived fields', () => {
    expect(normalize('servers', { id: 'x', serverGroupIds: ['g'] })).to.deep.equal({
      id: 'x',
      availability: true,
      weight: 1,
      healthcheckEnabled: true,
    });
    expect(normalize('program-records', {})).to.deep.equal({ encryption: 'NONE' });
    expect(normalize('tv-streams', {})).to.deep.equal({ encryption: 'NONE' });
    expect(normalize('linear-channels', {})).to.deep.equal({ dvrEnabled: false });
    expect(normalize('server-groups', { regionIds: ['r'] })).to.deep.equal({ serverIds: [], strategy: 'random' });
    const a = normalize('regions', {});
    const b = normalize('regions', {});
    expect(a.serverGroupIds).to.not.equal(b.serverGroupIds); // no shared default arrays
  });

  it('names each bad field with its path', () => {
    const doc = fixtureDoc() as unknown as Record<string, Array<Record<string, unknown>>>;
    doc.servers![0]!.port = 70000;
    doc.servers![1]!.domainName = 'Edge_2';
    doc.servers![2]!.weight = 0;
    doc.servers![3]!.prefix = 'bad prefix';
    doc.servers![0]!.healthcheckPath = 'health';
    doc.regions![0]!.status = 'ON';
    delete doc.subnets![0]!.name;
    doc.tvStreams![0]!.streamPath = 's/no-slash';
    doc.tvStreams![1]!.encryption = 'FAIRPLAY';
    doc.programs![0]!.startDatetime = '2026-01-01 10:00';
    doc.programRecords![0]!.status = 'DONE';
    doc.linearChannels![0]!.storageId = 11;
    doc.serverGroups![0]!.unknownField = 1;
    doc.serverGroups![0]!.strategy = 'roundrobin';
    const errors = errorsOf(doc);
    expect(messageAt(errors, 'servers[0].port')).to.match(/1 to 65535/);
    expect(messageAt(errors, 'servers[1].domainName')).to.match(/host name/);
    expect(messageAt(errors, 'servers[2].weight')).to.match(/1 to 100/);
    expect(messageAt(errors, 'servers[3].prefix')).to.match(/letters, digits/);
    expect(messageAt(errors, 'servers[0].healthcheckPath')).to.match(/start with \//);
    expect(messageAt(errors, 'regions[0].status')).to.equal('must be one of ACTIVE, INACTIVE');
    expect(messageAt(errors, 'subnets[0].name')).to.equal('is required');
    expect(messageAt(errors, 'tvStreams[0].streamPath')).to.match(/start with \//);
    expect(messageAt(errors, 'tvStreams[1].encryption')).to.equal('must be one of NONE, CENC, WIDEVINE, PLAYREADY');
    expect(messageAt(errors, 'programs[0].startDatetime')).to.match(/ISO-8601/);
    expect(messageAt(errors, 'programRecords[0].status')).to.match(/COMPLETED/);
    expect(messageAt(errors, 'linearChannels[0].storageId')).to.match(/1 to 10/);
    expect(messageAt(errors, 'serverGroups[0].unknownField')).to.equal('is not a known field');
    expect(messageAt(errors, 'serverGroups[0].strategy')).to.equal('must be one of random, consistent');
  });

  it('checks CIDRs and IPs beyond their shape', () => {
    const doc = fixtureDoc() as unknown as Record<string, Array<Record<string, unknown>>>;
    doc.subnets!.push(
      { id: 'b1', name: 'b1', cidr: '1.2.3.4/33', regionId: 'r1' },
      { id: 'b2', name: 'b2', cidr: '300.1.1.1/8', regionId: 'r1' },
      { id: 'b3', name: 'b3', cidr: '2001:db8::/129', regionId: 'r1' },
      { id: 'b4', name: 'b4', cidr: 'zz/8', regionId: 'r1' },
      { id: 'ok6', name: 'ok6', cidr: '2001:db8::/32', regionId: 'r1' },
    );
    doc.servers![0]!.ip = '10.0.0.256';
    doc.servers![1]!.manageIp = '1:2:3';
    const errors = errorsOf(doc);
    for (const i of [1, 2, 3, 4]) expect(messageAt(errors, `subnets[${i}].cidr`), `subnets[${i}]`).to.match(/CIDR/);
    expect(messageAt(errors, 'subnets[5].cidr')).to.equal(undefined);
    expect(messageAt(errors, 'servers[0].ip')).to.match(/IPv4 or IPv6/);
    expect(messageAt(errors, 'servers[1].manageIp')).to.match(/IPv4 or IPv6/);
  });

  it('finds duplicates: ids, unique fields, compound keys, canonical CIDRs', () => {
    const doc = fixtureDoc() as unknown as Record<string, Array<Record<string, unknown>>>;
    doc.regions!.push({ id: 'r1', name: 'Other', status: 'ACTIVE' });
    doc.regions!.push({ id: 'r3', name: 'Region 1', status: 'ACTIVE' });
    doc.subnets!.push({ id: 's2', name: 'S2', cidr: '123.123.123.120/29', regionId: 'r1' });
    doc.servers!.push({ id: 'e9', type: 'EDGE', domainName: 'edge1.test', ip: '10.0.0.9', port: 80, status: 'ACTIVE' });
    doc.servers!.push({ id: 'd9', type: 'DVR', domainName: 'edge1.test', ip: '10.0.0.9', port: 80, status: 'ACTIVE', prefix: 'dvr1' });
    doc.tvStreams!.push({ id: 't9', linearChannelId: 'lc1', streamPath: '/s/hls', status: 'ACTIVE', protocol: 'HLS' });
    doc.programRecords!.push({ id: 'pr9', programId: 'p1', serverId: 'd1', status: 'COMPLETED', protocol: 'HLS', path: 'x' });
    const errors = errorsOf(doc);
    expect(messageAt(errors, 'regions[1].id')).to.match(/duplicate id "r1"/);
    expect(messageAt(errors, 'regions[2].name')).to.match(/duplicate name "Region 1"/);
    expect(messageAt(errors, 'subnets[1].cidr')).to.match(/duplicate cidr/);
    expect(messageAt(errors, 'servers[4].domainName')).to.match(/domainName "edge1.test" and type "EDGE"/);
    expect(messageAt(errors, 'servers[5].domainName')).to.equal(undefined); // same name, other type: allowed
    expect(messageAt(errors, 'servers[5].prefix')).to.match(/duplicate prefix "dvr1"/);
    expect(messageAt(errors, 'tvStreams[6].streamPath')).to.match(/duplicate streamPath/);
    expect(messageAt(errors, 'programRecords[4].programId')).to.match(/programId "p1" and protocol "HLS" and encryption "NONE"/);
  });

  it('resolves every reference and the cross-record rules', () => {
    const doc = fixtureDoc() as unknown as Record<string, Array<Record<string, unknown>>>;
    doc.subnets![0]!.regionId = 'r404';
    doc.regions![0]!.serverGroupIds = ['g1', 'g404'];
    doc.serverGroups![0]!.serverIds = ['e1', 'x404'];
    doc.tvStreams![0]!.linearChannelId = 'lc404';
    doc.programs![0]!.endDatetime = doc.programs![0]!.startDatetime;
    doc.programs!.push({
      id: 'p2',
      linearChannelId: 'lc1',
      epgId: 'p2',
      name: 'P2',
      startDatetime: '2026-02-30T10:00:00Z',
      endDatetime: '2026-03-01T24:00:00.5Z',
    });
    doc.programRecords![0]!.serverId = 'e1';
    doc.programRecords![1]!.programId = 'p404';
    doc.linearChannels!.push({ id: 'lc2', name: 'C2', codeName: 'c2', epgId: 'ch2', dvrEnabled: true });
    doc.linearChannels!.push({ id: 'lc3', name: 'C3', codeName: 'c3', epgId: 'ch3', serverGroupId: 'g404' });
    const errors = errorsOf(doc);
    expect(messageAt(errors, 'subnets[0].regionId')).to.equal('unknown region "r404"');
    expect(messageAt(errors, 'regions[0].serverGroupIds[1]')).to.equal('unknown server group "g404"');
    expect(messageAt(errors, 'serverGroups[0].serverIds[1]')).to.equal('unknown server "x404"');
    expect(messageAt(errors, 'tvStreams[0].linearChannelId')).to.equal('unknown linear channel "lc404"');
    expect(messageAt(errors, 'programs[0].endDatetime')).to.equal('must be after startDatetime');
    expect(messageAt(errors, 'programs[1].startDatetime')).to.equal('is not a valid date');
    expect(errors.filter((e) => e.path === 'programs[1].endDatetime').map((e) => e.message)).to.deep.equal(['is not a valid date']);
    expect(messageAt(errors, 'programRecords[0].serverId')).to.match(/is EDGE; a program record must be on a DVR/);
    expect(messageAt(errors, 'programRecords[1].programId')).to.equal('unknown program "p404"');
    expect(messageAt(errors, 'linearChannels[1].serverGroupId')).to.equal('is required when dvrEnabled is true');
    expect(messageAt(errors, 'linearChannels[2].serverGroupId')).to.equal('unknown server group "g404"');
  });

  it('refuses documents that are not the bulk format', () => {
    expect(errorsOf(null)[0]!.message).to.match(/must be an object/);
    expect(errorsOf([])[0]!.message).to.match(/must be an object/);
    const doc = fixtureDoc() as unknown as Record<string, unknown>;
    delete doc.programs;
    doc.servers = 'nope';
    doc.extra = [];
    (doc.regions as unknown[]).push(42);
    const errors = errorsOf(doc);
    expect(messageAt(errors, 'programs')).to.match(/is required/);
    expect(messageAt(errors, 'servers')).to.equal('must be a list');
    expect(messageAt(errors, 'extra')).to.equal('is not a known collection');
    expect(messageAt(errors, 'regions[1]')).to.equal('must be an object');
  });

  it('caps the error list', () => {
    const doc = fixtureDoc() as unknown as Record<string, unknown[]>;
    doc.subnets = Array.from({ length: 500 }, (_, i) => ({ id: `s${i}`, name: `s${i}`, cidr: 'bad', regionId: 'r1' }));
    const errors = errorsOf(doc);
    expect(errors).to.have.length(201);
    expect(errors[200]!.message).to.equal('and 300 more errors');
  });

  it('validates a large generated model', () => {
    const result = validateDomainModel(generateDomainModel({ subnets: 500, records: 2000, channels: 50, servers: 40 }));
    expect(result.ok, result.ok ? '' : JSON.stringify(result.errors.slice(0, 3))).to.equal(true);
  });
});

describe('domain/redirect: single records, deletes, schemas', () => {
  const model = baseModel();

  it('checkEntity: ok with defaults and derived fields', () => {
    const result = checkEntity(
      'servers',
      { id: 'e7', type: 'EDGE', domainName: 'edge7.test', ip: '10.0.0.7', port: 80, status: 'ACTIVE' },
      model,
    );
    expect(result.ok).to.equal(true);
    if (result.ok) expect(result.record).to.include({ availability: true, weight: 1, healthcheckEnabled: true });
    const group = checkEntity('server-groups', { ...model.serverGroups[0]!, name: 'Renamed' }, lookupFromModel(model));
    expect(group.ok && group.record.regionIds).to.deep.equal(['r1']);
  });

  it('checkEntity: 400 for bad fields and unknown references', () => {
    const bad = checkEntity('subnets', { id: 's9', name: 'S9', cidr: '1.2.3.0/24', regionId: 'nope' }, model);
    expect(bad).to.deep.include({ ok: false, status: 400, errors: [{ path: 'regionId', message: 'unknown region "nope"' }] });
    const invalid = checkEntity(
      'servers',
      { id: 'e7', type: 'EDGE', domainName: 'edge7.test', ip: '10.0.0.7', port: 0, status: 'ACTIVE' },
      model,
    );
    expect(invalid).to.include({ ok: false, status: 400 });
    if (!invalid.ok) expect(invalid.message).to.match(/port must be a whole number from 1 to 65535/);
    expect(checkEntity('regions', 'x', model)).to.include({ status: 400 });
    expect(checkEntity('regions', { name: 'No id', status: 'ACTIVE' }, model)).to.include({ status: 400 });
  });

  it('checkEntity: 409 for unique clashes, but not against itself', () => {
    const clash = checkEntity(
      'servers',
      { id: 'e7', type: 'EDGE', domainName: 'edge1.test', ip: '10.0.0.7', port: 80, status: 'ACTIVE' },
      model,
    );
    expect(clash).to.include({ ok: false, status: 409, error: 'conflict' });
    if (!clash.ok) expect(clash.message).to.equal('A server with domainName "edge1.test" and type "EDGE" already exists (id "e1")');
    expect(checkEntity('servers', { ...model.servers[0]!, weight: 99 }, model).ok).to.equal(true);
    const cidr = checkEntity('subnets', { id: 's9', name: 'S9', cidr: '123.123.123.127/29', regionId: 'r1' }, model);
    expect(cidr).to.include({ status: 409 });
    const prefix = checkEntity(
      'servers',
      { id: 'd7', type: 'DVR', domainName: 'dvr7.test', ip: '10.0.0.7', port: 80, status: 'ACTIVE', prefix: 'dvr1' },
      model,
    );
    expect(prefix).to.include({ status: 409 });
  });

  it('checkEntity: 409 when a change would break records that refer to it', () => {
    const result = checkEntity('servers', { ...model.servers[2]!, type: 'EDGE' }, model);
    expect(result).to.include({ status: 409 });
    if (!result.ok) expect(result.message).to.match(/server "d1" is used by program records pr1, pr2/);
  });

  it('referencesTo: refusals name what still refers; pulls list where to remove the id', () => {
    expect(referencesTo('regions', 'r1', model)).to.deep.include({
      blocked: true,
      message: 'Cannot delete region "r1": still used by subnets s1',
    });
    expect(referencesTo('linear-channels', 'lc1', model).message).to.equal(
      'Cannot delete linear channel "lc1": still used by tv streams t1, t2, t3, t4, t5, t6; programs p1',
    );
    expect(referencesTo('programs', 'p1', model).message).to.match(/program records pr1, pr2, pr3, pr4/);
    expect(referencesTo('server-groups', 'g1', model).message).to.match(/linear channels lc1/);
    const edge = referencesTo('servers', 'e1', model);
    expect(edge).to.deep.equal({ blocked: false, refusals: [], pulls: [{ collection: 'server-groups', field: 'serverIds', ids: ['g1'] }] });
    expect(referencesTo('subnets', 's1', model)).to.deep.equal({ blocked: false, refusals: [], pulls: [] });
  });

  it('model ops: delete pulls ids from lists, refuses while referenced', () => {
    const deleted = deleteFromModel(model, 'servers', 'e2');
    expect(deleted.ok).to.equal(true);
    if (deleted.ok) {
      expect(deleted.model.serverGroups[0]!.serverIds).to.deep.equal(['e1', 'd1', 'd2']);
      expect(deleted.model.servers.map((s) => s.id)).to.deep.equal(['e1', 'd1', 'd2']);
    }
    expect(deleteFromModel(model, 'servers', 'd1')).to.include({ ok: false, status: 409 });
    expect(deleteFromModel(model, 'servers', 'zz')).to.include({ ok: false, status: 404 });
    expect(model.servers).to.have.length(4); // input untouched
  });

  it('model ops: patch ignores read-only fields and is validated', () => {
    expect(applyPatch('servers', { id: 'e1', weight: 1 }, { id: 'other', weight: 5, version: 9, serverGroupIds: ['x'] })).to.deep.equal({
      id: 'e1',
      weight: 5,
    });
    expect(patchInModel(model, 'servers', 'e1', { port: 0 })).to.include({ ok: false, status: 400 });
    expect(patchInModel(model, 'servers', 'e1', { domainName: 'edge2.test' })).to.include({ ok: false, status: 409 });
    const ok = putInModel(model, 'regions', { id: 'r2', name: 'R2', status: 'ACTIVE', serverGroupIds: ['g1'] });
    expect(ok.ok && ok.model.serverGroups[0]!.regionIds).to.deep.equal(['r1', 'r2']);
  });

  it('COLLECTIONS: every name, key and reference target is consistent', () => {
    expect(COLLECTION_NAMES).to.deep.equal([
      'regions',
      'subnets',
      'server-groups',
      'servers',
      'linear-channels',
      'tv-streams',
      'programs',
      'program-records',
    ]);
    for (const name of COLLECTION_NAMES) {
      const info = COLLECTIONS[name];
      expect(info.name).to.equal(name);
      for (const ref of info.references) expect(COLLECTION_NAMES).to.include(ref.target);
      for (const rule of info.unique) for (const f of rule.fields) expect(info.schemas.record.properties).to.have.property(f);
      for (const f of info.derived) expect(info.schemas.record.properties).to.have.property(f);
    }
  });

  it('schemas compile in strict ajv as Fastify configures it; patch schemas fill no defaults', () => {
    const require = createRequire(import.meta.url);
    const Ajv = require('ajv') as new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
    const ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: true, allErrors: false, strict: true });
    for (const name of COLLECTION_NAMES) {
      for (const kind of ['record', 'create', 'patch', 'bulk'] as const) ajv.compile(COLLECTIONS[name].schemas[kind]);
    }
    const bulk = ajv.compile(DomainModelSchema);
    const doc = fixtureDoc();
    expect(bulk(doc), JSON.stringify(bulk.errors)).to.equal(true);
    expect(doc.serverGroups[0]).to.have.property('strategy', 'random'); // ajv useDefaults
    const patch = ajv.compile(COLLECTIONS.servers.schemas.patch);
    const body: Record<string, unknown> = { port: 81 };
    expect(patch(body)).to.equal(true);
    expect(body).to.deep.equal({ port: 81 });
    const create = ajv.compile(COLLECTIONS.servers.schemas.create);
    const full: Record<string, unknown> = { type: 'EDGE', domainName: 'e.test', ip: '10.0.0.1', port: 80, status: 'ACTIVE' };
    expect(create(full)).to.equal(true);
    expect(full).to.include({ availability: true, weight: 1, healthcheckEnabled: true });
    expect(create({ ...full, type: 'CACHE' })).to.equal(false);
  });
});
