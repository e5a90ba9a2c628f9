// Requests that only a zone's storage node can serve (upload, retention run) are answered on
// any other node with 307 to the same path and query on a live storage node of the zone.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VideoService } from '../../../actors/video/index.js';

/** True when it answered 307 (the caller returns the reply). */
export async function redirectToStorageNode(
  video: Pick<VideoService, 'storageNodeFor'>,
  zone: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<boolean> {
  const node = await video.storageNodeFor(zone);
  if (node === undefined) return false;
  const host = node.host.includes(':') ? `[${node.host}]` : node.host;
  await reply.code(307).header('location', `http://${host}:${node.port}${request.url}`).header('connection', 'close').send();
  return true;
}
