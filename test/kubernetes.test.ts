import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { QueueKeys } from 'bullmq';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import {
  ANALYTICS_QUEUE,
  ENV_NAMES,
  WAREHOUSE_QUEUE,
  loadConfig,
  type Config,
  type EnvName,
} from '@wrapup/shared';

/**
 * deploy/kubernetes: every object is checked against the Kubernetes API's schemas (kubernetes-models,
 * generated from the Kubernetes OpenAPI spec) and KEDA's CRD schemas (@kubernetes-models/keda),
 * then against TypeScript's excess-property check of the same models (an unknown or misspelt
 * field, which the JSON schemas let through and a cluster would reject or silently drop), then
 * against what wrapup needs: the config it accepts, the ports it listens on, its shutdown time,
 * the queue keys BullMQ writes.
 */

const root = new URL('..', import.meta.url);
const dir = new URL('deploy/kubernetes/', root);
const read = (file: string, base = root) => readFileSync(new URL(file, base), 'utf8');

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const KUSTOMIZATION = 'kustomization.yaml';
const SECRET_TEMPLATE = 'secret.example.yaml';

/** Every document of every manifest file (the kustomization aside), with the file it came from. */
const objects: Manifest[] = files
  .filter((f) => f !== KUSTOMIZATION)
  .flatMap((file) =>
    parseAllDocuments(read(file, dir)).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      return { ...(doc.toJS() as object), file } as Manifest;
    }),
  );
const kustomization = parse(read(KUSTOMIZATION, dir)) as {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
};

const all = (kind: string) => objects.filter((o) => o.kind === kind);
const one = (kind: string, name: string) => {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0]!;
};

interface DeploymentManifest extends Manifest {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: IPodSpec };
  };
}
const deployment = (name: string) => one('Deployment', name) as DeploymentManifest;
const ingest = deployment('wrapup-ingest');
const worker = deployment('wrapup-worker');
const container = (d: DeploymentManifest): IContainer => {
  expect(d.spec.template.spec.containers, d.metadata.name).toHaveLength(1);
  return d.spec.template.spec.containers[0]!;
};

const configMaps = all('ConfigMap') as (Manifest & { data: Record<string, string> })[];
const secret = one('Secret', 'wrapup-secrets') as Manifest & { stringData: Record<string, string> };

/** The models that validate each apiVersion/kind against its schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};
/** The same models' TypeScript interfaces, for the excess-property check. */
const TYPES: Record<string, [string, string]> = {
  'v1/Namespace': ['kubernetes-models/v1/Namespace', 'INamespace'],
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'IConfigMap'],
  'v1/Secret': ['kubernetes-models/v1/Secret', 'ISecret'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'IDeployment'],
  'policy/v1/PodDisruptionBudget': [
    'kubernetes-models/policy/v1/PodDisruptionBudget',
    'IPodDisruptionBudget',
  ],
  'keda.sh/v1alpha1/ScaledObject': [
    '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject',
    'IScaledObject',
  ],
  'keda.sh/v1alpha1/TriggerAuthentication': [
    '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication',
    'ITriggerAuthentication',
  ],
};
/** The object as it is sent to the API (without the file it came from). */
const withoutFile = (o: Manifest) => {
  const data: Partial<Manifest> = { ...o };
  delete data.file;
  return data;
};
const typeKey = (o: Manifest) => `${o.apiVersion}/${o.kind}`;
const label = (o: Manifest) => `${o.file} ${o.kind}/${o.metadata.name}`;

