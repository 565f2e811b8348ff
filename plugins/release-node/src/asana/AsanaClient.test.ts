import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { closedPort, startSandbox, type RunningSandbox } from 'sandbox';
import {
  asanaSandboxDefaults,
  asanaSeedTasks,
  createAsanaService,
} from 'sandbox';
import { inspect } from 'node:util';
import { SystemError } from '../http/SystemError';
import { captureLogger, recordingClock } from '../__testUtils__/clients';
import { AsanaClient, type AsanaClientOptions } from './AsanaClient';
import { asanaDocs, createAsanaHandlers } from './__testUtils__/asanaHandlers';

interface AsanaTarget {
  options: Omit<AsanaClientOptions, 'clock'>;
  start(): Promise<void>;
  stop(): Promise<void>;
  rateLimitNext(method: string, path: string, retryAfterSeconds: number): void;
  sandbox?: () => RunningSandbox;
  /** The project's work items the target starts with, in the project's order. */
  workItems: Array<{ name: string; completed: boolean }>;
}

function mswTarget(): AsanaTarget {
  const baseUrl = 'https://app.asana.test/api/1.0';
  const token = '2/1204/msw-documented-token';
  const server = setupServer(...createAsanaHandlers({ baseUrl, token }));
  return {
    options: {
      token,
      baseUrl,
      projectGid: asanaDocs.projectGid,
      sectionGid: asanaDocs.sectionGid,
      fields: asanaDocs.fields,
    },
    start: async () => server.listen({ onUnhandledRequest: 'error' }),
    stop: async () => server.close(),
    workItems: [
      { name: 'Buy catnip', completed: false },
      { name: 'Bake the cake', completed: false },
      { name: 'Buy a cat bed', completed: true },
      { name: 'Catnip, again', completed: false },
    ],
    rateLimitNext(method, path, retryAfterSeconds) {
      const handlers = { GET: http.get, PUT: http.put, POST: http.post };
      server.use(
        handlers[method as keyof typeof handlers](
          `${baseUrl}${path}`,
          () =>
            HttpResponse.json(
              {
                errors: [
                  { message: 'You have made too many requests recently.' },
                ],
              },
              {
                status: 429,
                headers: { 'retry-after': String(retryAfterSeconds) },
              },
            ),
          { once: true },
        ),
      );
    },
  };
}

function sandboxTarget(): AsanaTarget {
  let sandbox: RunningSandbox;
  const d = asanaSandboxDefaults;
  const target: AsanaTarget = {
    options: {
      token: d.token,
      baseUrl: '',
      projectGid: d.projectGid,
      sectionGid: d.sectionGid,
      fields: d.fields,
    },
    async start() {
      sandbox = await startSandbox({
        timeScale: 0,
        services: [createAsanaService({ tasks: asanaSeedTasks })],
      });
      target.options.baseUrl = `${sandbox.url}/asana/api/1.0`;
    },
    stop: () => sandbox.close(),
    rateLimitNext(method, path, retryAfterSeconds) {
      sandbox.context.faults.add({
        path: `/asana/api/1.0${path}`,
        method,
        count: 1,
        status: 429,
        headers: { 'retry-after': String(retryAfterSeconds) },
        body: {
          errors: [{ message: 'You have made too many requests recently.' }],
        },
      });
    },
    sandbox: () => sandbox,
    workItems: asanaSeedTasks.map(t => ({
      name: t.name,
      completed: t.completed ?? false,
    })),
  };
  return target;
}

