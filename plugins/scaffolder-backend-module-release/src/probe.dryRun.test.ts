import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { coreServices, createServiceFactory } from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { defaultSandboxServices, startSandbox, seedFacts } from 'sandbox';
import { scaffolderModuleRelease } from './module';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import releasePlugin from '@internal/plugin-release-backend';

jest.setTimeout(120_000);
const root = resolve(__dirname, '../../..');
const load = (f: string) => parseAllDocuments(readFileSync(resolve(root, f), 'utf8')).map(d => d.toJS()).filter(Boolean).map((e: any) => ({ ...e, metadata: { namespace: 'default', ...e.metadata } }));

it('probe', async () => {
  const sandbox = await startSandbox({ timeScale: 0, services: defaultSandboxServices() });
  const app = parse(readFileSync(resolve(root, 'app-config.yaml'), 'utf8'));
  const text = JSON.stringify({ integrations: app.integrations, argocd: app.argocd, jenkins: app.jenkins, asana: app.asana, slack: app.slack, prometheus: app.prometheus, hybris: app.hybris, release: app.release, app: { baseUrl: app.app.baseUrl }, scaffolder: {} })
    .replaceAll('http://127.0.0.1:7100', sandbox.url).replaceAll('127.0.0.1:7100', new URL(sandbox.url).host);
  const config = JSON.parse(text);
  config.release.windows = [{ days: ['sun','mon','tue','wed','thu','fri','sat'], from: '00:00', to: '24:00', tz: 'UTC' }];
  const entities = [...load('catalog/org.yaml'), ...load('catalog-info.yaml')];
  const { server } = await startTestBackend({
    features: [
      scaffolderPlugin,
      scaffolderModuleRelease,
      releasePlugin,
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({ data: config }),
      createServiceFactory({
        service: coreServices.userInfo, deps: {},
        factory: () => ({ async getUserInfo(c: any) { const ref = c.principal.userEntityRef; const u = entities.find((e: any) => e.kind === 'User' && `user:default/${e.metadata.name}` === ref); return { userEntityRef: ref, ownershipEntityRefs: [ref, ...((u?.spec?.memberOf ?? []) as string[]).map(g => `group:default/${g}`)] }; } }),
      }),
    ],
  });
  const port = (server.address() as any).port;
  const template = parse(readFileSync(resolve(root, 'templates/prepare-release.yaml'), 'utf8'));
  const res = await fetch(`http://localhost:${port}/api/scaffolder/v2/dry-run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: mockCredentials.user.header('user:default/kim.minjun') },
    body: JSON.stringify({ template, values: {
      release: { environment: 'beta', apps: [{ app: 'hybris', version: seedFacts.hybris.candidate }] },
      changes: { items: [{ title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복', app: 'hybris', source: { type: 'mr', project: 'kop/hybris', iid: 4 } }], changeClasses: [], mixedIn: 0, notNewer: [], dbUpdate: false },
      grade: { grade: 'B' }, dbUpdate: false, steps: '3,6,9',
    }, secrets: {}, directoryContents: [] }),
  });
  console.log(res.status, JSON.stringify(await res.json(), null, 2));
  const before = await Promise.all(sandbox.services.map(async s => [s.name, await s.describe?.()]));
  await new Promise(r => setTimeout(r, 1500));
  const after = await Promise.all(sandbox.services.map(async s => [s.name, await s.describe?.()]));
  for (let i = 0; i < before.length; i++) console.log(before[i][0], JSON.stringify(before[i]) === JSON.stringify(after[i]));
  await sandbox.close();
  rmSync(sandbox.context.dataDir, { recursive: true, force: true });
});
