# Tollgate gateway image: a build stage compiles the TypeScript and the portal's
# pages, the runtime stage holds production dependencies, the compiled code
# (dist/, the portal in dist/portal), rates/ and config/.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# src/ only (tsconfig.build.json): tests and benchmarks are not part of the image.
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The credits portal's pages (Vite + Preact), built into dist/portal by npm run build.
COPY web ./web
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    TOLLGATE_CONFIG=/app/config/tollgate.yaml \
    TOLLGATE_HTTP_HOST=0.0.0.0 \
    TOLLGATE_HTTP_PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY rates ./rates
COPY config ./config
# The rate files are edited by ops on a mounted volume in production; the
# gateway only reads them, and runs as the unprivileged "node" user.
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.TOLLGATE_HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/cli.js", "run"]
