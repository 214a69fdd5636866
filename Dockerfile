# syntax=docker/dockerfile:1
# One image for every role: ROLE=api, ROLE=worker or ROLE=all picks what a container runs.

# --- build: compile TypeScript with the dev dependencies --------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build

# --- runtime: production dependencies and the compiled output only ----------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
# dist/src: the service; dist/migrations: applied at boot by the api role;
# dist/scripts: `node dist/scripts/migrate.js` for a separate migration step.
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/migrations ./dist/migrations
COPY --from=build /app/dist/scripts ./dist/scripts

USER node
EXPOSE 3000
# Ready means PostgreSQL and Redis answer and, in worker roles, the BullMQ workers run.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself, which starts the graceful shutdown.
CMD ["node", "dist/src/main.js"]