describe.each([
  ['msw handlers from the documented responses', mswTarget],
  ['the sandbox', sandboxTarget],
])('AsanaClient against %s', (_name, makeTarget) => {
  const target = makeTarget();
  beforeAll(() => target.start());
  afterAll(() => target.stop());

  const client = (options: Partial<AsanaClientOptions> = {}) =>
    new AsanaClient({
      ...target.options,
      clock: recordingClock().clock,
      ...options,
    });

  it('checks the project, the section and the three release fields', async () => {
    const result = await client().check();
    expect(result.checks.map(c => [c.name, c.ok])).toEqual([
      ['project', true],
      ['section', true],
      ['field grade', true],
      ['field buildNumber', true],
      ['field dbUpdate', true],
    ]);
    expect(result).toEqual(
      expect.objectContaining({ system: 'Asana', ok: true }),
    );
  });

  it('names a field that is not on the project', async () => {
    const result = await client({
      fields: { ...target.options.fields, buildNumber: '999999' },
    }).check();
    expect(result.ok).toBe(false);
    expect(result.checks.find(c => c.name === 'field buildNumber')).toEqual({
      name: 'field buildNumber',
      ok: false,
      detail: 'custom field 999999 is not on the project',
    });
  });

  it('creates the release task with grade, build number and DB update, then changes, comments and completes it', async () => {
    const asana = client();
    const task = await asana.createReleaseTask({
      name: '2026.11.25 hybris, kop-cms',
      notes: '[kop] 배포합니다.',
      grade: 'B',
      buildNumber: 'deploy-2026-11-25-3',
      dbUpdate: false,
    });
    expect(task).toEqual({
      gid: expect.stringMatching(/^\d+$/),
      name: '2026.11.25 hybris, kop-cms',
      completed: false,
      permalinkUrl: expect.stringContaining(task.gid),
      grade: 'B',
      buildNumber: 'deploy-2026-11-25-3',
      dbUpdate: false,
    });

    const changed = await asana.updateReleaseFields(task.gid, {
      grade: 'D',
      dbUpdate: true,
    });
    expect(changed).toEqual({ ...task, grade: 'D', dbUpdate: true });

    await expect(
      asana.addComment(task.gid, 'Approved by lee.seoyeon (team lead)'),
    ).resolves.toEqual({ gid: expect.stringMatching(/^\d+$/) });

    await expect(asana.completeTask(task.gid)).resolves.toEqual({
      ...changed,
      completed: true,
    });
    await expect(asana.getTask(task.gid)).resolves.toEqual({
      ...changed,
      completed: true,
    });
  });

  if (makeTarget === sandboxTarget) {
    it('shows the release tasks with their fields on the sandbox page', async () => {
      const asana = client();
      const task = await asana.createReleaseTask({
        name: '2026.11.26 web',
        grade: 'E',
        buildNumber: 'a7ed4db1',
        dbUpdate: true,
      });
      await asana.addComment(task.gid, 'Deployed before approval (grade E)');
      const rows = await target.sandbox!().services[0].describe!();
      expect(rows).toContainEqual({
        task: task.gid,
        name: '2026.11.26 web',
        grade: 'E(특수)',
        build: 'a7ed4db1',
        'db update': 'Y',
        comments: 1,
        completed: '',
      });
    });
  }

  describe('the release project’s tasks', () => {
    const names = (filter: (t: { completed: boolean }) => boolean) =>
      target.workItems.filter(filter).map(t => t.name);

    it('lists the open work items page by page, without the release tasks themselves', async () => {
      const asana = client();
      await asana.createReleaseTask({ name: '2026.11.27 cms' });
      const list = await asana.listProjectTasks({ pageSize: 2 });
      expect(list.tasks.map(t => t.name)).toEqual(names(t => !t.completed));
      expect(list.truncated).toBe(false);
      expect(list.tasks[0]).toEqual({
        gid: expect.stringMatching(/^\d+$/),
        name: target.workItems[0].name,
        completed: false,
        permalinkUrl: expect.stringMatching(
          /^https:\/\/app\.asana\.com\/0\/\d+\/\d+$/,
        ),
        assignee: { gid: expect.any(String), name: expect.any(String) },
        section: { gid: expect.any(String), name: expect.any(String) },
      });
    });

    it('lists completed tasks too when asked', async () => {
      const list = await client().listProjectTasks({
        includeCompleted: true,
        pageSize: 3,
      });
      expect(list.tasks.map(t => [t.name, t.completed])).toEqual(
        target.workItems.map(t => [t.name, t.completed]),
      );
    });

    it('keeps the tasks whose name holds the query, in any case', async () => {
      const word = target.workItems[3].name.split(' ')[0].toLowerCase();
      const list = await client().listProjectTasks({
        query: ` ${word.toUpperCase()} `,
        pageSize: 1,
      });
      expect(list.tasks.map(t => t.name)).toEqual(
        target.workItems
          .filter(t => !t.completed && t.name.toLowerCase().includes(word))
          .map(t => t.name),
      );
      expect(list.tasks.length).toBeGreaterThan(0);
    });

    it('stops at the limit and says more matched', async () => {
      const list = await client().listProjectTasks({ limit: 2, pageSize: 1 });
      expect(list).toEqual({
        tasks: [
          expect.objectContaining({ name: names(t => !t.completed)[0] }),
          expect.objectContaining({ name: names(t => !t.completed)[1] }),
        ],
        truncated: true,
      });
    });

    it('waits Retry-After when Asana rate limits the listing, then lists', async () => {
      const { clock, sleeps } = recordingClock();
      target.rateLimitNext(
        'GET',
        `/projects/${target.options.projectGid}/tasks`,
        3,
      );
      const list = await client({ clock }).listProjectTasks();
      expect(list.tasks.map(t => t.name)).toEqual(names(t => !t.completed));
      expect(sleeps).toEqual([3000]);
    });

    it('names Asana, the action and the answer when the project is not there', async () => {
      await expect(
        client({ projectGid: '404404' }).listProjectTasks(),
      ).rejects.toThrow(
        `Asana (${target.options.baseUrl}/projects/404404/tasks): list tasks failed (HTTP 404): project: Not Found after 1 try`,
      );
    });
  });

  it('refuses a grade the field has no option for, before creating anything', async () => {
    const error = await client()
      .createReleaseTask({ name: 'x', grade: 'F' })
      .catch(e => e);
    expect(error).toBeInstanceOf(SystemError);
    expect(error.message).toMatch(
      /^Asana: create task failed: the field .+ has no option for grade F$/,
    );
  });

  it('says which task was not found', async () => {
    await expect(client().getTask('404404')).rejects.toThrow(
      `Asana (${target.options.baseUrl}/tasks/404404): read task failed (HTTP 404): task: Not Found after 1 try`,
    );
  });

  it('reports a refused token in check()', async () => {
    const result = await client({ token: 'not-the-token' }).check();
    expect(result).toEqual({
      system: 'Asana',
      ok: false,
      checks: [
        {
          name: 'project',
          ok: false,
          detail: `Asana (${target.options.baseUrl}/projects/${target.options.projectGid}): read project failed (HTTP 401): Not Authorized after 1 try`,
        },
      ],
    });
  });

  it('waits at least Retry-After after a 429, then goes on (RELIABILITY 14)', async () => {
    const { clock, sleeps } = recordingClock();
    const asana = client({ clock });
    const task = await asana.createReleaseTask({
      name: 'rate limited',
      grade: 'A',
    });
    target.rateLimitNext('POST', `/tasks/${task.gid}/stories`, 7);
    await expect(asana.addComment(task.gid, 'after the wait')).resolves.toEqual(
      {
        gid: expect.any(String),
      },
    );
    expect(sleeps).toEqual([7000]);
  });
});

