import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: { context: string; target: string; args?: Record<string, string> };
  command?: string[];
  container_name?: string;
  ports?: string[];
  profiles?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
}

const root = new URL('..', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), {
  merge: true,
}) as {
  services: Record<string, Service>;
};
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
const { services } = compose;

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
    expect(worker.environment?.WAREHOUSE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
  });

  it('serves /admin and /metrics on an admin port published on the host loopback only', () => {
    const ingest = services.ingest!;
    expect(ingest.environment?.ADMIN_PORT).toBe('3001');
    expect(ingest.ports).toContain('${INGEST_PUBLISH_PORT:-3000}:3000');
    const admin = (ingest.ports ?? []).filter((p) => p.endsWith(':3001'));
    expect(admin).toEqual(['${ADMIN_PUBLISH_ADDR:-127.0.0.1}:${ADMIN_PUBLISH_PORT:-3001}:3001']);
  });

  it('gives every long-running service a restart policy and the stateful ones a health check', () => {
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.restart, name).toBe('unless-stopped');
      if (name !== 'worker') expect(svc.healthcheck?.test.length, name).toBeGreaterThan(0);
    }
  });

  it('builds every app target that compose names from the Dockerfile', () => {
    for (const svc of Object.values(services)) {
      if (svc.build)
        expect(dockerfile).toMatch(new RegExp(`^FROM .* AS ${svc.build.target}$`, 'm'));
    }
  });
});

describe('Dockerfile', () => {
  it('is multi-stage on Node 24 LTS, installs production dependencies only and runs as non-root', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24[-.\w]*$/m);
    expect((dockerfile.match(/^FROM /gm) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/pnpm install --frozen-lockfile --prod/);
    const finals = dockerfile
      .split(/^FROM /m)
      .filter((s) => /^\$\{NODE_IMAGE\} AS (ingest|worker|simulator)$/m.test(s));
    expect(finals).toHaveLength(3);
    for (const stage of finals) expect(stage).toMatch(/^USER node$/m);
  });
});
