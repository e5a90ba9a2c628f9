# A Hazelcast member of a Beamstack cluster, with the project's member configuration: the
# image runs `npm run member` (bin/member.ts), which writes the XML from MEMBER_* and
# HZ_CLUSTER_NAME and starts the JVM (docs/deployment.md). Build from the repository root:
#   docker build -f deploy/member.Dockerfile -t beamstack-member .
ARG NODE_MAJOR=20
# Same version as bin/setup-infra.sh (HZ_VERSION) and cluster/hazelcast/member.ts.
ARG HZ_VERSION=5.6.0

# The member jar, fetched from Maven Central the way bin/setup-infra.sh does.
FROM maven:3-eclipse-temurin-17 AS jar
ARG HZ_VERSION
RUN mvn -q -B dependency:copy -Dartifact=com.hazelcast:hazelcast:${HZ_VERSION} \
      -DoutputDirectory=/jar -Dmdep.useBaseVersion=true

FROM node:${NODE_MAJOR}-bookworm-slim AS runtime
ARG HZ_VERSION
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    MEMBER_PORT=5701 \
    MEMBER_HEAP=512m \
    MEMBER_CONFIG_DIR=/app/data/member
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY cluster ./cluster
COPY domain ./domain
COPY --from=jar /jar/hazelcast-${HZ_VERSION}.jar ./.infra/hazelcast/hazelcast-${HZ_VERSION}.jar
RUN mkdir -p /app/data/member && chown -R node:node /app/data
USER node
EXPOSE 5701
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "const s = require('net').connect(Number(process.env.MEMBER_PORT), process.env.MEMBER_BIND_ADDRESS || '127.0.0.1'); s.on('connect', () => process.exit(0)); s.on('error', () => process.exit(1))"
# What `npm run member` runs (tsx bin/member.ts).
CMD ["node", "--import", "tsx", "bin/member.ts"]
