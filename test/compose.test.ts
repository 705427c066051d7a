import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configRows, documentedVariables, readReadme } from './support/readme-config';

interface Service {
  image?: string;
  build?: { context: string; target: string; args?: Record<string, string> };
  command?: string[];
  container_name?: string;
  ports?: string[];
  profiles?: string[];
  healthcheck?: { test: string[]; start_period?: string; start_interval?: string };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  env_file?: (string | { path: string; required?: boolean })[];
  environment?: Record<string, string>;
}

const root = new URL('..', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');
const parseCompose = (file: string) =>
  parse(read(file), { merge: true }) as { services: Record<string, Service> };

const composeText = read('docker-compose.yml');
const { services } = parseCompose('docker-compose.yml');
const dev = parseCompose('docker-compose.dev.yml').services;
const dockerfile = read('Dockerfile');
const dockerignore = read('.dockerignore');
const envExample = read('.env.example');
const readme = readReadme();

/** What compose itself decides for the app containers; everything else comes from .env. */
const COMPOSE_DECIDED = ['REDIS_URL', 'WAREHOUSE_URL', 'INGEST_HOST', 'INGEST_PORT', 'ADMIN_PORT'];
const DEV_COMMAND =
  'docker compose -f docker-compose.yml -f docker-compose.dev.yml up -d redis postgres';
const SIM_BLOCK = [
  '# GENESYS_API_URL=http://simulator:8787',
  '# GENESYS_LOGIN_URL=http://simulator:8787',
  '# GENESYS_CLIENT_ID=wrapup-demo',
  '# GENESYS_CLIENT_SECRET=wrapup-demo-secret',
  '# COMPOSE_PROFILES=sim',
];

/** A README section's text, from its "## " heading to the next. */
const section = (title: string) =>
  readme.split(new RegExp(`^## ${title}\\s*$`, 'm'))[1]?.split(/^## /m)[0] ?? '';

/** The Dockerfile split into stages: name and text (FROM line included). */
const stages = dockerfile
  .split(/^(?=FROM )/m)
  .filter((s) => s.startsWith('FROM '))
  .map((text) => ({ from: text.split('\n')[0]!, name: /AS (\S+)$/m.exec(text)?.[1], text }));

describe('docker-compose.yml', () => {
  it('has redis, postgres, ingest, worker and a simulator behind a profile', () => {
    expect(Object.keys(services).sort()).toEqual([
      'ingest',
      'postgres',
      'redis',
      'simulator',
      'worker',
    ]);
    expect(services.simulator?.profiles).toEqual(['sim']);
  });

  it('runs Redis with append-only persistence and noeviction', () => {
    const cmd = services.redis?.command?.join(' ') ?? '';
    expect(cmd).toMatch(/--appendonly yes/);
    expect(cmd).toMatch(/--maxmemory-policy noeviction/);
  });

  it('lets the worker scale: no fixed container name and no host ports', () => {
    const worker = services.worker!;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.build?.target).toBe('worker');
    expect(worker.depends_on?.redis?.condition).toBe('service_healthy');
  });

  it('serves /admin and /metrics on an admin port published on the host loopback only', () => {
    const ingest = services.ingest!;
    expect(ingest.environment?.ADMIN_PORT).toBe('3001');
    expect(ingest.ports).toContain('${INGEST_PUBLISH_PORT:-3000}:3000');
    const admin = (ingest.ports ?? []).filter((p) => p.endsWith(':3001'));
    expect(admin).toEqual(['${ADMIN_PUBLISH_ADDR:-127.0.0.1}:${ADMIN_PUBLISH_PORT:-3001}:3001']);
  });

  it('gives every long-running service a restart policy and a health check', () => {
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.restart, name).toBe('unless-stopped');
      expect(svc.healthcheck?.test.length, name).toBeGreaterThan(0);
    }
  });

  it('checks PostgreSQL over TCP, the ingest every second while starting, the worker against its Redis', () => {
    expect(services.postgres?.healthcheck?.test).toEqual(
      expect.arrayContaining(['pg_isready', '-h', '127.0.0.1']),
    );
    const ingest = services.ingest!.healthcheck!;
    expect(ingest.test.join(' ')).toMatch(/127\.0\.0\.1:3000\/readyz/);
    expect(ingest.start_period).toMatch(/^\d+s$/);
    expect(ingest.start_interval).toBe('1s');
    const worker = services.worker!.healthcheck!.test.join(' ');
    expect(worker).toMatch(/require\('ioredis'\)\)\(process\.env\.REDIS_URL/);
    expect(worker).toMatch(/\.ping\(\)/);
  });

  it('builds every app target that compose names from the Dockerfile', () => {
    for (const svc of Object.values(services)) {
      if (svc.build)
        expect(dockerfile).toMatch(new RegExp(`^FROM .* AS ${svc.build.target}$`, 'm'));
    }
  });

  it('pulls no image but the base images: Redis and PostgreSQL, the apps are built', () => {
    const images = Object.entries(services)
      .filter(([, svc]) => svc.image !== undefined)
      .map(([name, svc]) => `${name}=${svc.image}`);
    expect(images).toEqual(['redis=redis:7.4-alpine', 'postgres=postgres:17-alpine']);
    for (const name of ['ingest', 'worker', 'simulator'])
      expect(services[name]?.build).toBeDefined();
    for (const svc of Object.values(dev)) expect(svc.image).toBeUndefined();
  });

  it('binds no host port beyond 127.0.0.1 except the ingest public port, here and in docker-compose.dev.yml', () => {
    const loopback = /^(127\.0\.0\.1|\$\{[A-Z_]+:-127\.0\.0\.1\}):/;
    for (const [file, all] of [
      ['docker-compose.yml', services],
      ['docker-compose.dev.yml', dev],
    ] as const) {
      for (const [name, svc] of Object.entries(all)) {
        for (const port of svc.ports ?? []) {
          if (file === 'docker-compose.yml' && name === 'ingest' && port.endsWith(':3000'))
            continue;
          expect(port, `${file} ${name}`).toMatch(loopback);
        }
      }
    }
    expect(services.simulator?.ports).toEqual(['127.0.0.1:${SIM_PUBLISH_PORT:-8787}:8787']);
  });
});