/** Type-checks every object as a literal of its model's interface; returns the diagnostics. */
function typeCheck(list: Manifest[]): string[] {
  const fileName = fileURLToPath(new URL('test/__kubernetes_manifests__.ts', root));
  const lines: string[] = [];
  const owners: string[] = [];
  const used = new Set<string>();
  list.forEach((o, i) => {
    const [module, type] = TYPES[typeKey(o)]!;
    if (!used.has(module)) lines.push(`import type { ${type} as T${used.size} } from '${module}';`);
    used.add(module);
    const alias = `T${[...used].indexOf(module)}`;
    const data = withoutFile(o);
    const start = lines.length;
    lines.push(...`export const o${i}: ${alias} = ${JSON.stringify(data, null, 1)};`.split('\n'));
    for (let line = start; line < lines.length; line++) owners[line] = label(o);
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const original = {
    getSourceFile: host.getSourceFile.bind(host),
    fileExists: host.fileExists.bind(host),
  };
  host.getSourceFile = (name, version, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, source, version)
      : original.getSourceFile(name, version, ...rest);
  host.fileExists = (name) => name === fileName || original.fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const sourceFile = program.getSourceFile(fileName)!;
  return [
    ...program.getSyntacticDiagnostics(sourceFile),
    ...program.getSemanticDiagnostics(sourceFile),
  ].map((d) => {
    const line = d.start === undefined ? 0 : sourceFile.getLineAndCharacterOfPosition(d.start).line;
    const where = lines
      .slice(Math.max(0, line - 1), line + 1)
      .join(' ')
      .trim();
    return `${owners[line] ?? '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')} (near ${where})`;
  });
}

// --- the environment a container gets, and the config wrapup makes of it --------------------

interface EnvSource {
  value?: string;
  configMap?: string;
  secret?: { name: string; key: string; optional: boolean };
}

/** name -> where its value comes from, envFrom first, `env` overriding it (as the kubelet does). */
function environment(c: IContainer): Map<string, EnvSource> {
  const env = new Map<string, EnvSource>();
  for (const from of c.envFrom ?? []) {
    expect(from.secretRef, `${c.name}: a whole Secret as envFrom`).toBeUndefined();
    expect(from.prefix, `${c.name}: envFrom prefix`).toBeUndefined();
    const cm = configMaps.find((m) => m.metadata.name === from.configMapRef?.name);
    expect(cm, `${c.name}: configMapRef ${from.configMapRef?.name}`).toBeDefined();
    for (const key of Object.keys(cm?.data ?? {})) env.set(key, { configMap: cm!.metadata.name });
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref)
      env.set(e.name, { secret: { name: ref.name!, key: ref.key, optional: !!ref.optional } });
    else if (e.valueFrom) throw new Error(`${c.name} ${e.name}: only values and secretKeyRefs`);
    else env.set(e.name, { value: e.value ?? '' });
  }
  return env;
}

/** The `ENV` lines of the Dockerfile stage a Deployment's image is built from. */
function imageEnv(target: string): Record<string, string> {
  const stage = read('Dockerfile')
    .split(/^(?=FROM )/m)
    .find((s) => new RegExp(`^FROM \\S+ AS ${target}$`, 'm').test(s));
  if (!stage) throw new Error(`no Dockerfile stage ${target}`);
  const env: Record<string, string> = {};
  for (const line of stage.match(/^ENV .*$/gm) ?? [])
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const [k, v] = pair.split('=');
      env[k!] = v ?? '';
    }
  return env;
}

/** The Dockerfile target a Deployment's image is: wrapup-<target>. */
const targetOf = (d: DeploymentManifest) => /^wrapup-([a-z]+)(:|$)/.exec(container(d).image!)?.[1];

/**
 * The config wrapup builds in the container from everything that is not a secret (the image's
 * ENV, the ConfigMap, literal `env` values): loadConfig throws on any value it would refuse.
 */
function configOf(d: DeploymentManifest): Config {
  const raw: Record<string, string> = { ...imageEnv(targetOf(d)!) };
  for (const [name, src] of environment(container(d))) {
    if (src.value !== undefined) raw[name] = src.value;
    if (src.configMap !== undefined)
      raw[name] = configMaps.find((m) => m.metadata.name === src.configMap)!.data[name]!;
  }
  return loadConfig(raw);
}

/** The port number a probe or Service port names (a number, or a container port's name). */
function portNumber(c: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === 'number')
    return c.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** A CPU or memory quantity in base units (cores, bytes). */
