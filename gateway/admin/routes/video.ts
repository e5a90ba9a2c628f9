// The video index's HTTP surface on the admin port (docs/video.md): one plugin for bin/.
import type { FastifyPluginAsync } from 'fastify';
import type { VideoService } from '../../../actors/video/index.js';
import { videoHttpError } from './video-errors.js';
import { videoPlaybackRoutes } from './video-playback.js';
import { videoSearchRoutes } from './video-search.js';
import { videoUploadRoutes } from './video-upload.js';
import { videoZoneRoutes } from './video-zones.js';

export function videoAdminPlugin(video: VideoService): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler((err, _request, _reply) => {
      throw videoHttpError(err) ?? err;
    });
    await app.register(videoZoneRoutes, { video });
    await app.register(videoSearchRoutes, { video });
    await app.register(videoPlaybackRoutes, { video });
    await app.register(videoUploadRoutes, { video });
  };
}
