import { mockServices } from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import type { ReleaseMessage } from '@internal/plugin-release-common';
import { RELEASE_MESSAGES_TASK_ID } from '@internal/plugin-release-backend';
import { rmSync } from 'node:fs';
import {
  defaultSandboxServices,
  seedFacts,
  slackSandboxDefaults,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import {
  portalApi,
  portalConfig,
  startPortalBackend,
} from './__testUtils__/portal';

jest.setTimeout(180_000);

/** A hybris developer (catalog/org.yaml), who fills in the emergency form. */
const KIM = 'user:default/kim.minjun';
const FOOTER = '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복';

describe('the Emergency form while Slack is down: the form finishes, its post waits and goes out once', () => {
  let sandbox: RunningSandbox;
  let baseUrl: string;
  // The scheduler the test drives: the outbox's catch-up runs when the test says.
  const driven = mockServices.scheduler();

  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 0,
      services: defaultSandboxServices(),
    });
    const config = portalConfig(sandbox.url);
    ({ baseUrl } = await startPortalBackend(
      {
        ...config,
        // A failed post may be tried again at the next catch-up, not 30 s later.
        release: { ...config.release, messages: { retryMs: 1, maxRetryMs: 1 } },
      },
      [
        createServiceFactory({
          service: coreServices.scheduler,
          deps: {},
          factory: () => driven,
        }),
      ],
    ));
  });
  afterAll(async () => {
    await sandbox?.close();
    if (sandbox)
      rmSync(sandbox.context.dataDir, { recursive: true, force: true });
  });

  const api: ReturnType<typeof portalApi> = (path, init) =>
    portalApi(baseUrl, KIM)(path, init);

  const incidentTexts = async () => {
    const res = await fetch(`${sandbox.url}/slack/api/conversations.history`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: slackSandboxDefaults.botToken,
        channel: '#kop-incident',
      }),
    });
    const body = (await res.json()) as { messages: Array<{ text: string }> };
    return body.messages.map(m => m.text);
  };

  /** Reads the release's messages until `done` holds for them (the outbox sends in the background). */
  async function messagesUntil(
    id: string,
    done: (messages: ReleaseMessage[]) => boolean,
  ): Promise<ReleaseMessage[]> {
    let messages: ReleaseMessage[] = [];
    for (let i = 0; i < 600; i++) {
      messages = (await api(`/release/releases/${id}/messages`)).body.items;
      if (done(messages)) break;
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    return messages;
  }

  it('runs the form to its end, keeps the share through the outage, makes the Asana task, and posts once when Slack is back', async () => {
    const fault = await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        path: '/slack/api/chat.postMessage',
        count: 100_000,
        status: 503,
      }),
    });
    expect(fault.status).toBe(201);

    const started = await api('/scaffolder/v2/tasks', {
      method: 'POST',
      body: {
        templateRef: 'template:default/kop-emergency-fix',
        values: {
          release: {
            environment: 'prod',
            apps: [{ app: 'hybris', version: seedFacts.hybris.candidate }],
          },
          changes: {
            items: [
              {
                title: FOOTER,
                app: 'hybris',
                source: { type: 'mr', project: 'kop/hybris', iid: 4 },
              },
            ],
            changeClasses: [],
            mixedIn: 0,
            notNewer: [],
            dbUpdate: false,
          },
          grade: { grade: 'E' },
          dbUpdate: false,
          steps: '3,6,9',
        },
      },
    });
    expect(started.status).toBe(201);
    let status = 'open';
    for (let i = 0; i < 600 && !['completed', 'failed'].includes(status); i++) {
      await new Promise(done => setTimeout(done, 100));
      status = (await api(`/scaffolder/v2/tasks/${started.body.id}`)).body
        .status;
    }
    // Slack being down does not hold the form.
    expect(status).toBe('completed');
    const events = (await api(`/scaffolder/v2/tasks/${started.body.id}/events`))
      .body as Array<{
      type: string;
      body: { output?: { links?: Array<{ title: string; url?: string }> } };
    }>;
    const links = events.find(e => e.type === 'completion')?.body.output?.links;
    // The release page is where the Asana task's link shows once it is made.
    expect(links?.map(l => l.title)).toEqual(['배포 페이지 (Release page)']);
    const id = /^\/releases\/([0-9a-f-]{36})$/.exec(links![0].url!)![1];

    const isShare = (m: ReleaseMessage) =>
      m.destination === '#kop-incident' && m.summary === '[kop] 배포합니다.';
    const waiting = await messagesUntil(id, ms =>
      ms.some(m => isShare(m) && m.lastError !== undefined),
    );
    expect(waiting.filter(isShare)).toEqual([
      expect.objectContaining({
        kind: 'slack.post',
        audience: 'service-owners',
        state: 'retrying',
        lastError: expect.stringMatching(/503/),
      }),
    ]);
    expect(
      (await incidentTexts()).filter(t => t.startsWith('[kop] 배포합니다.')),
    ).toEqual([]);

    // Asana is up: the task is made and linked on the release meanwhile.
    const task = await messagesUntil(id, ms =>
      ms.some(m => m.kind === 'asana.create-task' && m.state === 'sent'),
    );
    expect(task.filter(m => m.kind === 'asana.create-task')).toEqual([
      expect.objectContaining({ state: 'sent', attempts: 1 }),
    ]);
    const release = await api(`/release/releases/${id}`);
    expect(release.body.links).toEqual([
      {
        title: 'Asana',
        url: expect.stringMatching(/^https:\/\/app\.asana\.com\//),
      },
    ]);

    // Slack is back; the scheduled catch-up sends what waited.
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
    await driven.triggerTask(RELEASE_MESSAGES_TASK_ID);
    const after = await messagesUntil(id, ms =>
      ms.some(m => isShare(m) && m.state === 'sent'),
    );
    expect(after.filter(isShare)).toEqual([
      expect.objectContaining({ state: 'sent' }),
    ]);
    const announcement = (await api(`/release/releases/${id}/notes`)).body
      .announcement as string;
    expect((await incidentTexts()).filter(t => t === announcement)).toEqual([
      announcement,
    ]);
  });
});