describe('settings from .env (issue 19)', () => {
  const documented = documentedVariables(readme);

  it('reads the README configuration table', () => {
    expect(documented.length).toBeGreaterThan(30);
    expect(documented).toContain('WAREHOUSE_URL');
  });

  it('passes .env whole (optional) to the ingest and worker; environment holds only what compose decides', () => {
    for (const name of ['ingest', 'worker']) {
      const svc = services[name]!;
      expect(svc.env_file, name).toEqual([{ path: '.env', required: false }]);
      for (const key of Object.keys(svc.environment ?? {}))
        expect(COMPOSE_DECIDED, `${name} environment ${key}`).toContain(key);
      // every README variable reaches the container: from .env, or set by compose itself
      const fromEnvFile = svc.env_file?.some((f) => typeof f === 'object' && f.path === '.env');
      for (const variable of documented)
        expect(fromEnvFile || variable in (svc.environment ?? {}), `${name} ${variable}`).toBe(
          true,
        );
    }
  });

  it('uses a WAREHOUSE_URL from .env whole, else the compose PostgreSQL', () => {
    for (const name of ['ingest', 'worker'])
      expect(services[name]?.environment?.WAREHOUSE_URL, name).toMatch(
        /^\$\{WAREHOUSE_URL:-postgres:\/\/wrapup:\$\{POSTGRES_PASSWORD:-wrapup\}@postgres:5432\/wrapup\}$/,
      );
    expect(envExample).toMatch(/percent-encode/);
  });

  it('ships .env.example with every README variable, commented out, with its documented default', () => {
    const lines = envExample.split('\n');
    expect(lines.filter((l) => l.trim() !== '' && !l.startsWith('#'))).toEqual([]);
    for (const { names, defaults } of configRows(readme)) {
      names.forEach((name, i) => {
        const value = (defaults.length === names.length ? defaults[i] : defaults[0]) ?? '';
        expect(lines, name).toContain(`# ${name}=${value}`);
      });
    }
  });

  it('says how INVENTORY_FILE reaches a container', () => {
    expect(envExample).toMatch(/INVENTORY_FILE=\/run\/wrapup\/inventory\.json/);
    expect(envExample).toMatch(/docker-compose\.override\.yml/);
  });
});

