import { InputError } from '@backstage/errors';
import { actionContext, outputsOf } from '../__testUtils__/context';
import {
  releaseApiServer,
  sampleRelease,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { createAsanaTaskAction } from './asanaTask';

describe("kop:asana:task: the release's task, queued in its outbox", () => {
  // Only the release API answers: a request to Asana (or anywhere else) fails the test.
  const releaseApi = releaseApiServer();
  const { requests } = releaseApi;
  const writes = () => requests.filter(r => !r.startsWith('GET '));
  const action = () => createAsanaTaskAction({ api: testReleaseApi() });

  it('reads the release in a dry run, names the task, and queues nothing', async () => {
    const ctx = actionContext(
      { releaseId: sampleRelease.id },
      { dryRun: true },
    );
    await action().handler(ctx);
    expect(writes()).toEqual([]);
    expect(outputsOf(ctx)).toEqual({ name: sampleRelease.title });
    expect(ctx.logger.info).toHaveBeenCalledWith(
      `Dry run: would create the Asana task "${sampleRelease.title}"`,
    );
  });

  it('passes a template dry run whose release step registered nothing', async () => {
    const ctx = actionContext({ releaseId: '' }, { dryRun: true });
    await action().handler(ctx);
    expect(requests).toEqual([]);
    expect(outputsOf(ctx)).toEqual({});
  });

  it('queues the task once per task step, with the build number; the release gives the rest', async () => {
    const input = { releaseId: sampleRelease.id, buildNumber: '1235' };
    const ctx = actionContext(input, { taskId: 'task-9', stepId: 'asana' });
    await action().handler(ctx);
    expect(outputsOf(ctx)).toEqual({
      name: sampleRelease.title,
      messageId: 'message-1',
    });
    // A retried task: the same key, the same message, no second task.
    const again = actionContext(input, { taskId: 'task-9', stepId: 'asana' });
    await action().handler(again);
    expect(outputsOf(again).messageId).toBe('message-1');
    expect(releaseApi.messageRequests).toEqual([
      { kind: 'asana.create-task', key: 'task-9/asana', buildNumber: '1235' },
      { kind: 'asana.create-task', key: 'task-9/asana', buildNumber: '1235' },
    ]);
    expect(releaseApi.queued.size).toBe(1);
  });

  it('passes the inputs that win over the release', async () => {
    const ctx = actionContext({
      releaseId: sampleRelease.id,
      name: '2026.01.08 hybris, cms',
      notes: '배포내역',
      grade: 'C' as const,
      dbUpdate: true,
    });
    await action().handler(ctx);
    expect(outputsOf(ctx).name).toBe('2026.01.08 hybris, cms');
    expect(releaseApi.messageRequests).toEqual([
      {
        kind: 'asana.create-task',
        key: 'task-0001/step',
        name: '2026.01.08 hybris, cms',
        notes: '배포내역',
        grade: 'C',
        dbUpdate: true,
      },
    ]);
    // The name was given: the release is not read.
    expect(requests.filter(r => r.startsWith('GET '))).toEqual([]);
  });

  it('refuses a real run with no release, naming releaseId', async () => {
    await expect(
      action().handler(actionContext({ releaseId: '', name: 'x' })),
    ).rejects.toThrow(
      new InputError(
        "releaseId: the task is made through its release's outbox; give the release (e.g. steps.create.output.id)",
      ),
    );
    expect(requests).toEqual([]);
  });

  it('refuses a release id that is not one, before any request', async () => {
    await expect(
      action().handler(actionContext({ releaseId: '../../admin' })),
    ).rejects.toThrow(
      "releaseId must be a release id (a UUID), got '../../admin'",
    );
    expect(requests).toEqual([]);
  });
});
