import { ResponseError } from '@backstage/errors';
import { ReleaseClient } from './ReleaseApi';

const base = 'http://localhost:7007/api/release';

/** A fetch that records each call and answers from a table of (method, URL) → (status, body). */
function fakeFetch(answers: Record<string, { status: number; body: unknown }>) {
  const calls: Array<{ method: string; url: string; body?: unknown }> = [];
  const fetch = jest.fn(
    async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? 'GET';
      calls.push({
        method,
        url,
        body: init?.body ? JSON.parse(String(init.body)) : undefined,
      });
      const answer = answers[`${method} ${url}`];
      if (!answer) throw new Error(`unexpected ${method} ${url}`);
      const text = JSON.stringify(answer.body);
      return {
        ok: answer.status < 400,
        status: answer.status,
        statusText: answer.status === 409 ? 'Conflict' : 'OK',
        headers: { get: () => 'application/json' },
        json: async () => answer.body,
        text: async () => text,
      } as unknown as Response;
    },
  );
  const client = new ReleaseClient({
    discoveryApi: { getBaseUrl: async () => base },
    fetchApi: { fetch },
  });
  return { client, calls };
}

const id = '0b9c3a8e-1111-4222-8333-944455556666';

describe('ReleaseClient (release page and approvals)', () => {
  it('reads a release, its approvals, notes, audit trail and messages by id', async () => {
    const { client, calls } = fakeFetch({
      [`GET ${base}/releases/${id}`]: { status: 200, body: { id } },
      [`GET ${base}/releases/${id}/approvals`]: {
        status: 200,
        body: { releaseId: id, state: 'prepared', stages: [] },
      },
      [`GET ${base}/releases/${id}/notes`]: {
        status: 200,
        body: {
          announcement: '[kop] 배포합니다.',
          asana: '',
          commitMessage: '',
        },
      },
      [`GET ${base}/releases/${id}/audit?afterSeq=9&limit=200`]: {
        status: 200,
        body: { items: [{ seq: 10 }] },
      },
      [`GET ${base}/releases/${id}/messages`]: {
        status: 200,
        body: { items: [{ id: 'm-1', state: 'sent' }] },
      },
      [`GET ${base}/approvals/pending`]: { status: 200, body: { items: [] } },
    });
    expect(await client.getRelease(id)).toEqual({ id });
    expect((await client.getApprovals(id)).state).toBe('prepared');
    expect((await client.getNotes(id)).announcement).toBe('[kop] 배포합니다.');
    expect(
      (await client.getAudit(id, { afterSeq: 9, limit: 200 })).items,
    ).toEqual([{ seq: 10 }]);
    expect((await client.getMessages(id)).items).toEqual([
      { id: 'm-1', state: 'sent' },
    ]);
    expect(await client.listPendingApprovals()).toEqual({ items: [] });
    expect(calls.every(c => c.method === 'GET')).toBe(true);
  });

  it('posts a decision and a retro approval as the API describes them', async () => {
    const { client, calls } = fakeFetch({
      [`POST ${base}/releases/${id}/approvals`]: {
        status: 200,
        body: { id, state: 'approved' },
      },
      [`POST ${base}/releases/${id}/retro-approval`]: {
        status: 200,
        body: { id, state: 'done' },
      },
    });
    await client.decide(id, {
      decision: 'reject',
      stage: 'approval',
      comment: 'MR 44 is not announced',
    });
    await client.retroApprove(id, { comment: 'checked after the fix' });
    expect(calls).toEqual([
      {
        method: 'POST',
        url: `${base}/releases/${id}/approvals`,
        body: {
          decision: 'reject',
          stage: 'approval',
          comment: 'MR 44 is not announced',
        },
      },
      {
        method: 'POST',
        url: `${base}/releases/${id}/retro-approval`,
        body: { comment: 'checked after the fix' },
      },
    ]);
  });

  it('asks for approval with an empty POST to the release, and throws a refusal with its status and message', async () => {
    const other = '1c2d3e4f-1111-4222-8333-944455556666';
    const { client, calls } = fakeFetch({
      [`POST ${base}/releases/${id}/request-approval`]: {
        status: 200,
        body: { id, state: 'awaiting_approval' },
      },
      [`POST ${base}/releases/${other}/request-approval`]: {
        status: 409,
        body: {
          error: {
            name: 'ConflictError',
            message:
              'grade: grade E is deployed first and approved afterwards; deploy it instead',
          },
          request: {
            method: 'POST',
            url: `/releases/${other}/request-approval`,
          },
          response: { statusCode: 409 },
        },
      },
    });
    expect(await client.requestApproval(id)).toEqual({
      id,
      state: 'awaiting_approval',
    });
    const error = await client.requestApproval(other).catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(409);
    expect(error.cause.message).toBe(
      'grade: grade E is deployed first and approved afterwards; deploy it instead',
    );
    expect(calls).toEqual([
      {
        method: 'POST',
        url: `${base}/releases/${id}/request-approval`,
        body: {},
      },
      {
        method: 'POST',
        url: `${base}/releases/${other}/request-approval`,
        body: {},
      },
    ]);
  });

  it('throws the backend error with its status and message', async () => {
    const { client } = fakeFetch({
      [`POST ${base}/releases/${id}/approvals`]: {
        status: 409,
        body: {
          error: {
            name: 'ConflictError',
            message: 'The release changed meanwhile; reload and try again',
          },
          request: { method: 'POST', url: `/releases/${id}/approvals` },
          response: { statusCode: 409 },
        },
      },
    });
    const error = await client
      .decide(id, { decision: 'approve', stage: 'approval' })
      .catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(409);
    expect(error.cause.message).toBe(
      'The release changed meanwhile; reload and try again',
    );
  });

  it('keeps an id from escaping its path segment', async () => {
    const { client, calls } = fakeFetch({
      [`GET ${base}/releases/..%2Faudit`]: { status: 200, body: {} },
      [`POST ${base}/releases/..%2Faudit/request-approval`]: {
        status: 200,
        body: {},
      },
    });
    await client.getRelease('../audit');
    await client.requestApproval('../audit');
    expect(calls.map(c => c.url)).toEqual([
      `${base}/releases/..%2Faudit`,
      `${base}/releases/..%2Faudit/request-approval`,
    ]);
  });
});

