# akash-ip-doctor container image: `check` for the CronJob, `serve` for the exporter.
#   docker build -t ghcr.io/OWNER/akash-ip-doctor:0.1.0 .
# Runs as UID 1000 (numeric, so Kubernetes can verify runAsNonRoot) on a read-only root filesystem.

FROM node:20-alpine AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
# --ignore-scripts: the `prepare` script compiles, which needs the sources copied below
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
COPY scripts/bundle.mjs ./scripts/bundle.mjs
# TypeScript -> dist/src, then the single-file bundle dist/bundle that bin runs
RUN npm run build

FROM node:20-alpine
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY schema ./schema
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/bundle ./dist/bundle
USER 1000:1000
ENTRYPOINT ["node", "/app/bin/akash-ip-doctor.js"]
CMD ["check", "--output", "json"]