describe('the bundled simulator', () => {
  it('has a commented block in .env.example with the exact lines to use it', () => {
    const lines = envExample.split('\n');
    const start = lines.indexOf(SIM_BLOCK[0]!);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(lines.slice(start, start + SIM_BLOCK.length)).toEqual(SIM_BLOCK);
  });

  it('is never described as GENESYS_API_URL=GENESYS_LOGIN_URL=..., which sets a literal string', () => {
    for (const text of [composeText, readme, envExample])
      expect(text).not.toMatch(/GENESYS_API_URL=GENESYS_LOGIN_URL=/);
  });

  it('is stopped with its profile: `docker compose --profile sim down` or COMPOSE_PROFILES=sim', () => {
    expect(section('Scaling and deployment')).toMatch(/docker compose --profile sim down/);
    expect(envExample).toMatch(/^# COMPOSE_PROFILES=sim$/m);
  });
});

describe('README and docker-compose.dev.yml', () => {
  it('states that Docker Compose v2 is required', () => {
    const deploy = section('Scaling and deployment');
    expect(deploy).toMatch(/Docker Compose v2/);
    expect(deploy).toMatch(/`docker compose version`/);
    expect(readme).not.toMatch(/\bdocker-compose (up|down|-f|run|ps)\b/);
  });

  it('publishes Redis and PostgreSQL for local runs on 127.0.0.1 only', () => {
    expect(Object.keys(dev).sort()).toEqual(['postgres', 'redis']);
    expect(dev.redis?.ports).toEqual(['127.0.0.1:6379:6379']);
    expect(dev.postgres?.ports).toEqual(['127.0.0.1:5432:5432']);
  });

  it('uses docker-compose.dev.yml for pnpm start and the tests', () => {
    expect(section('Quick start')).toContain(DEV_COMMAND);
    expect(section('Tests')).toContain(DEV_COMMAND);
    expect(readme).not.toMatch(/docker run [^`]*-p 6379:6379/);
  });
});

describe('Dockerfile', () => {
  const finals = stages.filter((s) =>
    /^FROM \$\{NODE_IMAGE\} AS (ingest|worker|simulator)$/.test(s.from),
  );

  it('is multi-stage on Node 24 LTS, installs production dependencies only and runs as non-root', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24[-.\w]*$/m);
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/pnpm install --frozen-lockfile --prod/);
    expect(finals).toHaveLength(3);
    for (const stage of finals) expect(stage.text).toMatch(/^USER node$/m);
  });

  it('has no `# syntax=` line (no frontend image pulled at build time)', () => {
    expect(dockerfile).not.toMatch(/^# syntax=/m);
  });

  it('builds from the Node base image and its own stages only', () => {
    const known = new Set<string>();
    for (const stage of stages) {
      const base = /^FROM (\S+)/.exec(stage.from)?.[1];
      expect(base === '${NODE_IMAGE}' || known.has(base ?? ''), stage.from).toBe(true);
      for (const m of stage.text.matchAll(/--from=(\S+)/g)) expect(known, m[0]).toContain(m[1]);
      if (stage.name) known.add(stage.name);
    }
  });

  it('declares APP_FILTER after installing pnpm, so that layer is shared by every app', () => {
    const deps = stages.find((s) => s.name === 'deps')!.text;
    const pnpm = deps.indexOf('npm install -g pnpm');
    expect(pnpm).toBeGreaterThan(0);
    expect(deps.indexOf('ARG APP_FILTER')).toBeGreaterThan(pnpm);
    expect(dockerfile.indexOf('ARG APP_FILTER')).toBe(dockerfile.lastIndexOf('ARG APP_FILTER'));
  });

  it('runs node itself as PID 1 with tsx as a loader, tsx being a production dependency', () => {
    for (const stage of finals)
      expect(stage.text, stage.name).toMatch(
        /^CMD \["node", "--import", "tsx", "src\/main\.ts"\]$/m,
      );
    for (const pkg of ['apps/ingest', 'apps/worker', 'packages/genesys-sim']) {
      const json = JSON.parse(read(`${pkg}/package.json`)) as {
        dependencies?: Record<string, string>;
      };
      expect(json.dependencies?.tsx, pkg).toBeDefined();
    }
  });

  it('keeps code and node_modules root-owned and read-only to the runtime user', () => {
    expect(dockerfile).not.toMatch(/--chown=node/);
    for (const stage of finals) {
      const copies = stage.text.match(/^COPY .*$/gm) ?? [];
      expect(copies, stage.name).toEqual([`COPY --from=${stage.name}-app /app /app`]);
    }
    for (const stage of stages.filter((s) => s.name?.endsWith('-app')))
      expect(stage.text, stage.name).toMatch(/chmod -R u=rwX,go=rX \/app/);
  });
});

/**
 * Test helpers have one name and one place: `src/testing/` of the package they help test (the
 * repository-wide end-to-end helpers live in `test/support/`). None may ship in an image, and no
 * production module imports one.
 */
const HELPER_PATTERNS = ['**/src/testing'];
const isHelper = (file: string) => file.includes('/testing/');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(new URL(dir, root), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(`${path}/`));
    else if (path.endsWith('.ts')) out.push(path);
  }
  return out;
}

describe('.dockerignore', () => {
  const lines = dockerignore.split('\n').map((l) => l.trim());

  it('keeps .env files (secrets) out of the build context', () => {
    expect(lines).toContain('.env*');
  });

  it('keeps tests and test helpers out of the images', () => {
    for (const pattern of ['**/*.test.ts', ...HELPER_PATTERNS, 'apps/*/test', 'test'])
      expect(lines).toContain(pattern);
  });

  it('no production module imports a test helper (so leaving them out breaks nothing)', () => {
    const dirs = [
      'apps/ingest/src/',
      'apps/worker/src/',
      'packages/genesys-sim/src/',
      'packages/genesys-sim/bin/',
      'packages/runs/src/',
      'packages/shared/src/',
    ];
    const production = dirs
      .flatMap(sourceFiles)
      .filter((f) => !f.endsWith('.test.ts') && !isHelper(f));
    expect(production.length).toBeGreaterThan(50);
    const offenders = production.filter((file) =>
      /from '[^']*\/testing(\/[^']*)?'/.test(read(file)),
    );
    expect(offenders).toEqual([]);
  });
});
