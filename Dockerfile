# The ops image: docker build -t ops .   then   docker run --env-file .env ops sync-centers
# Three stages: `build` compiles the TypeScript (dev dependencies, no tests);
# `deps` installs the production dependencies only; the runtime image gets
# those, the compiled program, its migrations and prompts: no compiler, no
# tests, no source, no secret (settings and secrets come from the environment
# the scheduler gives the container).
FROM node:22-alpine AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src src
COPY migrations migrations
RUN npx tsc -p tsconfig.json

FROM node:22-alpine AS deps
WORKDIR /deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:22-alpine
# tini is PID 1: it forwards SIGTERM (an ECS stop, a pod eviction) to ops, which
# records the run `interrupted` and exits 143 well within the 30 s stop timeout,
# and it reaps any child process.
RUN apk add --no-cache tini && mkdir -p /var/lib/ops/data /var/lib/ops/output && chown -R node:node /var/lib/ops
ENV NODE_ENV=production OPS_ENV=production OPS_DATA_DIR=/var/lib/ops/data OPS_OUTPUT_DIR=/var/lib/ops/output
WORKDIR /opt/ops
COPY package.json ./
COPY --from=deps /deps/node_modules node_modules
COPY bin bin
COPY prompts prompts
COPY --from=build /build/dist/src dist/src
COPY --from=build /build/dist/migrations dist/migrations
USER node
ENTRYPOINT ["/sbin/tini", "--", "node", "--max-semi-space-size=4", "/opt/ops/bin/ops.js"]
CMD ["--help"]
