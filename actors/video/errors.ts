// Errors of the video branch. Each carries a `code` the gateway maps to a status
// (NOT_FOUND 404, CONFLICT 409, INVALID 400, FORBIDDEN 403; DISK_FULL 507 and
// NO_STORAGE_NODE 503 by the video routes).
export { ZoneNotFoundError } from './retention-actors.js';
export { ChecksumMismatchError, DiskFullError, UploadAbortedError } from './file-store.js';

/** An error whose name is its class's and whose `code` tells the gateway the status. */
abstract class VideoError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class VideoNotFoundError extends VideoError {
  readonly code = 'NOT_FOUND';
}

export class VideoConflictError extends VideoError {
  readonly code = 'CONFLICT';
}

export class VideoInvalidError extends VideoError {
  readonly code = 'INVALID';
}

export class BadLinkError extends VideoError {
  readonly code = 'FORBIDDEN';
  constructor(reason: string) {
    super(reason === 'expired' ? 'This playback link has expired; search again for a fresh one.' : 'This playback link is not valid.');
  }
}

export class NoStorageNodeError extends VideoError {
  readonly code = 'NO_STORAGE_NODE';
  constructor(zone: string) {
    super(`No live storage node serves video zone "${zone}" (start a node with VIDEO_ZONE=${zone}).`);
  }
}
