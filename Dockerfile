# One image for every Switchboard process: `migrate`, `server`, `worker` (see docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY console ./console
RUN npm run build && npm run console:build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# The worker's malloc arenas (src/temporal/workerHeap.ts); harmless for the other commands.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/console/dist ./console/dist
COPY package.json ./
COPY bin ./bin
USER node
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["server"]
