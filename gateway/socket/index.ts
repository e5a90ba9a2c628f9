// The Phoenix-protocol chat endpoint and the chat HTTP routes.
export { registerChatSocket, SOCKET_PATH, tokenOf, type ChatSocketDeps, type ChatSocketHandle } from './plugin.js';
export { registerChatHttp, parseHistoryQuery, type ChatHttpDeps } from './http.js';
export { ChatConnection, DEFAULT_LIMITS, type ConnectionLimits, type SocketTransport, type ChatSocketApi } from './connection.js';
export * from './protocol.js';
