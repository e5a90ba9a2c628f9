// The video index's shared types and pure rules (docs/video.md).
export * from './zone.js';
export * from './recording.js';
export * from './audit.js';
export * from './file-name-pattern.js';
export * from './file-path.js';
export * from './playback-link.js';
export * from './range.js';
