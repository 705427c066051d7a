# One file, three targets: ingest, worker, simulator.
#   docker build --target worker --build-arg APP_FILTER=@wrapup/worker -t wrapup-worker .
# Code and node_modules belong to root and are read-only to the `node` user the apps run as.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- dependencies: production only, for the one app being built -------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN npm install -g pnpm@12.4.2
# declared after the pnpm install, so that layer is shared by the builds of every app
ARG APP_FILTER
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY apps/ingest/package.json apps/ingest/
COPY apps/worker/package.json apps/worker/
COPY packages/shared/package.json packages/shared/
COPY packages/runs/package.json packages/runs/
COPY packages/genesys-sim/package.json packages/genesys-sim/
COPY bench/package.json bench/
# tsx is a production dependency of every app: it runs the TypeScript sources (node --import tsx)
RUN pnpm install --frozen-lockfile --prod --ignore-scripts --filter "${APP_FILTER}..."

# --- sources shared by the apps, on top of the dependencies ----------------------------------
FROM deps AS sources
COPY packages/shared/src packages/shared/src
COPY packages/runs/src packages/runs/src

FROM sources AS ingest-app
COPY apps/ingest/src apps/ingest/src
RUN chmod -R u=rwX,go=rX /app

FROM sources AS worker-app
COPY apps/worker/src apps/worker/src
# the embedded warehouse's default DATA_DIR (./data), the one place the worker may write;
# compose uses PostgreSQL instead
RUN chmod -R u=rwX,go=rX /app && mkdir apps/worker/data && chown node:node apps/worker/data

FROM sources AS simulator-app
COPY packages/genesys-sim/src packages/genesys-sim/src
COPY packages/genesys-sim/bin packages/genesys-sim/bin
RUN chmod -R u=rwX,go=rX /app

# --- runtime images: root-owned code, run by `node`, node itself as PID 1 ---------------------
FROM ${NODE_IMAGE} AS ingest
ENV NODE_ENV=production INGEST_HOST=0.0.0.0
COPY --from=ingest-app /app /app
WORKDIR /app/apps/ingest
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.INGEST_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "src/main.ts"]

FROM ${NODE_IMAGE} AS worker
ENV NODE_ENV=production
COPY --from=worker-app /app /app
WORKDIR /app/apps/worker
USER node
CMD ["node", "--import", "tsx", "src/main.ts"]

FROM ${NODE_IMAGE} AS simulator
ENV NODE_ENV=production SIM_HOST=0.0.0.0
COPY --from=simulator-app /app /app
WORKDIR /app/packages/genesys-sim
USER node
EXPOSE 8787
CMD ["node", "--import", "tsx", "src/main.ts"]