describe('ReleaseClient (deploy engine)', () => {
  const fingerprint = 'f'.repeat(64);
  const run = { id: 'run-1', releaseId: id, state: 'running' };

  it('reads the plan for an environment and the deploy view', async () => {
    const { client, calls } = fakeFetch({
      [`GET ${base}/releases/${id}/plan?environment=prod`]: {
        status: 200,
        body: { releaseId: id, environment: 'prod', fingerprint },
      },
      [`GET ${base}/releases/${id}/deploy`]: {
        status: 200,
        body: { runs: [run], twoVersionsLive: false },
      },
    });
    expect((await client.getPlan(id, 'prod')).fingerprint).toBe(fingerprint);
    expect((await client.getDeploy(id)).runs).toEqual([run]);
    expect(calls.map(c => `${c.method} ${c.url}`)).toEqual([
      `GET ${base}/releases/${id}/plan?environment=prod`,
      `GET ${base}/releases/${id}/deploy`,
    ]);
  });

  it('throws the reason a plan cannot be computed (409)', async () => {
    const message =
      'live colour: IaC says blue is live, Argo CD serves green; fix IaC first';
    const { client } = fakeFetch({
      [`GET ${base}/releases/${id}/plan?environment=prod`]: {
        status: 409,
        body: {
          error: { name: 'ConflictError', message },
          request: { method: 'GET', url: `/releases/${id}/plan` },
          response: { statusCode: 409 },
        },
      },
    });
    const error = await client.getPlan(id, 'prod').catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(409);
    expect(error.cause.message).toBe(message);
  });

  it('posts deploy, the run controls, abort and an acknowledgement with their bodies', async () => {
    const runs = `${base}/releases/${id}/runs/run-1`;
    const { client, calls } = fakeFetch({
      [`POST ${base}/releases/${id}/deploy`]: { status: 200, body: run },
      [`POST ${runs}/pause`]: { status: 200, body: run },
      [`POST ${runs}/resume`]: { status: 200, body: run },
      [`POST ${runs}/retry`]: { status: 200, body: run },
      [`POST ${runs}/skip`]: { status: 200, body: run },
      [`POST ${base}/releases/${id}/abort`]: { status: 200, body: run },
      [`POST ${base}/releases/${id}/acknowledgements`]: {
        status: 200,
        body: { runs: [run] },
      },
    });
    expect(
      await client.deploy(id, {
        environment: 'prod',
        fingerprint,
        reason: 'hotfix for the checkout outage',
      }),
    ).toEqual(run);
    await client.controlRun(id, 'run-1', 'pause', {});
    await client.controlRun(id, 'run-1', 'resume', {
      reason: 'outside the window, agreed with ops',
    });
    await client.controlRun(id, 'run-1', 'retry', { step: 3 });
    await client.controlRun(id, 'run-1', 'skip', {
      step: 4,
      reason: 'the dashboard is down, checked by hand',
    });
    await client.abort(id, { reason: 'error rate doubled on green' });
    expect(
      await client.acknowledge(id, {
        subject: 'db-schema',
        comment: 'blue tolerates the new loyalty column',
      }),
    ).toEqual({ runs: [run] });
    expect(calls).toEqual([
      {
        method: 'POST',
        url: `${base}/releases/${id}/deploy`,
        body: {
          environment: 'prod',
          fingerprint,
          reason: 'hotfix for the checkout outage',
        },
      },
      { method: 'POST', url: `${runs}/pause`, body: {} },
      {
        method: 'POST',
        url: `${runs}/resume`,
        body: { reason: 'outside the window, agreed with ops' },
      },
      { method: 'POST', url: `${runs}/retry`, body: { step: 3 } },
      {
        method: 'POST',
        url: `${runs}/skip`,
        body: { step: 4, reason: 'the dashboard is down, checked by hand' },
      },
      {
        method: 'POST',
        url: `${base}/releases/${id}/abort`,
        body: { reason: 'error rate doubled on green' },
      },
      {
        method: 'POST',
        url: `${base}/releases/${id}/acknowledgements`,
        body: {
          subject: 'db-schema',
          comment: 'blue tolerates the new loyalty column',
        },
      },
    ]);
  });

  it('sends the plan fingerprint with an approval', async () => {
    const { client, calls } = fakeFetch({
      [`POST ${base}/releases/${id}/approvals`]: {
        status: 200,
        body: { id, state: 'approved' },
      },
    });
    await client.decide(id, {
      decision: 'approve',
      stage: 'approval',
      fingerprint,
    });
    expect(calls[0].body).toEqual({
      decision: 'approve',
      stage: 'approval',
      fingerprint,
    });
  });

  it('reads, raises and lifts stop-the-line, and throws a 403 with its message', async () => {
    const halt = {
      by: 'user:default/lee.lead',
      reason: 'payment provider incident',
      at: '2026-11-25T03:00:00.000Z',
    };
    const { client, calls } = fakeFetch({
      [`GET ${base}/stop-the-line`]: { status: 200, body: {} },
      [`POST ${base}/stop-the-line`]: { status: 200, body: { halt } },
      [`POST ${base}/stop-the-line/lift`]: {
        status: 403,
        body: {
          error: {
            name: 'NotAllowedError',
            message: 'release.stop-the-line: only leads may lift it',
          },
          request: { method: 'POST', url: '/stop-the-line/lift' },
          response: { statusCode: 403 },
        },
      },
    });
    expect(await client.getStopTheLine()).toEqual({});
    expect(
      await client.stopTheLine({ reason: 'payment provider incident' }),
    ).toEqual({ halt });
    const error = await client
      .liftStopTheLine({ reason: 'the provider is back' })
      .catch(e => e);
    expect(error.statusCode).toBe(403);
    expect(error.cause.message).toBe(
      'release.stop-the-line: only leads may lift it',
    );
    expect(calls.map(c => [c.method, c.url, c.body])).toEqual([
      ['GET', `${base}/stop-the-line`, undefined],
      [
        'POST',
        `${base}/stop-the-line`,
        { reason: 'payment provider incident' },
      ],
      [
        'POST',
        `${base}/stop-the-line/lift`,
        { reason: 'the provider is back' },
      ],
    ]);
  });

  it('keeps a run id from escaping its path segment', async () => {
    const { client, calls } = fakeFetch({
      [`POST ${base}/releases/${id}/runs/..%2F..%2Fabort/pause`]: {
        status: 200,
        body: run,
      },
    });
    await client.controlRun(id, '../../abort', 'pause', {});
    expect(calls[0].url).toBe(
      `${base}/releases/${id}/runs/..%2F..%2Fabort/pause`,
    );
  });
});