describe('AsanaClient under rate limiting (RELIABILITY 14, fake timers)', () => {
  const baseUrl = 'https://app.asana.test/api/1.0';
  const token = 'asana-fake-timer-token';
  const server = setupServer(...createAsanaHandlers({ baseUrl, token }));
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());
  afterEach(() => {
    server.resetHandlers();
    jest.useRealTimers();
  });

  it('makes the next call wait at least 7 s after a 429 with Retry-After: 7', async () => {
    const asana = new AsanaClient({
      token,
      baseUrl,
      projectGid: asanaDocs.projectGid,
      fields: asanaDocs.fields,
      retry: { attempts: 1, baseDelayMs: 100, maxDelayMs: 60_000 },
    });
    const task = await asana.createReleaseTask({ name: 'x', buildNumber: '1' });
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
    });
    const hits: number[] = [];
    server.use(
      http.put(`${baseUrl}/tasks/:gid`, () => {
        hits.push(Date.now());
        return hits.length === 1
          ? HttpResponse.json(
              {
                errors: [
                  { message: 'You have made too many requests recently.' },
                ],
              },
              { status: 429, headers: { 'retry-after': '7' } },
            )
          : undefined;
      }),
    );
    await expect(
      asana.updateReleaseFields(task.gid, { buildNumber: '2' }),
    ).rejects.toThrow(
      `Asana (${baseUrl}/tasks/${task.gid}): update task failed (HTTP 429): rate limited (Retry-After 7 s) after 1 try`,
    );
    let done = false;
    const next = asana.completeTask(task.gid).then(t => {
      done = true;
      return t;
    });
    await jest.advanceTimersByTimeAsync(6_999);
    expect([hits.length, done]).toEqual([1, false]);
    await jest.advanceTimersByTimeAsync(1);
    await expect(next).resolves.toEqual(
      expect.objectContaining({ completed: true }),
    );
    expect(hits[1] - hits[0]).toBeGreaterThanOrEqual(7_000);
  });

  it('retries within one call after the wait, and is bounded', async () => {
    const asana = new AsanaClient({
      token,
      baseUrl,
      projectGid: asanaDocs.projectGid,
      fields: asanaDocs.fields,
      retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 60_000 },
    });
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
    });
    const hits: number[] = [];
    server.use(
      http.get(`${baseUrl}/tasks/:gid`, () => {
        hits.push(Date.now());
        return HttpResponse.json(
          {
            errors: [{ message: 'You have made too many requests recently.' }],
          },
          { status: 429, headers: { 'retry-after': '7' } },
        );
      }),
    );
    const read = asana.getTask('12346').catch(e => e);
    await jest.advanceTimersByTimeAsync(14_000);
    const error = await read;
    expect(error.message).toBe(
      `Asana (${baseUrl}/tasks/12346): read task failed (HTTP 429): rate limited (Retry-After 7 s) after 3 tries`,
    );
    expect(error.retryable).toBe(true);
    expect(hits.map(h => h - hits[0])).toEqual([0, 7_000, 14_000]);
  });
});