function quantity(q: string | number | undefined): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|Ki|Mi|Gi)?$/.exec(q ?? '');
  if (!m) throw new Error(`unparsed quantity ${q}`);
  const units: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
  };
  return Number(m[1]) * (m[2] ? units[m[2]]! : 1);
}

/** Seconds a preStop hook keeps the container before SIGTERM (`sleep N` or a sleep action). */
function preStopSeconds(c: IContainer): number {
  const hook = c.lifecycle?.preStop;
  if (!hook) return 0;
  if (hook.sleep) return hook.sleep.seconds;
  const cmd = hook.exec?.command ?? [];
  if (cmd[0] === 'sleep' && cmd.length === 2) return Number(cmd[1]);
  throw new Error(`${c.name}: a preStop hook of unknown length`);
}

const deployments = [ingest, worker];

// --- the tests ---------------------------------------------------------------------------------

describe('deploy/kubernetes: the files', () => {
  it('parses every manifest', () => {
    expect(files).toContain(KUSTOMIZATION);
    expect(files).toContain(SECRET_TEMPLATE);
    expect(objects.length).toBeGreaterThanOrEqual(11);
    for (const o of objects) {
      expect(o.apiVersion, o.file).toBeTypeOf('string');
      expect(o.kind, o.file).toBeTypeOf('string');
      expect(o.metadata?.name, o.file).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  it('lists every manifest in kustomization.yaml but the Secret template, which git ignores once filled', () => {
    const expected = files.filter((f) => f !== KUSTOMIZATION && f !== SECRET_TEMPLATE);
    expect([...(kustomization.resources ?? [])].sort()).toEqual(expected);
    expect(kustomization.namespace).toBe(one('Namespace', 'wrapup').metadata.name);
    expect(read('.gitignore', dir).split('\n')).toContain('secret.yaml');
    expect(secret.file).toBe(SECRET_TEMPLATE);
    expect(secret.metadata.namespace).toBe(kustomization.namespace);
  });

  it('gives every object a distinct kind/name', () => {
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('deploy/kubernetes: the schemas of Kubernetes and KEDA', () => {
  it('has a schema for every object', () => {
    for (const o of objects) expect(Object.keys(MODELS), label(o)).toContain(typeKey(o));
  });

  it('validates every object against its JSON schema (Kubernetes OpenAPI, KEDA CRDs)', () => {
    const problems: string[] = [];
    for (const o of objects) {
      const data = withoutFile(o);
      try {
        new MODELS[typeKey(o)]!(data as never).validate();
      } catch (err) {
        problems.push(`${label(o)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('uses no field the models do not know (a misspelt field is an error, not a silent no-op)', () => {
    expect(typeCheck(objects)).toEqual([]);
  });

  it('has an excess-property check that does catch a misspelt field', () => {
    const broken = structuredClone(worker);
    const c = broken.spec.template.spec.containers[0] as unknown as Record<string, unknown>;
    c.readinesProbe = c.readinessProbe;
    delete c.readinessProbe;
    const problems = typeCheck([broken]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/readinesProbe/);
  });
});

describe('deploy/kubernetes: the Deployments', () => {
  it('run the images the Dockerfile builds (targets ingest and worker), named in kustomization.yaml', () => {
    expect(targetOf(ingest)).toBe('ingest');
    expect(targetOf(worker)).toBe('worker');
    const dockerfile = read('Dockerfile');
    for (const d of deployments) {
      const target = targetOf(d)!;
      expect(dockerfile).toMatch(new RegExp(`^FROM \\$\\{NODE_IMAGE\\} AS ${target}$`, 'm'));
      expect(kustomization.images?.map((i) => i.name)).toContain(`wrapup-${target}`);
      expect(container(d).imagePullPolicy, d.metadata.name).toBe('IfNotPresent');
    }
    // the image's CMD is what runs: no command or args override
    for (const d of deployments) {
      expect(container(d).command, d.metadata.name).toBeUndefined();
      expect(container(d).args, d.metadata.name).toBeUndefined();
    }
  });

  it('select their own pods and no one else', () => {
    for (const d of deployments) {
      const labels = d.spec.template.metadata.labels;
      expect(selects(d.spec.selector.matchLabels, labels), d.metadata.name).toBe(true);
      for (const other of deployments.filter((x) => x !== d))
        expect(selects(d.spec.selector.matchLabels, other.spec.template.metadata.labels)).toBe(
          false,
        );
    }
  });

  it('set only variables wrapup reads (ENV_NAMES), from the ConfigMap, literals or one Secret key each', () => {
    const known = new Set<string>(ENV_NAMES);
    for (const m of configMaps)
      for (const key of Object.keys(m.data))
        expect(known, `${m.metadata.name} ${key}`).toContain(key);
    for (const d of deployments) {
      for (const [name, src] of environment(container(d))) {
        expect(known, `${d.metadata.name} ${name}`).toContain(name);
        if (src.secret) {
          expect(src.secret.name, `${d.metadata.name} ${name}`).toBe(secret.metadata.name);
          expect(src.secret.key, `${d.metadata.name} ${name}`).toBe(name);
          expect(Object.keys(secret.stringData), `${d.metadata.name} ${name}`).toContain(name);
        }
      }
    }
  });

  it('are configured with values wrapup accepts (loadConfig of the image ENV, the ConfigMap and the literals)', () => {
    for (const d of deployments) expect(() => configOf(d), d.metadata.name).not.toThrow();
  });

  it('read every secret from the Secret and no secret from anywhere else', () => {
    const SECRET_VARS: EnvName[] = [
      'REDIS_URL',
      'WEBHOOK_SECRET',
      'WEBHOOK_API_KEYS',
      'GENESYS_CLIENT_ID',
      'GENESYS_CLIENT_SECRET',
      'WAREHOUSE_URL',
      'DASHBOARD_USER',
      'DASHBOARD_PASSWORD',
      'NOTIFY_URLS',
    ];
    for (const m of configMaps)
      for (const name of SECRET_VARS) expect(m.data, m.metadata.name).not.toHaveProperty(name);
    for (const d of deployments)
      for (const [name, src] of environment(container(d)))
        if (SECRET_VARS.includes(name as EnvName))
          expect(src.secret, `${d.metadata.name} ${name}`).toBeDefined();
    const need = (d: DeploymentManifest, name: string, optional: boolean) =>
      expect(environment(container(d)).get(name)?.secret, `${d.metadata.name} ${name}`).toEqual({
        name: secret.metadata.name,
        key: name,
        optional,
      });
    for (const d of deployments) need(d, 'REDIS_URL', false);
    need(ingest, 'WEBHOOK_SECRET', true);
    need(ingest, 'WEBHOOK_API_KEYS', true);
    need(worker, 'GENESYS_CLIENT_ID', false);
    need(worker, 'GENESYS_CLIENT_SECRET', false);
    need(worker, 'WAREHOUSE_URL', false);
  });

  it('run the ingest on 0.0.0.0, its ports named http (INGEST_PORT) and admin (ADMIN_PORT)', () => {
    const config = configOf(ingest);
    expect(config.ingest.host).toBe('0.0.0.0');
    expect(config.ingest.adminPort).toBeDefined();
    const c = container(ingest);
    expect(portNumber(c, 'http')).toBe(config.ingest.port);
    expect(portNumber(c, 'admin')).toBe(config.ingest.adminPort);
    expect(c.ports).toHaveLength(2);
  });

  it('probe the ingest: liveness and startup on /healthz, readiness on /readyz, at INGEST_PORT', () => {
    const config = configOf(ingest);
    const c = container(ingest);
    const http = (probe: IProbe | undefined, path: string) => {
      expect(probe?.httpGet?.path).toBe(path);
      expect(portNumber(c, probe?.httpGet?.port)).toBe(config.ingest.port);
      expect(probe?.httpGet?.scheme ?? 'HTTP').toBe(config.ingest.tls ? 'HTTPS' : 'HTTP');
    };
    http(c.livenessProbe, '/healthz');
    http(c.startupProbe, '/healthz');
    http(c.readinessProbe, '/readyz');
    const routes = read('apps/ingest/src/routes/health.ts');
    expect(routes).toContain("app.get('/healthz'");
    expect(routes).toContain("app.get('/readyz'");
  });

  it("probe the worker with docker-compose.yml's health check: Redis answers PING at its REDIS_URL", () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: { worker: { healthcheck: { test: string[] } } };
    };
    const [kind, ...command] = compose.services.worker.healthcheck.test;
    expect(kind).toBe('CMD');
    const c = container(worker);
    expect(c.readinessProbe?.exec?.command).toEqual(command);
    expect(command.join(' ')).toMatch(/process\.env\.REDIS_URL/);
    expect(environment(c).has('REDIS_URL')).toBe(true);
    expect(c.readinessProbe?.timeoutSeconds).toBeGreaterThanOrEqual(3);
    // no liveness probe on Redis: an outage must not restart the workers into CrashLoopBackOff
    expect(c.livenessProbe?.exec?.command?.join(' ') ?? '').not.toMatch(/REDIS_URL/);
  });

  it('give the process longer than SHUTDOWN_TIMEOUT_MS (plus any preStop pause) to stop, with 5 s to spare', () => {
    for (const d of deployments) {
      const config = configOf(d);
      const grace = d.spec.template.spec.terminationGracePeriodSeconds;
      expect(grace, d.metadata.name).toBeTypeOf('number');
      const needed = config.shutdownTimeoutMs / 1000 + preStopSeconds(container(d));
      expect(grace! - needed, d.metadata.name).toBeGreaterThanOrEqual(5);
    }
  });

  it('request and limit CPU and memory, requests within limits', () => {
    for (const d of deployments) {
      const { requests, limits } = container(d).resources ?? {};
      for (const r of ['cpu', 'memory']) {
        const req = quantity(requests?.[r]);
        const lim = quantity(limits?.[r]);
        expect(req, `${d.metadata.name} ${r}`).toBeGreaterThan(0);
        expect(lim, `${d.metadata.name} ${r}`).toBeGreaterThanOrEqual(req);
      }
      // the memory a Node.js process with its dependencies needs at the very least
      expect(quantity(limits?.memory), d.metadata.name).toBeGreaterThanOrEqual(256 * 2 ** 20);
    }
  });

  it("run as the image's non-root `node` user (uid 1000), read-only root, no privileges or capabilities", () => {
    for (const stage of ['ingest', 'worker'])
      expect(
        read('Dockerfile')
          .split(/^(?=FROM )/m)
          .find((s) => s.includes(` AS ${stage}\n`)),
      ).toMatch(/^USER node$/m);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const sc = container(d).securityContext;
      const name = d.metadata.name;
      expect(pod.securityContext?.runAsNonRoot, name).toBe(true);
      expect(pod.securityContext?.runAsUser, name).toBe(1000);
      expect(pod.securityContext?.seccompProfile?.type, name).toBe('RuntimeDefault');
      expect(sc?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, name).toBe(true);
      expect(sc?.runAsUser ?? pod.securityContext?.runAsUser, name).toBe(1000);
      expect(sc?.readOnlyRootFilesystem, name).toBe(true);
      expect(sc?.allowPrivilegeEscalation, name).toBe(false);
      expect(sc?.privileged ?? false, name).toBe(false);
      expect(sc?.capabilities?.drop, name).toEqual(['ALL']);
      expect(sc?.capabilities?.add ?? [], name).toEqual([]);
      expect(pod.hostNetwork ?? false, name).toBe(false);
      expect(pod.automountServiceAccountToken, name).toBe(false);
    }
  });

  it('give each writable path an emptyDir: /tmp (tsx compile cache), and no DATA_DIR (WAREHOUSE_URL is PostgreSQL)', () => {
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const mounts = container(d).volumeMounts ?? [];
      expect(
        mounts.map((m) => m.mountPath),
        d.metadata.name,
      ).toEqual(['/tmp']);
      for (const m of mounts) {
        const volume = pod.volumes?.find((v) => v.name === m.name);
        expect(volume?.emptyDir, `${d.metadata.name} ${m.mountPath}`).toBeDefined();
        expect(m.readOnly ?? false).toBe(false);
      }
      expect(
        pod.volumes?.every((v) => v.emptyDir !== undefined),
        d.metadata.name,
      ).toBe(true);
      expect(environment(container(d)).has('DATA_DIR'), d.metadata.name).toBe(false);
    }
    expect(configOf(worker).warehouse.url).toBeUndefined(); // it comes from the Secret...
    expect(environment(container(worker)).get('WAREHOUSE_URL')?.secret?.optional).toBe(false); // ...always
  });

  it('leave the worker replica count to KEDA; run two ingest pods', () => {
    expect(worker.spec.replicas).toBeUndefined();
    expect(ingest.spec.replicas).toBeGreaterThanOrEqual(2);
  });
});

describe('deploy/kubernetes: Services and PodDisruptionBudgets', () => {
  type ServiceManifest = Manifest & {
    spec: {
      type?: string;
      selector: Record<string, string>;
      ports: { name?: string; port: number; targetPort?: number | string }[];
    };
  };
  const services = all('Service') as ServiceManifest[];

  it('route the public Service to the ingest pods at INGEST_PORT, the admin one at ADMIN_PORT, both in-cluster', () => {
    const config = configOf(ingest);
    const c = container(ingest);
    const target = (name: string) => {
      const svc = one('Service', name) as ServiceManifest;
      expect(selects(svc.spec.selector, ingest.spec.template.metadata.labels), name).toBe(true);
      expect(selects(svc.spec.selector, worker.spec.template.metadata.labels), name).toBe(false);
      expect(svc.spec.type ?? 'ClusterIP', name).toBe('ClusterIP');
      expect(svc.spec.ports, name).toHaveLength(1);
      return portNumber(c, svc.spec.ports[0]!.targetPort ?? svc.spec.ports[0]!.port);
    };
    expect(target('wrapup-ingest')).toBe(config.ingest.port);
    expect(target('wrapup-ingest-admin')).toBe(config.ingest.adminPort);
    expect(services.map((s) => s.metadata.name).sort()).toEqual([
      'wrapup-ingest',
      'wrapup-ingest-admin',
    ]);
  });

  it('has one PodDisruptionBudget per Deployment, selecting exactly its pods, that lets a drain proceed', () => {
    type Pdb = Manifest & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        minAvailable?: number;
        maxUnavailable?: number;
      };
    };
    const pdbs = all('PodDisruptionBudget') as Pdb[];
    expect(pdbs).toHaveLength(deployments.length);
    for (const d of deployments) {
      const mine = pdbs.filter((p) =>
        selects(p.spec.selector.matchLabels, d.spec.template.metadata.labels),
      );
      expect(mine, d.metadata.name).toHaveLength(1);
      const { minAvailable, maxUnavailable } = mine[0]!.spec;
      // a drain must be able to evict a pod: minAvailable below the pods there are, or maxUnavailable >= 1
      if (minAvailable !== undefined)
        expect(minAvailable, d.metadata.name).toBeLessThan(d.spec.replicas ?? 1);
      else expect(maxUnavailable, d.metadata.name).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('deploy/kubernetes: KEDA scales the workers on the BullMQ wait lists', () => {
  type Trigger = {
    type: string;
    metadata: Record<string, string>;
    authenticationRef?: { name: string; kind?: string };
  };
  const scaled = all('ScaledObject') as (Manifest & {
    spec: {
      scaleTargetRef: { apiVersion?: string; kind?: string; name: string };
      minReplicaCount?: number;
      maxReplicaCount?: number;
      triggers: Trigger[];
    };
  })[];

  it('targets the worker Deployment, never below one pod', () => {
    expect(scaled).toHaveLength(1);
    const { spec } = scaled[0]!;
    expect(spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: worker.metadata.name,
    });
    expect(spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(spec.maxReplicaCount).toBeGreaterThan(spec.minReplicaCount!);
  });

  it('watches `<QUEUE_PREFIX>:<queue>:wait` of analytics and warehouse, with the prefix the pods use', () => {
    const prefix = configOf(worker).queuePrefix;
    expect(configOf(ingest).queuePrefix).toBe(prefix);
    // the keys as BullMQ itself names them
    const keys = [ANALYTICS_QUEUE, WAREHOUSE_QUEUE].map(
      (q) => new QueueKeys(prefix).getKeys(q).wait,
    );
    expect(keys).toEqual([`${prefix}:analytics:wait`, `${prefix}:warehouse:wait`]);
    const { triggers } = scaled[0]!.spec;
    expect(triggers.map((t) => t.metadata.listName)).toEqual(keys);
    for (const t of triggers) {
      expect(t.type).toBe('redis');
      expect(t.metadata.listLength).toMatch(/^[1-9]\d*$/);
      // the connection comes from the TriggerAuthentication, not from plain metadata
      for (const key of ['address', 'host', 'password', 'username'])
        expect(t.metadata, t.metadata.listName).not.toHaveProperty(key);
    }
  });

  it('authenticates to Redis with the address and password from the Secret', () => {
    const auths = all('TriggerAuthentication') as (Manifest & {
      spec: { secretTargetRef: { parameter: string; name: string; key: string }[] };
    })[];
    for (const t of scaled[0]!.spec.triggers) {
      expect(t.authenticationRef?.kind ?? 'TriggerAuthentication').toBe('TriggerAuthentication');
      const auth = auths.find((a) => a.metadata.name === t.authenticationRef?.name);
      expect(auth, t.metadata.listName).toBeDefined();
      const refs = auth!.spec.secretTargetRef;
      expect(refs.map((r) => r.parameter).sort()).toEqual(['address', 'password']);
      for (const r of refs) {
        expect(r.name).toBe(secret.metadata.name);
        expect(Object.keys(secret.stringData)).toContain(r.key);
      }
    }
  });
});

describe('deploy/kubernetes: the Prometheus alternative keda.yaml describes', () => {
  it('exists: the ingest exports wrapup_queue_jobs{queue,state} on /metrics', () => {
    const keda = read('keda.yaml', dir);
    const metrics = read('apps/ingest/src/metrics.ts');
    expect(keda).toMatch(/wrapup_queue_jobs\{queue="analytics",state=~"waiting\|prioritized"\}/);
    expect(metrics).toContain("name: 'wrapup_queue_jobs'");
    expect(metrics).toContain("labelNames: ['queue', 'state']");
    for (const state of ['waiting', 'prioritized']) expect(metrics).toContain(`'${state}'`);
  });
});

describe('deploy/kubernetes: the Secret template', () => {
  const data = secret.stringData;

  it('holds placeholders only', () => {
    expect(secret.data).toBeUndefined();
    for (const [key, value] of Object.entries(data))
      expect(value === '' || value.includes('REPLACE_ME'), key).toBe(true);
  });

  it('has every secret wrapup needs, and otherwise only the keys KEDA reads', () => {
    const known = new Set<string>(ENV_NAMES);
    const extra = Object.keys(data).filter((k) => !known.has(k));
    expect(extra.sort()).toEqual(['keda-redis-address', 'keda-redis-password']);
    for (const d of deployments)
      for (const [name, src] of environment(container(d)))
        if (src.secret) expect(Object.keys(data), name).toContain(name);
  });

  it('gives KEDA the same Redis as REDIS_URL: its host:port and password', () => {
    const url = new URL(data.REDIS_URL!);
    expect(data['keda-redis-address']).toBe(`${url.hostname}:${url.port || '6379'}`);
    expect(data['keda-redis-password']).toBe(decodeURIComponent(url.password));
  });
});
