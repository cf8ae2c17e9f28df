# The fedlake image: one program for every role. `docker run fedlake:local node ...` runs a node,
# `... kubearmor-sim ...` a simulated KubeArmor, `... client ...` the client, as `fedlake` does in the
# repository: the JavaScript compiled into packages/*/dist (scripts/build.mjs, esbuild).
# glibc (Debian), not Alpine: the lockfile holds DuckDB's glibc bindings for linux/x64.
FROM node:20-bookworm-slim

WORKDIR /app

# The dependencies first, from the lockfile, so that a source change does not reinstall them.
# npm ci needs the manifest of every workspace (package.json "workspaces").
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/sql/package.json packages/sql/
COPY packages/duckdb/package.json packages/duckdb/
COPY packages/metadata/package.json packages/metadata/
COPY packages/operator/package.json packages/operator/
COPY packages/query/package.json packages/query/
COPY packages/kubearmor-sim/package.json packages/kubearmor-sim/
COPY packages/node/package.json packages/node/
COPY packages/cli/package.json packages/cli/
# With the dev dependencies (esbuild builds dist), without install scripts: the root's `prepare` (the build)
# needs the sources, which come next; esbuild and DuckDB find their platform packages without theirs.
RUN npm ci --ignore-scripts --no-audit --no-fund

# tsx (FEDLAKE_FROM_SOURCE=1) reads the compiler options (verbatimModuleSyntax, ...) from tsconfig.json.
COPY tsconfig.json tsconfig.base.json ./
COPY proto proto
COPY scripts/build.mjs scripts/
COPY packages packages
RUN npm run build && npm prune --omit=dev --no-audit --no-fund && npm cache clean --force

RUN ln -s /app/packages/cli/bin/fedlake.js /usr/local/bin/fedlake \
 && mkdir /data && chown node:node /data

USER node
ENV FEDLAKE_DATA_DIR=/data
# p2p, REST, and the simulator's KubeArmor LogService port
EXPOSE 32348 32349 32767
ENTRYPOINT ["fedlake"]
CMD ["--help"]
