import { mockServices } from '@backstage/backend-test-utils';
import { ConfigSources } from '@backstage/config-loader';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../__testUtils__/portal';
import {
  productionEnv,
  productionVariables,
} from '../__testUtils__/production/productionConfig';
import {
  checkConfig,
  ConfigCheckError,
  configVariableUses,
  keyPath,
} from './configCheck';

type Env = Record<string, string | undefined>;

const PRODUCTION = ['app-config.yaml', 'app-config.production.yaml'];
const LOCAL = ['app-config.yaml', 'app-config.local.yaml'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kop-config-check-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file of the test's own, beside the repository's. */
function layer(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const argvOf = (files: string[]) => [
  'node',
  'packages/backend',
  ...files.flatMap(f => ['--config', resolve(REPO_ROOT, f)]),
];

/** The config the backend loads from these files with `env` as its environment. */
async function load(files: string[], env: Env) {
  const config = await ConfigSources.toConfig(
    ConfigSources.default({
      rootDir: REPO_ROOT,
      argv: argvOf(files),
      env,
      substitutionFunc: async name => env[name]?.trim(),
      watch: false,
    }),
  );
  config.close();
  return config;
}

/** What the start-up check says of these files and this environment; undefined when it passes. */
async function check(files: string[], env: Env): Promise<string | undefined> {
  const config = await load(files, env);
  try {
    checkConfig(config, {
      logger: mockServices.logger.mock(),
      argv: argvOf(files),
      env,
    });
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigCheckError);
    return (e as Error).message;
  }
}

/** Every variable production reads, the systems at a sandbox that is never called. */
const everything = () =>
  productionEnv({
    sandboxUrl: 'http://127.0.0.1:7100',
    portalUrl: 'https://release.kop.example',
    port: 7007,
    postgres: { host: 'db.internal', port: 5432, user: 'kop', password: 'pw' },
  });

function without(env: Env, ...names: string[]): Env {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !names.includes(name)),
  );
}

