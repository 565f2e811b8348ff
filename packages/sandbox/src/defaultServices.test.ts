import {
  defaultSandboxServices,
  startSandbox,
  type ArgoCdSandbox,
  type RunningSandbox,
} from './index';
import { sandboxGitlabTokens } from './gitlab';

jest.setTimeout(60_000);

/** Commits web's values with 2 replicas of `tag` to the prod IaC repository. */
function commitWebTag(sandbox: RunningSandbox, tag: string) {
  return fetch(
    `${sandbox.url}/gitlab/api/v4/projects/kop%2Fkop-deploy-prod/repository/commits`,
    {
      method: 'POST',
      headers: {
        'private-token': sandboxGitlabTokens.maintainer,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        branch: 'main',
        commit_message: `web: ${tag}`,
        actions: [
          {
            action: 'update',
            file_path: 'web/values.yaml',
            content: `image:\n  repository: registry.kop/web\n  tag: ${tag}\nreplicaCount: 2\n`,
          },
        ],
      }),
    },
  );
}

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
    const commit = await commitWebTag(sandbox, 'a7ed4db1');
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

describe('the default sandbox with durations of its own', () => {
  let sandbox: RunningSandbox;
  const gitlab = { 'private-token': sandboxGitlabTokens.maintainer };

  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 1,
      services: defaultSandboxServices({
        podStartMs: { web: 300 },
        argocdOperationMs: 100,
        pipelineMs: 250,
        argocdReconcileIntervalMs: 0,
      }),
    });
  });
  afterAll(() => sandbox.close());

  it('runs a sync and starts the pods of an app in the times given', async () => {
    const argocd = sandbox.services.find(
      s => s.name === 'Argo CD',
    ) as ArgoCdSandbox;
    const commit = await commitWebTag(sandbox, 'b1c2d3e4');
    expect(commit.status).toBe(201);
    await argocd.refresh('prod', 'web');
    const started = Date.now();
    await argocd.startOperation('prod', 'web');
    for (let i = 0; i < 200; i++) {
      if (argocd.simulation.operationPhase('prod', 'web') === 'Succeeded')
        break;
      await new Promise(r => setTimeout(r, 5));
    }
    expect(argocd.simulation.operationPhase('prod', 'web')).toBe('Succeeded');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    const web = argocd.simulation.workload('prod', 'web');
    const fresh = web.pods.filter(p => p.template === web.template);
    expect(fresh.map(p => p.readyAt - p.createdAt)).toEqual([300, 300]);
  });

  it('runs a pipeline for the time given', async () => {
    const created = await fetch(
      `${sandbox.url}/gitlab/api/v4/projects/kop%2Fcms/repository/branches?branch=timed&ref=master`,
      { method: 'POST', headers: gitlab },
    );
    expect(created.status).toBe(201);
    let pipeline: { status: string; created_at: string; updated_at: string } = {
      status: 'running',
      created_at: '',
      updated_at: '',
    };
    for (let i = 0; i < 100 && pipeline.status !== 'success'; i++) {
      await new Promise(r => setTimeout(r, 20));
      [pipeline] = await (
        await fetch(
          `${sandbox.url}/gitlab/api/v4/projects/kop%2Fcms/pipelines?ref=timed`,
          { headers: gitlab },
        )
      ).json();
    }
    expect(pipeline.status).toBe('success');
    expect(
      Date.parse(pipeline.updated_at) - Date.parse(pipeline.created_at),
    ).toBe(250);
  });
});
