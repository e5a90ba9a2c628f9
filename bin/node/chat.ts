// The chat feature's pieces for one node: the `chat` branch starter and the admin-server
// plugin (Phoenix socket, history API, chat page). start-node.ts composes them.
import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../../actors/auth/index.js';
import { startChat, type ChatBranch } from '../../actors/chat/index.js';
import type { ActorContext } from '../../actors/kernel/index.js';
import type { NodeConfig } from '../../domain/config.js';
import type { Logger } from '../../domain/log.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { registerChatPage } from '../../gateway/pages/index.js';
import { registerChatHttp, registerChatSocket } from '../../gateway/socket/index.js';
import { MongoChatMessageStore } from '../../persistence/chat-messages.js';
import { deleteChatMessagesBefore } from '../../persistence/chat-retention.js';
import { chatRetentionSpec } from '../../actors/chat/retention.js';
import type { MongoHandle } from '../../persistence/index.js';

export function startChatBranch(ctx: ActorContext<never>, config: NodeConfig, mongo: MongoHandle, store: ClusterStore): ChatBranch {
  const branch = startChat(ctx, { nodeName: config.nodeName, store: new MongoChatMessageStore(mongo.db), cluster: store });
  if (config.chatHistoryDays > 0) {
    ctx.spawn(
      chatRetentionSpec({
        holder: config.nodeName,
        leases: store.leases,
        historyDays: config.chatHistoryDays,
        intervalMs: config.chatRetentionIntervalMs,
        deleteBefore: (cutoff) => deleteChatMessagesBefore(mongo.db, cutoff),
      }),
    );
  }
  return branch;
}

export function chatAdminPlugin(config: NodeConfig, chat: ChatBranch, auth: AuthService, log: Logger): FastifyPluginAsync {
  const chatLog = log.child({ domain: 'chat' });
  return async (app) => {
    await registerChatSocket(app, {
      chat: chat.api,
      requireAuth: config.chatRequireAuth,
      nodeName: config.nodeName,
      log: chatLog,
      allowedOrigins: config.chatAllowedOrigins,
      maxSockets: config.chatMaxSockets,
      maxSocketsPerClient: config.chatMaxSocketsPerClient,
      verifyToken: async (token) => {
        const result = await auth.verify(token);
        return result.ok ? result.user.email : undefined;
      },
    });
    registerChatHttp(app, { chat: chat.api, requireAuth: config.chatRequireAuth, log: chatLog });
    registerChatPage(app, { nodeName: config.nodeName, requireAuth: config.chatRequireAuth });
  };
}
