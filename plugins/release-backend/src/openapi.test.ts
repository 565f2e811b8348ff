import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { defaultGradePolicy } from '@internal/plugin-release-common';
import {
  ReleaseIntegrations,
  readReleasePortalConfig,
} from '@internal/plugin-release-node';
import { ConfigReader } from '@backstage/config';
import { openapiFile, renderOpenapi } from '../scripts/openapi';
import { createRouter } from './router';
import type { DeployService } from './engine/DeployService';
import type { ReleaseService } from './service/ReleaseService';
import type { MessageOutbox } from './messages/MessageOutbox';
import type { RequestedMessageSettings } from './messages/requested';

const committed = readFileSync(resolve(__dirname, '../openapi.yaml'), 'utf8');
const spec = parse(committed) as {
  paths: Record<string, Record<string, unknown>>;
};

const methods = ['get', 'post', 'put', 'patch', 'delete'];

function documented(): string[] {
  return Object.entries(spec.paths)
    .flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter(m => methods.includes(m))
        .map(m => `${m.toUpperCase()} ${path.replace(/{(\w+)}/g, ':$1')}`),
    )
    .sort();
}

describe('openapi.yaml', () => {
  it('documents exactly the routes the router serves', async () => {
    const config = new ConfigReader({});
    const router = await createRouter({
      config,
      portal: readReleasePortalConfig(config),
      auth: mockServices.auth(),
      httpAuth: mockServices.httpAuth(),
      userInfo: mockServices.userInfo(),
      permissions: mockServices.permissions(),
      auditor: mockServices.auditor.mock(),
      catalog: catalogServiceMock(),
      releases: { policy: defaultGradePolicy } as ReleaseService,
      integrations: new ReleaseIntegrations(config, mockServices.logger.mock()),
      deploys: {} as DeployService,
      messages: {} as MessageOutbox,
      messageSettings: {} as RequestedMessageSettings,
    });
    const served = (router.stack as any[])
      .filter(layer => layer.route)
      .flatMap(layer =>
        Object.keys(layer.route.methods).map(
          m => `${m.toUpperCase()} ${layer.route.path}`,
        ),
      )
      .sort();
    expect(served).toEqual(documented());
  });

  it('has the component schemas the release-common zod schemas give (yarn workspace @internal/plugin-release-backend openapi:generate)', () => {
    expect(openapiFile).toBe(resolve(__dirname, '../openapi.yaml'));
    expect(renderOpenapi(committed)).toBe(committed);
  });

  it('refers only to components it has', () => {
    const refs = [...committed.matchAll(/\$ref: '([^']+)'/g)].map(m => m[1]);
    expect(refs.length).toBeGreaterThan(20);
    const missing = refs.filter(ref => {
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>(
          (node, key) => (node as Record<string, unknown> | undefined)?.[key],
          spec,
        );
      return target === undefined;
    });
    expect(missing).toEqual([]);
  });
});
