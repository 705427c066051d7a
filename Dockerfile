# syntax=docker/dockerfile:1
# One file, three targets: ingest, worker, simulator.
#   docker build --target worker -t wrapup-worker .
ARG NODE_IMAGE=node:24-bookworm-slim

# --- dependencies: production only, for the one app being built -------------------------------
FROM ${NODE_IMAGE} AS deps
ARG APP_FILTER
WORKDIR /app
RUN npm install -g pnpm@12.4.2
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY apps/ingest/package.json apps/ingest/
COPY apps/worker/package.json apps/worker/
COPY packages/shared/package.json packages/shared/
COPY packages/runs/package.json packages/runs/
COPY packages/genesys-sim/package.json packages/genesys-sim/
COPY bench/package.json bench/
RUN pnpm install --frozen-lockfile --prod --ignore-scripts --filter "${APP_FILTER}..."

# --- runtime base: sources + the dependencies, non-root --------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps --chown=node:node /app /app
COPY --chown=node:node packages/shared/src packages/shared/src
COPY --chown=node:node packages/runs/src packages/runs/src
USER node

FROM runtime AS ingest-base
COPY --chown=node:node apps/ingest/src apps/ingest/src

FROM ${NODE_IMAGE} AS ingest
ENV NODE_ENV=production INGEST_HOST=0.0.0.0
WORKDIR /app/apps/ingest
COPY --from=ingest-base /app /app
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.INGEST_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node_modules/.bin/tsx", "src/main.ts"]

FROM runtime AS worker-base
COPY --chown=node:node apps/worker/src apps/worker/src

FROM ${NODE_IMAGE} AS worker
ENV NODE_ENV=production
WORKDIR /app/apps/worker
COPY --from=worker-base /app /app
USER node
CMD ["node_modules/.bin/tsx", "src/main.ts"]

FROM runtime AS simulator-base
COPY --chown=node:node packages/genesys-sim/src packages/genesys-sim/src
COPY --chown=node:node packages/genesys-sim/bin packages/genesys-sim/bin

FROM ${NODE_IMAGE} AS simulator
ENV NODE_ENV=production SIM_HOST=0.0.0.0
WORKDIR /app/packages/genesys-sim
COPY --from=simulator-base /app /app
USER node
EXPOSE 8787
CMD ["node_modules/.bin/tsx", "src/main.ts"]
