import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import authPlugin from '@backstage/plugin-auth-backend';
import gitlabProvider from '@backstage/plugin-auth-backend-module-gitlab-provider';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import request from 'supertest';
import { REPO_ROOT } from './__testUtils__/portal';
import { configVariableUses } from './lifecycle/configCheck';

const readme = readFileSync(resolve(REPO_ROOT, 'README.md'), 'utf8');

/** The README's section under `heading`, up to the next heading of its level or above. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "${heading}"`);
  const level = heading.split(' ')[0];
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Each variable of the production variables table with the config keys its row names. */
function documentedVariables(): Map<string, string[]> {
  const rows = section('### Production variables')
    .split('\n')
    .filter(line => line.startsWith('| `'));
  return new Map(
    rows.map(row => {
      const [variable, keys] = row.split('|').slice(1, 3);
      return [
        variable.trim().replace(/`/g, ''),
        [...keys.matchAll(/`([^`]+)`/g)].map(([, key]) => key).sort(),
      ];
    }),
  );
}

/** Each variable app-config.production.yaml reads with the keys it feeds. */
function productionVariables(): Map<string, string[]> {
  const uses = configVariableUses(
    readFileSync(resolve(REPO_ROOT, 'app-config.production.yaml'), 'utf8'),
  );
  const keys = new Map<string, string[]>();
  for (const use of uses) {
    keys.set(use.name, [...(keys.get(use.name) ?? []), use.key].sort());
  }
  return keys;
}

describe("the README's production section", () => {
  it('lists every variable app-config.production.yaml reads, and no other', () => {
    expect([...documentedVariables().keys()].sort()).toEqual(
      [...productionVariables().keys()].sort(),
    );
  });

  it('names for each variable the config keys it feeds', () => {
    const documented = documentedVariables();
    for (const [name, keys] of productionVariables()) {
      expect({ name, keys: documented.get(name) }).toEqual({ name, keys });
    }
  });

  it('gives the GitLab OAuth redirect URI the production backend sends to GitLab', async () => {
    const documented = /^\$\{PORTAL_BASE_URL\}(\/\S+)$/m.exec(
      section('### GitLab sign-in'),
    )?.[1];
    expect(documented).toBeDefined();
    const portal = 'https://release.kop.example';
    const { server } = await startTestBackend({
      features: [
        authPlugin,
        gitlabProvider,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: portal },
            backend: { baseUrl: portal },
            auth: {
              environment: 'production',
              providers: {
                gitlab: {
                  production: {
                    clientId: 'kop-portal',
                    clientSecret: 'kop-portal-secret',
                    audience: 'https://gitlab.kop.example',
                  },
                },
              },
            },
          },
        }),
      ],
    });
    try {
      const res = await request(server).get(
        '/api/auth/gitlab/start?env=production&scope=read_user',
      );
      expect(res.status).toBe(302);
      const authorize = new URL(res.headers.location);
      expect(authorize.origin).toBe('https://gitlab.kop.example');
      // The test backend answers at its own port; production's backend.baseUrl is PORTAL_BASE_URL.
      const { port } = server.address() as AddressInfo;
      expect(authorize.searchParams.get('redirect_uri')).toBe(
        `http://localhost:${port}${documented}`,
      );
      expect(productionVariables().get('PORTAL_BASE_URL')).toContain(
        'backend.baseUrl',
      );
    } finally {
      server.close();
    }
  });
});
