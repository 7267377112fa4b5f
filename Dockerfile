# syntax=docker/dockerfile:1
# ecs-image-graph: the GraphQL service (the default, last stage), and a `demo` target with the sandbox and the
# sample subgraph that docker-compose.yml runs beside it. Node is the version of .nvmrc, the one CI tests on.

# 1. Compile the TypeScript, with every dependency.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Production dependencies only.
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# 3. The demo parts docker-compose.yml runs beside the service: the sandbox as the upstream, and the sample
#    `servers` subgraph, run from its source (it is not compiled into dist/). Everything of the build stage; not
#    the production image.
FROM build AS demo
COPY federation ./federation
COPY examples/servers-subgraph ./examples/servers-subgraph
USER node

# 4. The production image: compiled code, production dependencies, no compiler, no demo, not root.
FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
# Node sizes its heap from the container's memory limit (cgroup), not the machine's: by default nearly all of it, so
# the process would pass the limit and be killed before V8 collects hard. Half of it for the heap; the other half
# must hold what lives off the heap (code, stacks, Buffers and sockets, the GraphiQL files, V8's own overhead).
# Node 24 takes a number here, not "50%". Give the container a memory limit (Kubernetes, `docker run --memory`);
# `npm run test:container` measures what it holds under 256 MiB and 512 MiB.
ENV NODE_OPTIONS=--max-old-space-size-percentage=50
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# package.json says the compiled files are ES modules.
COPY package.json ./
USER node
EXPOSE 4000
# /healthz: the process is alive (the service, the sandbox and the sample subgraph all answer it).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# What `npm start` runs once its prestart step has built dist/ (the README's Quick start). Node itself is
# PID 1, so SIGTERM reaches the service.
CMD ["node", "dist/main.js"]
