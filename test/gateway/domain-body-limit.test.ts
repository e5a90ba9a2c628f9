// PUT /api/v1/domain's body limit comes from DOMAIN_BODY_LIMIT_MB (docs/api.md): a larger body
// is refused with 413 naming the limit and the variable, before the domain service sees it.
import { expect } from 'chai';
import { DomainError, RawJsonBody, type DomainService, type ReplaceModelResult } from '../../actors/routing/index.js';
import { COLLECTIONS, COLLECTION_NAMES } from '../../domain/routing/entities.js';
import { domainRoutes } from '../../gateway/admin/routes/domain.js';
import { startHarness, type Harness } from './support/harness.js';

const MIB = 1024 * 1024;

/** A domain service that records the bodies PUT /api/v1/domain hands it, and refuses a body saying "refuse". */
function recordingDomain(received: RawJsonBody[]): DomainService {
  const counts = Object.fromEntries(COLLECTION_NAMES.map((c) => [COLLECTIONS[c].key, 0])) as ReplaceModelResult['counts'];
  const service: Pick<DomainService, 'replaceModel'> = {
    async replaceModel(doc) {
      if (!(doc instanceof RawJsonBody)) throw new Error('the route should hand over the raw body');
      received.push(doc);
      if (Buffer.from(doc.bytes).includes('refuse')) {
        throw new DomainError('INVALID', 'The domain model is invalid.', [{ path: 'regions', message: 'is required' }]);
      }
      return { counts, storageGeneration: 1 };
    },
  };
  return service as DomainService;
}

/** A JSON document of about `bytes` bytes. */
function documentOf(bytes: number): string {
  return JSON.stringify({ padding: 'x'.repeat(bytes) });
}

describe('gateway/admin: PUT /api/v1/domain body limit (DOMAIN_BODY_LIMIT_MB)', () => {
  let h: Harness;
  let token: string;
  const received: RawJsonBody[] = [];

  before(async () => {
    const plugin = async (app: Parameters<typeof domainRoutes>[0]): Promise<void> => {
      await app.register(domainRoutes, { domain: recordingDomain(received), bodyLimitMb: 1 });
    };
    h = await startHarness({ plugins: [plugin] });
    await h.seedUser('admin@example.com', 'admin-password', 'ADMIN');
    token = await h.login('admin@example.com', 'admin-password');
  });
  after(async () => {
    await h?.close();
  });

  it('hands a body under the configured limit to the domain service, raw', async () => {
    const body = documentOf(MIB - 1024);
    const res = await h.request('PUT', '/api/v1/domain', { token, rawBody: body, headers: { 'content-type': 'application/json' } });
    expect(res.status).to.equal(200);
    expect(received.at(-1)?.bytes.byteLength).to.equal(Buffer.byteLength(body));
  });

  it("the domain service's own errors still answer as before (400 with details)", async () => {
    const res = await h.request('PUT', '/api/v1/domain', {
      token,
      rawBody: '{"refuse":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).to.equal(400);
    expect(res.body['error']).to.equal('validation_failed');
    expect(res.body['details']).to.deep.equal([{ path: 'body.regions', message: 'is required' }]);
  });

  it('413 naming the limit and DOMAIN_BODY_LIMIT_MB for a body over it; the service never sees it', async () => {
    const before = received.length;
    const res = await h.request('PUT', '/api/v1/domain', {
      token,
      rawBody: documentOf(MIB + 1024),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).to.equal(413);
    expect(res.body['error']).to.equal('payload_too_large');
    expect(res.body['message']).to.equal(
      'The domain model is larger than 1 MiB, the limit of PUT /api/v1/domain; raise DOMAIN_BODY_LIMIT_MB on the node to load it.',
    );
    expect(received.length).to.equal(before);
  });
});
