import {
  defaultSandboxServices,
  startSandbox,
  type RunningSandbox,
} from './index';
import { sandboxGitlabTokens } from './gitlab';

jest.setTimeout(60_000);

describe('the default sandbox', () => {
  let sandbox: RunningSandbox;
  const argo = { authorization: 'Bearer argocd-sandbox-token' };
  const gitlab = { 'private-token': sandboxGitlabTokens.maintainer };

  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 0,
      services: defaultSandboxServices(),
    });
  });
  afterAll(() => sandbox.close());

  const app = async (name: string) =>
    (
      await fetch(`${sandbox.url}/argocd/prod/api/v1/applications/${name}`, {
        headers: argo,
      })
    ).json();

  it('starts every stand-in, with Argo CD synced to the real IaC repository', async () => {
    const health = await (await fetch(`${sandbox.url}/_sandbox/health`)).json();
    expect(health.services).toEqual([
      'GitLab',
      'Argo CD',
      'hybris',
      'Prometheus',
      'Slack',
      'Asana',
      'Jenkins',
    ]);
    const head = await (
      await fetch(
        `${sandbox.url}/gitlab/api/v4/projects/kop%2Fkop-deploy-prod/repository/branches/main`,
        { headers: gitlab },
      )
    ).json();
    const web = await app('web');
    expect(web.status.sync).toMatchObject({
      status: 'Synced',
      revision: head.commit.id,
    });
    expect(web.status.health.status).toBe('Healthy');
  });

  it('deploys what a commit to the IaC repository says once Argo CD syncs it', async () => {
    const commit = await fetch(
      `${sandbox.url}/gitlab/api/v4/projects/kop%2Fkop-deploy-prod/repository/commits`,
      {
        method: 'POST',
        headers: { ...gitlab, 'content-type': 'application/json' },
        body: JSON.stringify({
          branch: 'main',
          commit_message: 'web: a7ed4db1',
          actions: [
            {
              action: 'update',
              file_path: 'web/values.yaml',
              content:
                'image:\n  repository: registry.kop/web\n  tag: a7ed4db1\nreplicaCount: 2\n',
            },
          ],
        }),
      },
    );
    expect(commit.status).toBe(201);
    const sha = (await commit.json()).id;
    const sync = await fetch(
      `${sandbox.url}/argocd/prod/api/v1/applications/web/sync`,
      {
        method: 'POST',
        headers: { ...argo, 'content-type': 'application/json' },
        body: JSON.stringify({ revision: 'main' }),
      },
    );
    expect(sync.status).toBe(200);
    for (let i = 0; i < 100; i++) {
      const web = await app('web');
      if (
        web.status.operationState?.phase === 'Succeeded' &&
        web.status.health.status === 'Healthy'
      )
        break;
      await new Promise(r => setTimeout(r, 50));
    }
    const web = await app('web');
    expect(web.status.sync.revision).toBe(sha);
    expect(web.status.summary.images).toEqual(['registry.kop/web:a7ed4db1']);
  });

  it('serves a Prometheus API over the metrics of every hybris colour', async () => {
    const query = encodeURIComponent(
      'sum by (environment) (hybris_jgroups_view_size)',
    );
    let result: Array<{ metric: { environment: string }; value: unknown[] }> =
      [];
    // The first scrape waits for the Argo CD stand-in's first read of git.
    for (let i = 0; i < 100 && result.length < 2; i++) {
      const answer = await (
        await fetch(`${sandbox.url}/prometheus/api/v1/query?query=${query}`)
      ).json();
      result = answer.data.result;
      if (result.length < 2) await new Promise(r => setTimeout(r, 50));
    }
    expect(
      Object.fromEntries(result.map(r => [r.metric.environment, r.value[1]])),
    ).toEqual({ beta: '9', prod: '9' });
  });
});
