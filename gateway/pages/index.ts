// Pages served by the admin/app port.
export { registerChatPage, renderChatPage, escapeHtml, CHAT_PAGE_CSP, type ChatPageOptions } from './chat-page.js';
