import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import scaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import {
  localAppConfig,
  REPO_ROOT,
  registeredTemplateFiles,
} from './__testUtils__/portal';

jest.setTimeout(120_000);

/** The local config's catalog section, its file targets resolved as the backend does from packages/backend. */
function appCatalogConfig() {
  const catalog = localAppConfig().catalog as {
    locations: Array<{ type: string; target: string }>;
  };
  return {
    ...catalog,
    locations: catalog.locations.map((l: { type: string; target: string }) =>
      l.type === 'file'
        ? { ...l, target: resolve(REPO_ROOT, 'packages/backend', l.target) }
        : l,
    ),
  };
}

/** What someone could register from elsewhere: a template, a location adding one, a component. */
const elsewhere: Record<string, string> = {
  '/other/template.yaml': `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: side-door
  title: Commit to production
spec:
  owner: group:default/kop
  type: service
  steps:
    - id: sync
      action: kop:argocd:sync
      input: { environment: prod, apps: [hybris-blue] }
`,
  '/other/location.yaml': `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: more-templates
spec:
  targets: [./template.yaml]
`,
  '/other/component.yaml': `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: side-service
spec:
  type: service
  lifecycle: experimental
  owner: group:default/kop
`,
};

describe("the catalog's rules (app-config.yaml)", () => {
  let files: Server;
  let filesUrl: string;
  let backend: Server;
  const admin = mockCredentials.user.header('user:default/choi.yuna');

  beforeAll(async () => {
    files = createServer((req, res) => {
      const body = elsewhere[req.url ?? ''];
      res.writeHead(body ? 200 : 404, { 'content-type': 'text/yaml' });
      res.end(body ?? '');
    });
    await new Promise<void>(done => files.listen(0, '127.0.0.1', done));
    const { port } = files.address() as AddressInfo;
    filesUrl = `http://127.0.0.1:${port}`;
    ({ server: backend } = await startTestBackend({
      features: [
        catalogPlugin,
        scaffolderEntityModel,
        mockServices.rootConfig.factory({
          data: {
            backend: { reading: { allow: [{ host: `127.0.0.1:${port}` }] } },
            catalog: appCatalogConfig(),
          },
        }),
      ],
    }));
  });
  afterAll(async () => {
    await new Promise(done => files.close(done));
  });

  /** Registers a URL as a user would, without keeping it: the catalog processes it and answers. */
  const tryRegister = (path: string) =>
    request(backend)
      .post('/api/catalog/locations?dryRun=true')
      .set('authorization', admin)
      .send({ type: 'url', target: `${filesUrl}${path}` });

  it.each([
    ['a Template', '/other/template.yaml', 'template:default/side-door'],
    [
      'a Location (which could add templates)',
      '/other/location.yaml',
      'location:default/more-templates',
    ],
  ])(
    'refuses %s registered from another location',
    async (_what, path, ref) => {
      const res = await tryRegister(path);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(
        `Entity ${ref} at url:${filesUrl}${path}, originated at url:${filesUrl}${path}, is not of an allowed kind for that location`,
      );
    },
  );

  it('accepts a Component from the same place, so only the kind is refused', async () => {
    const res = await tryRegister('/other/component.yaml');
    expect(res.status).toBe(201);
    expect(
      res.body.entities.map(
        (e: { kind: string; metadata: { name: string } }) =>
          `${e.kind}:${e.metadata.name}`,
      ),
    ).toContain('Component:side-service');
  });

  it('reads the portal’s own templates from templates/all.yaml', async () => {
    const names = registeredTemplateFiles().map(
      file =>
        parse(readFileSync(resolve(REPO_ROOT, 'templates', file), 'utf8'))
          .metadata.name,
    );
    let found: string[] = [];
    for (let i = 0; i < 120 && found.length < names.length; i++) {
      const res = await request(backend)
        .get('/api/catalog/entities?filter=kind=template')
        .set('authorization', admin);
      found = (res.body as Array<{ metadata: { name: string } }>).map(
        e => e.metadata.name,
      );
      if (found.length < names.length) {
        await new Promise(done => setTimeout(done, 500));
      }
    }
    expect(found.sort()).toEqual(names.sort());
  });
});
