// Errors of the video branch. Each carries a `code` the gateway maps to a status
// (NOT_FOUND 404, CONFLICT 409, INVALID 400, FORBIDDEN 403; DISK_FULL 507 and
// NO_STORAGE_NODE 503 by the video routes).
export { ZoneNotFoundError } from './retention-actors.js';
export { ChecksumMismatchError, DiskFullError, UploadAbortedError } from './file-store.js';

export class VideoNotFoundError extends Error {
  readonly code = 'NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'VideoNotFoundError';
  }
}

export class VideoConflictError extends Error {
  readonly code = 'CONFLICT';
  constructor(message: string) {
    super(message);
    this.name = 'VideoConflictError';
  }
}

export class VideoInvalidError extends Error {
  readonly code = 'INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'VideoInvalidError';
  }
}

export class BadLinkError extends Error {
  readonly code = 'FORBIDDEN';
  constructor(reason: string) {
    super(reason === 'expired' ? 'This playback link has expired; search again for a fresh one.' : 'This playback link is not valid.');
    this.name = 'BadLinkError';
  }
}

export class NoStorageNodeError extends Error {
  readonly code = 'NO_STORAGE_NODE';
  constructor(zone: string) {
    super(`No live storage node serves video zone "${zone}" (start a node with VIDEO_ZONE=${zone}).`);
    this.name = 'NoStorageNodeError';
  }
}
