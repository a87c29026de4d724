# syntax=docker/dockerfile:1
# Roster's image (README "Docker"). Three stages: FerretDB (the embedded database, built from the
# pinned Go module), the compiled TypeScript, and the runtime on Node.js 22 LTS as a non-root user.
# With MONGODB_URI, Roster uses that database; without it, the embedded FerretDB with data in /data.

ARG NODE_IMAGE=node:22.21-bookworm-slim

# --- FerretDB 1.24 (scripts/db/ensure-ferretdb.mjs, checksummed by scripts/db/ferretdb/go.sum) ---
FROM ${NODE_IMAGE} AS node

FROM golang:1.24-bookworm AS ferretdb
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /src
COPY package.json ./
COPY scripts/db ./scripts/db
RUN node scripts/db/ensure-ferretdb.mjs

# --- compile ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# --- runtime ---
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    ROSTER_DATA_DIR=/data
WORKDIR /app
# Application files belong to root and are read-only for the user that runs Roster.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=ferretdb /src/.tools ./.tools
COPY package.json ./
COPY config ./config
COPY openapi ./openapi
COPY console ./console
COPY --chmod=0755 docker/start.sh /usr/local/bin/roster-start
# uid 1000 is the "node" user of the official Node.js images.
RUN mkdir -p /data && chown 1000:1000 /data
VOLUME ["/data"]
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/roster-start"]