/** `NAME (key, key)` items of the message's "not set" list. */
function listedMissing(message: string): string[] {
  const list =
    /(?:is|are) not set: (.*?)\.(?= \d+ values? (?:is|are) wrong|$)/.exec(
      message,
    )?.[1];
  return list ? list.split(/, (?=[A-Z][A-Z0-9_]* \()/) : [];
}

describe('configVariableUses', () => {
  it('names each variable with the key it sets, lists by index, fallbacks as optional and $${X} as literal', () => {
    expect(
      configVariableUses(`
a:
  url: https://\${HOST}/api
  list:
    - { token: '\${TOKEN}' }
    - port: \${PORT:-7007}
  literal: $\${NOT_A_VARIABLE}
`),
    ).toEqual([
      { name: 'HOST', key: 'a.url', optional: false },
      { name: 'TOKEN', key: 'a.list[0].token', optional: false },
      { name: 'PORT', key: 'a.list[1].port', optional: true },
    ]);
  });
});

describe('the start-up check of the production config', () => {
  it('passes with every variable set', async () => {
    expect(await check(PRODUCTION, everything())).toBeUndefined();
  });

  it('lists every variable that is not set, with the keys it feeds, in one message and nothing else', async () => {
    const message = await check(
      PRODUCTION,
      without(
        everything(),
        'JENKINS_URL',
        'ASANA_TOKEN',
        'HYBRIS_PROD_GREEN_URL',
        'GRAFANA_URL',
        'PORTAL_BASE_URL',
      ),
    );
    expect(message).toBe(
      'The config check of app-config.yaml, app-config.production.yaml failed. ' +
        '5 environment variables are not set: ' +
        'PORTAL_BASE_URL (app.baseUrl, backend.baseUrl, backend.cors.origin[0]), ' +
        'JENKINS_URL (jenkins.baseUrl), ASANA_TOKEN (asana.token), ' +
        'HYBRIS_PROD_GREEN_URL (hybris.clusterStatus.prod.green), ' +
        'GRAFANA_URL (release.links.dashboards[0].url).',
    );
  });

  it('counts an empty variable as not set', async () => {
    const message = await check(PRODUCTION, {
      ...everything(),
      SLACK_BOT_TOKEN: '  ',
    });
    expect(listedMissing(message!)).toEqual([
      'SLACK_BOT_TOKEN (slack.botToken)',
    ]);
  });

  it('with no variable set, lists each one the production config needs, and no value as wrong', async () => {
    const message = await check(PRODUCTION, {});
    const needed = productionVariables().filter(v => !v.optional);
    expect(listedMissing(message!).map(item => item.split(' ')[0])).toEqual(
      needed.map(v => v.name),
    );
    expect(message).not.toContain('wrong');
  });

  it('names each malformed value by its key, and the variable behind it', async () => {
    const steps = layer(
      'steps.yaml',
      'release:\n  apps:\n    hybris:\n      steps: [9, 3]\n',
    );
    const message = await check([...PRODUCTION, steps], {
      ...everything(),
      JENKINS_URL: 'jenkins.internal',
      ARGOCD_PROD_URL: 'argocd-prod',
    });
    expect(message).toContain('3 values are wrong: ');
    expect(message).toContain(
      'release.apps.hybris.steps must be rising whole replica counts, got 9, 3',
    );
    expect(message).toContain(
      "argocd.instances[1].url must be an http(s) URL, got 'argocd-prod' (ARGOCD_PROD_URL)",
    );
    expect(message).toContain(
      'jenkins.baseUrl must be an http(s) URL (JENKINS_URL)',
    );
    expect(message).not.toContain('not set');
  });

  it('reports both what is missing and what is wrong at once', async () => {
    const message = await check(PRODUCTION, {
      ...without(everything(), 'SLACK_BOT_TOKEN'),
      JENKINS_URL: 'ftp://jenkins.internal',
    });
    expect(message).toBe(
      'The config check of app-config.yaml, app-config.production.yaml failed. ' +
        '1 environment variable is not set: SLACK_BOT_TOKEN (slack.botToken). ' +
        '1 value is wrong: jenkins.baseUrl must be an http(s) URL (JENKINS_URL).',
    );
  });

  it('does not ask for a variable whose key a later file or APP_CONFIG_ sets', async () => {
    const portal = layer(
      'portal.yaml',
      [
        'app: { baseUrl: https://release.kop.example }',
        'backend:',
        '  baseUrl: https://release.kop.example',
        '  cors: { origin: [https://release.kop.example] }',
        'integrations:',
        '  gitlab: [{ host: gitlab.kop.example, token: glpat-x }]',
        '',
      ].join('\n'),
    );
    const env = {
      ...without(
        everything(),
        'PORTAL_BASE_URL',
        'GITLAB_TOKEN',
        'SLACK_BOT_TOKEN',
      ),
      APP_CONFIG_slack_botToken: 'xoxb-from-app-config',
    };
    expect(await check([...PRODUCTION, portal], env)).toBeUndefined();
    // GITLAB_HOST still feeds the GitLab sign-in's audience.
    expect(
      listedMissing(
        (await check([...PRODUCTION, portal], without(env, 'GITLAB_HOST')))!,
      ),
    ).toEqual(['GITLAB_HOST (auth.providers.gitlab.production.audience)']);
  });
});

describe('the config layers', () => {
  it('production falls back to nothing local: with no variable set, no key a variable feeds has a value', async () => {
    const data = (await load(PRODUCTION, {})).get();
    const valueAt = (key: string) =>
      keyPath(key).reduce<any>((node, part) => node?.[part], data);
    const uses = configVariableUses(
      readFileSync(resolve(REPO_ROOT, 'app-config.production.yaml'), 'utf8'),
    ).filter(use => !use.optional);
    expect(uses.length).toBeGreaterThan(30);
    expect(uses.filter(use => valueAt(use.key) !== undefined)).toEqual([]);
  });

  it('app-config.yaml holds no system, sign-in, database, address or sandbox of its own', () => {
    const text = readFileSync(resolve(REPO_ROOT, 'app-config.yaml'), 'utf8');
    const data = parse(text);
    for (const section of [
      'integrations',
      'argocd',
      'jenkins',
      'asana',
      'slack',
      'prometheus',
      'hybris',
      'auth',
    ]) {
      expect(data).not.toHaveProperty(section);
    }
    expect(data.app).not.toHaveProperty('baseUrl');
    expect(data.backend).not.toHaveProperty('baseUrl');
    expect(data.backend).not.toHaveProperty('database');
    expect(data.catalog).not.toHaveProperty('locations');
    expect(JSON.stringify(data)).not.toMatch(/127\.0\.0\.1|localhost|sandbox/i);
  });

  it('production with every variable set reads nothing of the sandbox', async () => {
    const config = await load(
      PRODUCTION,
      Object.fromEntries(
        productionVariables().map(v => [v.name, `value-of-${v.name}`]),
      ),
    );
    expect(JSON.stringify(config.get())).not.toMatch(
      /127\.0\.0\.1|localhost|sandbox|demo/i,
    );
  });

  it.each([
    ['./kop start', LOCAL],
    ['the end-to-end tests', [...LOCAL, 'app-config.e2e.yaml']],
  ])('%s pass the start-up check with no variable set', async (_, files) => {
    expect(await check(files, {})).toBeUndefined();
  });
});
