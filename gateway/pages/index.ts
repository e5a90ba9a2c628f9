// Pages served by the admin/app port.
export { escapeHtml } from './page-kit.js';
export { registerChatPage, renderChatPage, CHAT_PAGE_CSP, type ChatPageOptions } from './chat-page.js';
export { registerVideoPage, renderVideoPage, VIDEO_PAGE_CSP, VIDEO_PAGE_PATH, type VideoPageOptions } from './video-page.js';
export { registerConsolePage, renderConsolePage, CONSOLE_PAGE_PATH, CONSOLE_PAGE_CSP, type ConsolePageOptions } from './console-page.js';
