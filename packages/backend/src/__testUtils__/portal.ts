import {
  coreServices,
  createServiceFactory,
  type BackendFeature,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import releasePlugin from '@internal/plugin-release-backend';
import scaffolderModuleRelease from '@internal/plugin-scaffolder-backend-module-release';
import { readFileSync } from 'node:fs';
import type { JsonObject } from '@backstage/types';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { RunningSandbox, SandboxService } from 'sandbox';
import { parse, parseAllDocuments } from 'yaml';

/** The repository root: app-config.yaml, catalog/ and templates/ live there. */
export const REPO_ROOT = resolve(__dirname, '../../../..');

/** Where app-config.local.yaml expects the sandbox (./kop start). */
const SANDBOX_HOST = '127.0.0.1:7100';

function readYaml(file: string) {
  return parse(readFileSync(resolve(REPO_ROOT, file), 'utf8'));
}

/** The config `./kop start` runs with: app-config.yaml, then the local layer, merged as Backstage does. */
export function localAppConfig(): JsonObject {
  return ConfigReader.fromConfigs(
    ['app-config.yaml', 'app-config.local.yaml'].map(context => ({
      context,
      data: readYaml(context),
    })),
  ).get<JsonObject>();
}

function readEntities(file: string): Entity[] {
  return parseAllDocuments(readFileSync(resolve(REPO_ROOT, file), 'utf8'))
    .map(d => d.toJS() as Entity)
    .filter(Boolean)
    .map(e => ({ ...e, metadata: { namespace: 'default', ...e.metadata } }));
}

/** The demo catalog the portal runs with: the org (users, groups, roles) and the kop components. */
export const orgEntities = [
  ...readEntities('catalog/org.yaml'),
  ...readEntities('catalog-info.yaml'),
];

/** Group refs a user belongs to, as a sign-in would put them in the token. */
export function groupsOf(userRef: string): string[] {
  const user = orgEntities.find(
    e => e.kind === 'User' && `user:default/${e.metadata.name}` === userRef,
  );
  const memberOf = (user?.spec?.memberOf as string[] | undefined) ?? [];
  return memberOf.map(g => `group:default/${g}`);
}

/**
 * The local config's systems and release policy, every system pointed at the sandbox; release
 * windows open all week, so a test does not depend on the hour it runs at.
 */
export function portalConfig(sandboxUrl: string) {
  const { release, ...rest } = localAppConfig();
  const { integrations, argocd, jenkins, asana, slack, hybris, prometheus } =
    rest;
  const systems = JSON.parse(
    JSON.stringify({
      integrations,
      argocd,
      jenkins,
      asana,
      slack,
      hybris,
      prometheus,
    }),
    (_key, value) =>
      typeof value === 'string'
        ? value.split(SANDBOX_HOST).join(new URL(sandboxUrl).host)
        : value,
  );
  return {
    ...systems,
    app: { baseUrl: 'http://localhost:3000' },
    scaffolder: {},
    release: {
      ...(release as JsonObject),
      windows: [
        {
          days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
          from: '00:00',
          to: '24:00',
          tz: 'UTC',
        },
      ],
    },
  };
}

/** A template of templates/, as the catalog reads it. */
export function readTemplate(file: string) {
  return readYaml(`templates/${file}`);
}

/** The files templates/all.yaml registers with the catalog. */
export function registeredTemplateFiles(): string[] {
  const location = readYaml('templates/all.yaml');
  return (location.spec.targets as string[]).map(t => t.replace(/^\.\//, ''));
}

/** The templates templates/all.yaml registers, as the catalog holds them (for a real run). */
function templateEntities(): Entity[] {
  return registeredTemplateFiles().map(file => {
    const template = readTemplate(file);
    return {
      ...template,
      metadata: { namespace: 'default', ...template.metadata },
    };
  });
}

/**
 * The portal's backend as src/index.ts wires it for a release form: the scaffolder with the kop
 * actions, the release backend, the demo catalog with the templates, and users' groups as a sign-in
 * gives them.
 */
export async function startPortalBackend(
  config: object,
  /** More services, e.g. a scheduler the test drives. */
  features: BackendFeature[] = [],
): Promise<{
  server: Server;
  baseUrl: string;
}> {
  const { server } = await startTestBackend({
    features: [
      scaffolderPlugin,
      scaffolderModuleRelease,
      releasePlugin,
      catalogServiceMock.factory({
        entities: [...orgEntities, ...templateEntities()],
      }),
      mockServices.rootConfig.factory({ data: config }),
      createServiceFactory({
        service: coreServices.userInfo,
        deps: {},
        factory: () => ({
          async getUserInfo(credentials) {
            const ref = (credentials.principal as { userEntityRef: string })
              .userEntityRef;
            return {
              userEntityRef: ref,
              ownershipEntityRefs: [ref, ...groupsOf(ref)],
            };
          },
        }),
      }),
      ...features,
    ],
  });
  const { port } = server.address() as AddressInfo;
  return { server, baseUrl: `http://localhost:${port}` };
}

/** Calls the portal's API (`/api/...`) as a signed-in user; the body parsed, and as text. */
export function portalApi(baseUrl: string, userRef: string) {
  return async (
    path: string,
    init: { method?: string; body?: unknown } = {},
  ) => {
    const res = await fetch(`${baseUrl}/api${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: mockCredentials.user.header(userRef),
        ...(init.body === undefined
          ? {}
          : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text || '{}'), text };
  };
}

/**
 * A sandbox stand-in mounted before the others that notes every request the sandbox receives
 * (method and path), whichever client sent it.
 */
export function sandboxRequestLog(): {
  requests: string[];
  service: () => SandboxService;
} {
  const requests: string[] = [];
  return {
    requests,
    service: () => {
      // Any middleware serves as a stand-in's router: this one only notes and passes on.
      const router = ((
        req: { method: string; originalUrl: string },
        _res: unknown,
        next: () => void,
      ) => {
        requests.push(`${req.method} ${req.originalUrl.split('?')[0]}`);
        next();
      }) as unknown as SandboxService['router'];
      return { name: 'request log', prefix: '/', router };
    },
  };
}

/** Prometheus keeps scraping the hybris stand-in on its own; the portal writes nothing there. */
const SELF_CHANGING = new Set(['Prometheus', 'request log']);

/**
 * What every system the portal writes to holds now: each stand-in's own account (GitLab projects,
 * branches and merge requests, Argo CD apps, Jenkins builds, Asana tasks, Slack messages) and the
 * head of every branch of the GitLab projects, so a new commit anywhere shows.
 */
export async function sandboxState(sandbox: RunningSandbox, token: string) {
  const systems: Record<string, unknown> = {};
  for (const service of sandbox.services) {
    if (!SELF_CHANGING.has(service.name)) {
      systems[service.name] = (await service.describe?.()) ?? [];
    }
  }
  const gitlab = async (path: string) => {
    const res = await fetch(`${sandbox.url}/gitlab/api/v4${path}`, {
      headers: { 'private-token': token },
    });
    if (!res.ok) throw new Error(`sandbox GitLab ${path}: HTTP ${res.status}`);
    return res.json();
  };
  const projects: Array<{ path_with_namespace: string }> = await gitlab(
    '/projects?per_page=100',
  );
  const heads: Record<string, string> = {};
  for (const { path_with_namespace: project } of projects) {
    const branches: Array<{ name: string; commit: { id: string } }> =
      await gitlab(
        `/projects/${encodeURIComponent(
          project,
        )}/repository/branches?per_page=100`,
      );
    for (const b of branches) heads[`${project}@${b.name}`] = b.commit.id;
  }
  return { systems, heads };
}
