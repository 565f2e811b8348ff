import { startTestBackend } from '@backstage/backend-test-utils';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { argoCdContract } from 'sandbox';
import request from 'supertest';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './__testUtils__/portal';
import { productionVariables } from './__testUtils__/production/productionConfig';
import { STOP_CEILING_MS } from './lifecycle/startOrExit';

/*
 * The manifests an operator's Argo CD deploys the portal with (deploy/), read as Argo CD would
 * render them, against the backend they run: its production config, its health routes, its stop.
 */

const DEPLOY = resolve(REPO_ROOT, 'deploy');
const ENVIRONMENTS = ['beta', 'prod'];

type Labels = Record<string, string>;
type HttpProbe = { httpGet: { path: string; port: string | number } };
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  startupProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: {
    requests?: { cpu?: string; memory?: string };
    limits?: { memory?: string };
  };
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels };
  spec?: any;
  stringData?: Record<string, string>;
}

const readYaml = (file: string) => parse(readFileSync(file, 'utf8'));

/** Kustomize's `images` for the name a container's image has before its tag or digest. */
function imageName(image: string): string {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/**
 * A kustomization rendered as kustomize does for the fields these use (resources, images); any
 * other field is refused rather than left out of what the checks see.
 */
function render(dir: string): Manifest[] {
  const file = join(dir, 'kustomization.yaml');
  const { resources = [], images = [], ...rest } = readYaml(file);
  const other = Object.keys(rest).filter(
    key => key !== 'apiVersion' && key !== 'kind',
  );
  if (other.length > 0) {
    throw new Error(
      `${relative(REPO_ROOT, file)} uses ${other.join(
        ', ',
      )}, which this test does not render`,
    );
  }
  const manifests = (resources as string[]).flatMap(resource => {
    const path = join(dir, resource);
    return statSync(path).isDirectory()
      ? render(path)
      : parseAllDocuments(readFileSync(path, 'utf8')).map(
          d => d.toJS() as Manifest,
        );
  });
  for (const m of manifests) {
    for (const c of (m.spec?.template?.spec?.containers ?? []) as Container[]) {
      const set = (
        images as { name: string; newName?: string; newTag?: string }[]
      ).find(i => i.name === imageName(c.image));
      if (set) {
        c.image = `${set.newName ?? set.name}${
          set.newTag ? `:${set.newTag}` : ''
        }`;
      }
    }
  }
  return manifests;
}

function only(manifests: Manifest[], kind: string): Manifest {
  const found = manifests.filter(m => m.kind === kind);
  expect(found.map(m => m.kind)).toEqual([kind]);
  return found[0];
}

const matches = (selector: Labels, labels: Labels) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

function portal(environment: string) {
  const manifests = render(join(DEPLOY, 'portal', environment));
  const deployment = only(manifests, 'Deployment');
  const pod = deployment.spec.template.spec;
  expect(pod.containers).toHaveLength(1);
  return {
    manifests,
    deployment,
    pod,
    container: pod.containers[0] as Container,
  };
}

const secretExample = (): Manifest =>
  readYaml(join(DEPLOY, 'portal', 'secret.example.yaml'));

/** The listen port app-config.production.yaml falls back to, and the variable that sets it. */
function listenPort(): { variable: string; port: number } {
  const text: string = readYaml(
    resolve(REPO_ROOT, 'app-config.production.yaml'),
  ).backend.listen.port;
  const [, variable, port] = /^\$\{([A-Z0-9_]+):-(\d+)\}$/.exec(text) ?? [];
  if (!variable) throw new Error(`backend.listen.port is ${text}`);
  return { variable, port: Number(port) };
}

describe('deploy/: the portal with Argo CD', () => {
  it.each(ENVIRONMENTS)(
    '%s runs two replicas of the image, its environment from the Secret with every production variable',
    environment => {
      const { manifests, deployment, container } = portal(environment);
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      // The overlay names the registry's image; the base's bare name never ships.
      expect(imageName(container.image)).not.toBe('kop-portal');
      expect(container.image).toMatch(/\/kop\/portal:/);

      const secret = secretExample();
      // Made by the operator, never by Argo CD, which would otherwise own (and prune) the secrets.
      expect(manifests.map(m => m.kind)).not.toContain('Secret');
      expect(container.envFrom).toEqual([
        { secretRef: { name: secret.metadata.name } },
      ]);
      const variables = productionVariables();
      const { variable: portVariable } = listenPort();
      // Nothing beside the Secret sets what the config reads, so the Secret is the one place.
      expect(
        (container.env ?? [])
          .map(e => e.name)
          .filter(name => variables.some(v => v.name === name)),
      ).toEqual([]);
      const keys = Object.keys(secret.stringData ?? {});
      expect(keys.filter(k => !variables.some(v => v.name === k))).toEqual([]);
      expect(
        variables.filter(v => !v.optional && !keys.includes(v.name)),
      ).toEqual([]);
      expect(keys).not.toContain(portVariable);
    },
  );

  it.each(ENVIRONMENTS)(
    '%s probes the health routes on the port the backend listens on, and gives it longer to stop than it takes',
    environment => {
      const { pod, container } = portal(environment);
      const { port } = listenPort();
      const http = container.ports?.find(p => p.containerPort === port);
      expect(http?.name).toBeDefined();
      const probes = [
        container.startupProbe,
        container.readinessProbe,
        container.livenessProbe,
      ];
      for (const probe of probes) {
        expect([http!.name, port]).toContain(probe?.httpGet.port);
      }
      expect(probes.map(p => p?.httpGet.path)).toEqual([
        '/.backstage/health/v1/readiness',
        '/.backstage/health/v1/readiness',
        '/.backstage/health/v1/liveness',
      ]);

      const [command, seconds] =
        container.lifecycle?.preStop?.exec?.command ?? [];
      expect(command).toBe('sleep');
      const grace = pod.terminationGracePeriodSeconds;
      expect(grace).toBeGreaterThan(10);
      expect(grace).toBeGreaterThan(Number(seconds) + STOP_CEILING_MS / 1000);
      expect(container.resources?.requests?.memory).toBeDefined();
      expect(container.resources?.limits?.memory).toBeDefined();
    },
  );

  it('probes paths the backend serves', async () => {
    const { container } = portal('prod');
    // startTestBackend mounts Backstage's health router and root health service, as the backend's root router does.
    const backend = await startTestBackend({ features: [] });
    try {
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        const res = await request(backend.server).get(probe!.httpGet.path);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ status: 'ok' });
      }
    } finally {
      await backend.stop();
    }
  });

  it.each(ENVIRONMENTS)(
    '%s puts both replicas behind one Service, the portal host on it, and lets a drain take one at a time',
    environment => {
      const { manifests, deployment, container } = portal(environment);
      const labels: Labels = deployment.spec.template.metadata.labels;
      expect(matches(deployment.spec.selector.matchLabels, labels)).toBe(true);

      const service = only(manifests, 'Service');
      expect(matches(service.spec.selector, labels)).toBe(true);
      const portNames = (container.ports ?? []).map(p => p.name);
      for (const p of service.spec.ports) {
        expect(portNames).toContain(p.targetPort);
      }

      const budget = only(manifests, 'PodDisruptionBudget');
      expect(matches(budget.spec.selector.matchLabels, labels)).toBe(true);
      expect(budget.spec.minAvailable).toBeGreaterThanOrEqual(1);
      expect(budget.spec.minAvailable).toBeLessThan(deployment.spec.replicas);

      const ingress = only(manifests, 'Ingress');
      const hosts = ingress.spec.rules.map((r: { host: string }) => r.host);
      expect(hosts).toHaveLength(1);
      expect(hosts[0]).toMatch(/^[a-z0-9.-]+$/);
      expect(
        ingress.spec.tls.flatMap((t: { hosts: string[] }) => t.hosts),
      ).toEqual(hosts);
      for (const rule of ingress.spec.rules) {
        for (const { backend } of rule.http.paths) {
          expect(backend.service.name).toBe(service.metadata.name);
          expect(
            service.spec.ports.map((p: { name: string }) => p.name),
          ).toContain(backend.service.port.name);
        }
      }
    },
  );

  it.each(ENVIRONMENTS)(
    "%s's Argo CD Application fits Argo CD's Application and points at the overlay",
    environment => {
      const file = join(DEPLOY, 'argocd', environment, 'portal.yaml');
      const { apiVersion, kind, ...app } = readYaml(file);
      expect({ apiVersion, kind }).toEqual({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
      });
      // The contract is the API server's view, which leaves out apiVersion and kind.
      expect(argoCdContract().errors('v1alpha1Application', app)).toEqual([]);
      expect(app.spec.source.path).toBe(`deploy/portal/${environment}`);
      expect(
        existsSync(
          resolve(REPO_ROOT, app.spec.source.path, 'kustomization.yaml'),
        ),
      ).toBe(true);
      expect(app.spec.destination.namespace).toBeTruthy();

      // The portal finds the apps it releases by the catalog's selectors; it must not find itself.
      const selectors = parseAllDocuments(
        readFileSync(resolve(REPO_ROOT, 'catalog-info.yaml'), 'utf8'),
      )
        .map(d => d.toJS()?.metadata?.annotations?.['argocd/app-selector'])
        .filter(Boolean) as string[];
      expect(selectors.length).toBeGreaterThan(0);
      for (const selector of selectors) {
        const [key] = selector.split('=');
        expect(Object.keys(app.metadata.labels ?? {})).not.toContain(key);
      }
    },
  );
});
