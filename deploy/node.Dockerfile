# A Beamstack node (docs/deployment.md). Build from the repository root:
#   docker build -f deploy/node.Dockerfile -t beamstack-node .
# The Node major matches .nvmrc and package.json "engines"; test/deploy/deploy-files.test.ts checks it.
ARG NODE_MAJOR=20

# Build stage: the same install and typecheck CI runs (`npm ci`, `tsc --noEmit`).
FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc --noEmit -p tsconfig.json

# Runtime stage: production dependencies only (tsx, which runs the TypeScript, is one of them:
# docs/decisions.md "Deployment"), no compiler, no test tools, not root.
FROM node:${NODE_MAJOR}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    ADMIN_HOST=0.0.0.0 \
    PORT=4000 \
    API_PORT=4001 \
    CONSOLE_SOCKET=/app/data/console.sock
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/actors ./actors
COPY --from=build /app/bin ./bin
COPY --from=build /app/cluster ./cluster
COPY --from=build /app/directory ./directory
COPY --from=build /app/domain ./domain
COPY --from=build /app/gateway ./gateway
COPY --from=build /app/persistence ./persistence
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# A 4 MB young-generation semi-space, as bin/stack/node-process.ts gives the nodes it starts:
# shorter GC pauses while a node loads a domain-model generation (docs/operations.md).
ENV NODE_OPTIONS=--max-semi-space-size=4
EXPOSE 4000 4001
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# What `npm run node` runs (tsx bin/node.ts), without npm in between so SIGTERM reaches the node.
CMD ["node", "--import", "tsx", "bin/node.ts"]
