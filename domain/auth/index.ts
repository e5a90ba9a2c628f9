export * from './password.js';
export * from './password-policy.js';
export * from './token.js';
export * from './user.js';
export * from './directory.js';