describe('ReleaseClient (the Prepare form’s Asana picker)', () => {
  it('asks for the open tasks, a search with completed ones, and throws the backend’s 503 naming Asana', async () => {
    const list = { tasks: [], truncated: false };
    const { client, calls } = fakeFetch({
      [`GET ${base}/asana/tasks`]: { status: 200, body: list },
      [`GET ${base}/asana/tasks?q=%5BCMS%5D+KS&completed=true`]: {
        status: 503,
        body: {
          error: {
            name: 'ServiceUnavailableError',
            message:
              'Asana (https://app.asana.com/api/1.0/projects/1200000000000010/tasks): list tasks failed (HTTP 500): Server Error after 4 tries',
          },
          request: { method: 'GET', url: '/asana/tasks' },
          response: { statusCode: 503 },
        },
      },
    });
    await expect(client.listAsanaTasks()).resolves.toEqual(list);
    const error = await client
      .listAsanaTasks({ q: '[CMS] KS', completed: true })
      .catch(e => e);
    expect(error.statusCode).toBe(503);
    expect(error.cause.message).toBe(
      'Asana (https://app.asana.com/api/1.0/projects/1200000000000010/tasks): list tasks failed (HTTP 500): Server Error after 4 tries',
    );
    expect(calls.map(c => c.url)).toEqual([
      `${base}/asana/tasks`,
      `${base}/asana/tasks?q=%5BCMS%5D+KS&completed=true`,
    ]);
  });
});
