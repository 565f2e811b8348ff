import { InputError } from '@backstage/errors';
import { createAsanaService } from 'sandbox';
import {
  actionContext,
  CheckpointStore,
  outputsOf,
} from '../__testUtils__/context';
import { strictServerWithSandbox } from '../__testUtils__/msw';
import {
  releaseApiHandlers,
  sampleNotes,
  sampleRelease,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createAsanaTaskAction } from './asanaTask';

const notes =
  '배포버전: hybris(deploy-2026-01-08)\n배포등급: B(낮음)\nDB 업데이트 여부: N';

describe('kop:asana:task against the sandbox Asana', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  let msw: ReturnType<typeof strictServerWithSandbox>;
  let releaseApi: ReturnType<typeof releaseApiHandlers>;
  const action = () =>
    createAsanaTaskAction({
      integrations: kop.integrations,
      api: testReleaseApi(),
      now: () => new Date('2026-01-07T16:00:00Z'),
    });
  const tasks = async () =>
    (await kop.sandbox.services.find(s => s.name === 'Asana')!.describe!()) ??
    [];
  const writes = () => msw.requests.filter(r => !r.startsWith('GET '));

  beforeAll(async () => {
    kop = await startKopSandbox({ services: [createAsanaService()] });
    releaseApi = releaseApiHandlers();
    msw = strictServerWithSandbox(kop.url, ...releaseApi.handlers);
    msw.server.listen({ onUnhandledRequest: 'error' });
  });
  beforeEach(() => {
    msw.requests.length = 0;
    releaseApi.links.length = 0;
  });
  afterAll(async () => {
    msw.server.close();
    await kop.stop();
  });

  it('names the task in a dry run and writes nothing', async () => {
    const ctx = actionContext(
      { apps: ['hybris' as const, 'cms' as const], notes, grade: 'B' as const },
      { dryRun: true },
    );
    await action().handler(ctx);
    expect(msw.requests).toEqual([]);
    expect(outputsOf(ctx)).toEqual({ name: '2026.01.08 hybris, cms' });
    expect(await tasks()).toEqual([]);
  });

  it('reads the release in a dry run, and writes nothing', async () => {
    const ctx = actionContext(
      { releaseId: sampleRelease.id },
      { dryRun: true },
    );
    await action().handler(ctx);
    expect(writes()).toEqual([]);
    expect(outputsOf(ctx)).toEqual({ name: sampleRelease.title });
  });

  it('passes a template dry run whose release step registered nothing', async () => {
    const ctx = actionContext({ releaseId: '' }, { dryRun: true });
    await action().handler(ctx);
    expect(msw.requests).toEqual([]);
    expect(outputsOf(ctx)).toEqual({});
  });

  it('creates the task once with its release fields', async () => {
    const checkpoints = new CheckpointStore();
    const input = {
      name: '2026.01.08 hybris, cms',
      notes,
      grade: 'B' as const,
      buildNumber: '1234',
      dbUpdate: false,
    };
    const ctx = actionContext(input, { checkpoints });
    await action().handler(ctx);
    const out = outputsOf(ctx);
    // No release named: nothing to link the task to.
    expect(msw.requests.filter(r => r.includes('/api/release/'))).toEqual([]);
    expect(out).toEqual({
      name: '2026.01.08 hybris, cms',
      gid: expect.stringMatching(/^\d+$/),
      taskUrl: expect.stringContaining(out.gid),
    });
    const task = await kop.integrations.asana.getTask(out.gid);
    expect(task).toMatchObject({
      grade: 'B',
      buildNumber: '1234',
      dbUpdate: false,
    });

    await action().handler(actionContext(input, { checkpoints }));
    expect(await tasks()).toEqual([
      expect.objectContaining({
        task: out.gid,
        grade: 'B(낮음)',
        build: '1234',
        'db update': 'N',
      }),
    ]);
  });

  it('makes the task of a registered release from its title, Asana notes, grade and DB update, and links it to the release once', async () => {
    const checkpoints = new CheckpointStore();
    const input = { releaseId: sampleRelease.id, buildNumber: '1235' };
    const ctx = actionContext(input, { checkpoints });
    await action().handler(ctx);
    const { gid, taskUrl } = outputsOf(ctx);
    expect(taskUrl).toContain(gid);
    expect(releaseApi.links).toEqual([{ title: 'Asana', url: taskUrl }]);
    expect(checkpoints.ran).toEqual(['asana-task', 'asana-task-link']);

    // A retried task finds both steps done: no second task, no second link request.
    await action().handler(actionContext(input, { checkpoints }));
    expect(writes().filter(r => r.startsWith('POST /api/release/'))).toEqual([
      `POST /api/release/releases/${sampleRelease.id}/links`,
    ]);
    expect(
      (await tasks()).filter((t: { task?: string }) => t.task === gid),
    ).toHaveLength(1);

    const task = await kop.integrations.asana.getTask(gid);
    expect(task).toMatchObject({
      name: sampleRelease.title,
      grade: 'B',
      dbUpdate: false,
      buildNumber: '1235',
    });
    const body = await fetch(
      `${kop.url}/asana/api/1.0/tasks/${gid}?opt_fields=notes`,
      {
        headers: { authorization: 'Bearer asana-sandbox-token' },
      },
    ).then(r => r.json());
    expect(body.data.notes).toBe(sampleNotes.asana);
  });

  it('refuses a task without a name, apps or release', async () => {
    await expect(action().handler(actionContext({ notes }))).rejects.toThrow(
      new InputError(
        'give the task a name, the apps to name it after, or releaseId',
      ),
    );
  });

  it('refuses a release id that is not one, before any request', async () => {
    await expect(
      action().handler(actionContext({ releaseId: '../../admin' })),
    ).rejects.toThrow(
      "releaseId must be a release id (a UUID), got '../../admin'",
    );
    expect(msw.requests).toEqual([]);
  });
});
