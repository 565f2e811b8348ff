import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { ReleaseStatus } from '@internal/plugin-release-common';
import {
  ReleaseIntegrations,
  readReleaseLayout,
  spliceYamlValues,
  type GitlabClient,
} from '@internal/plugin-release-node';
import { rmSync } from 'node:fs';
import {
  defaultSandboxServices,
  sandboxGitlabTokens,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import {
  StatusCache,
  statusSystemsOf,
  type StatusCacheOptions,
  type StatusSystems,
} from '../StatusCache';

export type StatusSandbox = RunningSandbox & { dispose(): Promise<void> };

/** Every stand-in in a temp folder (removed by `dispose()`); pods start at once unless timeScale says. */
export async function startStatusSandbox(
  options: { timeScale?: number; simulatedApps?: number } = {},
): Promise<StatusSandbox> {
  const sandbox = await startSandbox({
    timeScale: options.timeScale ?? 0,
    services: defaultSandboxServices({ simulatedApps: options.simulatedApps }),
  });
  return Object.assign(sandbox, {
    dispose: async () => {
      await sandbox.close();
      rmSync(sandbox.context.dataDir, { recursive: true, force: true });
    },
  });
}

/** The config sections of every system the status reads, pointed at the sandbox. */
export function statusConfigFor(sandbox: RunningSandbox) {
  const hybris = (env: string) => ({
    blue: `${sandbox.url}/hybris/${env}/blue`,
    green: `${sandbox.url}/hybris/${env}/green`,
  });
  return {
    integrations: {
      gitlab: [
        {
          host: new URL(sandbox.url).host,
          apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
          token: sandboxGitlabTokens.maintainer,
        },
      ],
    },
    argocd: {
      instances: ['beta', 'prod'].map(name => ({
        name,
        url: `${sandbox.url}/argocd/${name}`,
        token: 'argocd-sandbox-token',
      })),
    },
    hybris: { clusterStatus: { beta: hybris('beta'), prod: hybris('prod') } },
    prometheus: { baseUrl: `${sandbox.url}/prometheus` },
  };
}

/** The portal's real clients for `config`, as the integrations service builds them. */
export function integrationsFor(config: object): ReleaseIntegrations {
  return new ReleaseIntegrations(
    new ConfigReader(config),
    mockServices.logger.mock(),
  );
}

/** A cache over the real clients, with timers long enough that only the watch stream brings news. */
export function statusCacheFor(
  config: object,
  options: Partial<StatusCacheOptions> & {
    wrap?: (s: StatusSystems) => StatusSystems;
  } = {},
): StatusCache {
  const systems = statusSystemsOf(integrationsFor(config));
  const { wrap, ...rest } = options;
  return new StatusCache({
    systems: wrap ? wrap(systems) : systems,
    layout: readReleaseLayout(new ConfigReader(config)),
    environments: ['beta', 'prod'],
    logger: mockServices.logger.mock(),
    clusterIntervalMs: 3_600_000,
    argocdListIntervalMs: 3_600_000,
    flushDelayMs: 10,
    // The sandbox's git reads slow down on a busy machine; only the timeout tests want a short one.
    callTimeoutMs: 30_000,
    ...rest,
  });
}

/** Resolves with the first status (now or after a change) that `test` accepts. */
export function statusWhere(
  cache: StatusCache,
  test: (status: ReleaseStatus) => boolean,
): Promise<ReleaseStatus> {
  return new Promise((resolve, reject) => {
    let done = false;
    const unsubscribe = cache.subscribe({
      change: body => {
        const status = JSON.parse(body.json) as ReleaseStatus;
        if (!done && test(status)) {
          done = true;
          unsubscribe();
          resolve(status);
        }
      },
      close: () => reject(new Error('the status cache stopped')),
    });
    cache.snapshot().then(status => {
      if (!done && test(status)) {
        done = true;
        unsubscribe();
        resolve(status);
      }
    }, reject);
  });
}

/** One row of a status. */
export function rowOf(status: ReleaseStatus, environment: string, app: string) {
  const row = status.environments
    .find(e => e.name === environment)
    ?.apps.find(a => a.app === app);
  if (!row) throw new Error(`no ${app} row in ${environment}`);
  return row;
}

/** Sets values in a file of an environment's IaC repository, as one commit; returns its sha. */
export async function commitValues(
  gitlab: GitlabClient,
  environment: string,
  file: string,
  values: Record<string, string | number>,
): Promise<string> {
  const project = `kop/kop-deploy-${environment}`;
  const result = await gitlab.commitEdits({
    project,
    branch: 'main',
    message: `test: set ${Object.keys(values).join(', ')} in ${file}`,
    paths: [file],
    edit: files => ({ [file]: spliceYamlValues(files[file] ?? '', values) }),
  });
  return result.sha;
}
