import { ConfigReader } from '@backstage/config';
import type { SystemCheckReport } from '@internal/plugin-release-node';
import { createSetupCheck, runSetupCheck, secretValuesOf } from './setupCheck';

const report = (ok: boolean, detail: string): SystemCheckReport => ({
  system: 'GitLab',
  key: 'gitlab',
  configured: true,
  ok,
  checks: [{ name: 'token', ok, detail }],
});

describe('setup check', () => {
  it('lets callers arriving while a check runs share it, and checks afresh after', async () => {
    let answer: (r: SystemCheckReport[]) => void = () => undefined;
    const checkAll = jest.fn(
      () =>
        new Promise<SystemCheckReport[]>(resolve => {
          answer = resolve;
        }),
    );
    const setupCheck = createSetupCheck({
      integrations: { checkAll },
      config: new ConfigReader({}),
      now: () => new Date('2026-11-25T01:00:00Z'),
    });
    const first = setupCheck();
    const second = setupCheck();
    answer([report(true, 'the token acts as kop-release-bot')]);
    expect(await first).toBe(await second);
    expect(checkAll).toHaveBeenCalledTimes(1);

    const third = setupCheck();
    answer([report(false, 'the token is refused (HTTP 401)')]);
    expect(await third).toEqual({
      ok: false,
      checkedAt: '2026-11-25T01:00:00.000Z',
      systems: [report(false, 'the token is refused (HTTP 401)')],
    });
    expect(checkAll).toHaveBeenCalledTimes(2);
  });

  it('bounds each system by release.setupCheck.timeoutSeconds, 10 s unless set', async () => {
    const checkAll = jest.fn(async () => []);
    await runSetupCheck({
      integrations: { checkAll },
      config: new ConfigReader({}),
    });
    await runSetupCheck({
      integrations: { checkAll },
      config: new ConfigReader({
        release: { setupCheck: { timeoutSeconds: 3 } },
      }),
    });
    expect(checkAll.mock.calls).toEqual([
      [{ timeoutMs: 10_000 }],
      [{ timeoutMs: 3_000 }],
    ]);
  });

  it('finds credentials wherever they sit in the config, and nothing else', () => {
    const config = new ConfigReader({
      integrations: {
        gitlab: [{ host: 'gitlab.example', token: 'glpat-aaaaaaaa' }],
      },
      argocd: { instances: [{ name: 'beta', token: 'argocd-bbbbbbbb' }] },
      slack: { botToken: 'xoxb-cccccccc', signingSecret: 'dddddddd' },
      auth: {
        providers: { gitlab: { development: { clientSecret: 'eeeeeeee' } } },
      },
      backend: { database: { connection: { password: 'ffffffff' } } },
      jenkins: { apiToken: 'x' },
      release: { product: 'kop' },
    });
    expect(secretValuesOf(config).sort()).toEqual([
      'argocd-bbbbbbbb',
      'dddddddd',
      'eeeeeeee',
      'ffffffff',
      'glpat-aaaaaaaa',
      'xoxb-cccccccc',
    ]);
  });
});
