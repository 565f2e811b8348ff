import { mockServices } from '@backstage/backend-test-utils';
import {
  ReleaseIntegrations,
  type ReleaseClientFactories,
  type SystemCheck,
} from './integrations';

type Check = () => Promise<{ ok: boolean; checks: SystemCheck[] }>;

/** Factories whose clients only answer `check()`; undefined = not configured, Error = bad config. */
function factories(
  clients: Record<keyof ReleaseClientFactories, Check | undefined | Error>,
): ReleaseClientFactories {
  return Object.fromEntries(
    Object.entries(clients).map(([system, given]) => [
      system,
      () => {
        if (given instanceof Error) throw given;
        return given ? { check: given } : undefined;
      },
    ]),
  ) as unknown as ReleaseClientFactories;
}

const good: Check = async () => ({
  ok: true,
  checks: [{ name: 'token', ok: true, detail: 'works' }],
});

describe('ReleaseIntegrations.checkAll', () => {
  afterEach(() => jest.useRealTimers());

  it('reports a system that does not answer in time as failed, and the others as they are', async () => {
    jest.useFakeTimers();
    const integrations = new ReleaseIntegrations(
      mockServices.rootConfig(),
      mockServices.logger.mock(),
      factories({
        argocd: good,
        gitlab: good,
        jenkins: () => new Promise(() => undefined),
        asana: undefined,
        slack: new Error('slack.botToken is required'),
        prometheus: good,
        hybris: good,
      }),
    );
    const reports = integrations.checkAll({ timeoutMs: 2000 });
    await jest.advanceTimersByTimeAsync(2000);
    expect(await reports).toEqual([
      {
        system: 'Argo CD',
        key: 'argocd',
        configured: true,
        ok: true,
        checks: [{ name: 'token', ok: true, detail: 'works' }],
      },
      {
        system: 'GitLab',
        key: 'gitlab',
        configured: true,
        ok: true,
        checks: [{ name: 'token', ok: true, detail: 'works' }],
      },
      {
        system: 'Jenkins',
        key: 'jenkins',
        configured: true,
        ok: false,
        checks: [
          {
            name: 'check',
            ok: false,
            detail:
              'no answer within 2 s: check that jenkins points at a running Jenkins the backend can reach',
          },
        ],
      },
      {
        system: 'Asana',
        key: 'asana',
        configured: false,
        ok: false,
        checks: [
          {
            name: 'config',
            ok: false,
            detail: 'not configured: set asana in app-config',
          },
        ],
      },
      {
        system: 'Slack',
        key: 'slack',
        configured: true,
        ok: false,
        checks: [
          { name: 'config', ok: false, detail: 'slack.botToken is required' },
        ],
      },
      {
        system: 'Prometheus',
        key: 'prometheus',
        configured: true,
        ok: true,
        checks: [{ name: 'token', ok: true, detail: 'works' }],
      },
      {
        system: 'hybris',
        key: 'hybris',
        configured: true,
        ok: true,
        checks: [{ name: 'token', ok: true, detail: 'works' }],
      },
    ]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('sets no deadline when no timeout is given', async () => {
    jest.useFakeTimers();
    let answer: () => void = () => undefined;
    const integrations = new ReleaseIntegrations(
      mockServices.rootConfig(),
      mockServices.logger.mock(),
      factories({
        argocd: () =>
          new Promise(resolve => {
            answer = () => resolve({ ok: true, checks: [] });
          }),
        gitlab: good,
        jenkins: good,
        asana: good,
        slack: good,
        prometheus: good,
        hybris: good,
      }),
    );
    const report = integrations.checkOne('argocd');
    expect(jest.getTimerCount()).toBe(0);
    answer();
    expect(await report).toMatchObject({ ok: true, configured: true });
  });
});
