// Video errors whose status the shared table does not know: a full disk (507), no live
// storage node for the zone (503), an interrupted upload (400).
import { HttpError, ServiceUnavailableError } from '../../shared/errors.js';

export function videoHttpError(err: unknown): HttpError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'DISK_FULL') return new HttpError(507, 'insufficient_storage', message);
  if (code === 'NO_STORAGE_NODE') return new ServiceUnavailableError('video storage node', message);
  if (code === 'ABORTED') return new HttpError(400, 'upload_aborted', message);
  return undefined;
}
