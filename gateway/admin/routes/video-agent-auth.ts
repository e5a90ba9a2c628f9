// Agent-token authentication for the routes workstation agents call (upload, agent-config):
// `Authorization: Bearer <agent token>` of the zone named in the path (docs/video.md).
import type { FastifyRequest } from 'fastify';
import type { VideoService } from '../../../actors/video/index.js';
import { ZONE_NAME_RE } from '../../../domain/video/index.js';
import { BadRequestError, UnauthorizedError } from '../../shared/errors.js';
import { bearerToken } from '../auth.js';

export function zoneParam(request: FastifyRequest): string {
  const name = (request.params as { name?: unknown }).name;
  if (typeof name !== 'string' || !ZONE_NAME_RE.test(name)) {
    throw new BadRequestError('params.name must be a zone name ([A-Za-z0-9_-], up to 64).', [
      { path: 'params.name', message: 'is not a zone name' },
    ]);
  }
  return name;
}

export function agentTokenAuth(video: Pick<VideoService, 'checkAgentToken'>): (request: FastifyRequest) => Promise<void> {
  return async function authenticateAgent(request) {
    const zone = zoneParam(request);
    const token = bearerToken(request);
    if (token === undefined) throw new UnauthorizedError("Send the zone's agent token: Authorization: Bearer <agent token>.");
    if (!(await video.checkAgentToken(zone, token)))
      throw new UnauthorizedError(`The agent token is not valid for zone ${zone} (unknown, revoked or of another zone).`);
  };
}