describe('AsanaClient secrets (RELIABILITY 8)', () => {
  const baseUrl = 'https://app.asana.test/api/1.0';
  const token = '2/1200000000000100/9876543210:known-secret-value';
  const server = setupServer(
    http.get(`${baseUrl}/projects/:gid`, () =>
      HttpResponse.json(
        { errors: [{ message: 'Server Error' }] },
        { status: 500 },
      ),
    ),
    http.get(`${baseUrl}/projects/:gid/custom_field_settings`, () =>
      HttpResponse.error(),
    ),
    http.post(`${baseUrl}/tasks`, () =>
      HttpResponse.json(
        { errors: [{ message: 'Not Authorized' }] },
        { status: 401 },
      ),
    ),
    http.post(`${baseUrl}/tasks/:gid/stories`, () =>
      HttpResponse.json({}, { status: 429, headers: { 'retry-after': '1' } }),
    ),
  );
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());

  it('appears in no error and no log line, whatever fails', async () => {
    const { logger, lines } = captureLogger();
    const asana = new AsanaClient({
      token,
      baseUrl,
      projectGid: '1',
      fields: { grade: '3', buildNumber: '2' },
      logger,
      clock: recordingClock().clock,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 10_000 },
    });
    const errors = await Promise.all([
      asana.createReleaseTask({ name: 'x', buildNumber: '1' }).catch(e => e),
      asana.addComment('7', 'x').catch(e => e),
      asana.updateReleaseFields('7', { grade: 'B' }).catch(e => e),
    ]);
    const check = await asana.check();
    expect(errors.map(e => e.message)).toEqual([
      `Asana (${baseUrl}/tasks): create task failed (HTTP 401): Not Authorized after 1 try`,
      `Asana (${baseUrl}/tasks/7/stories): add comment failed (HTTP 429): rate limited (Retry-After 1 s) after 2 tries`,
      `Asana (${baseUrl}/projects/1/custom_field_settings): read custom fields failed: Network error after 2 tries`,
    ]);
    expect(check.checks[0].detail).toBe(
      `Asana (${baseUrl}/projects/1): read project failed (HTTP 500): Server Error after 2 tries`,
    );
    const everything = [
      ...errors.map(e => inspect(e, { depth: 20, showHidden: true })),
      JSON.stringify(check),
      ...lines,
    ].join('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(everything).not.toContain('known-secret-value');
  });
});

describe('AsanaClient errors', () => {
  it('shows the URL a call failed at without user or password', async () => {
    const port = await closedPort();
    const asana = new AsanaClient({
      token: 'asana-url-token',
      baseUrl: `http://kop:pw-known-secret@127.0.0.1:${port}/api/1.0`,
      projectGid: '1',
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 10 },
    });
    const error = await asana.getTask('7').catch(e => e);
    expect(error.message).toBe(
      `Asana (http://127.0.0.1:${port}/api/1.0/tasks/7): read task failed: connect ECONNREFUSED 127.0.0.1:${port} after 1 try`,
    );
    expect(inspect(error, { depth: 20, showHidden: true })).not.toContain(
      'pw-known-secret',
    );
  });
});
