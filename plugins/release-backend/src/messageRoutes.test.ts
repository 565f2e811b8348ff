import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { ReleaseMessage } from '@internal/plugin-release-common';
import type { Knex } from 'knex';
import type { Server } from 'node:http';
import { asanaSandboxDefaults, seedFacts, slackSandboxDefaults } from 'sandbox';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from './__testUtils__/databases';
import { user } from './__testUtils__/org';
import {
  sandboxSystemsConfig,
  startTestSandbox,
} from './__testUtils__/sandboxConfig';
import { planFault } from './__testUtils__/sandboxFaults';
import { channelTexts } from './__testUtils__/slackHistory';

jest.setTimeout(180_000);

const api = '/api/release';
const as = (name: string) => mockCredentials.user.header(user(name));
const d = asanaSandboxDefaults;
const channels = {
  'release-room': '#kop-release-room',
  qa: '#kop-qa',
  team: '#kop-release',
  'core-service-pls': '#kop-release-core',
  'service-owners': '#kop-incident',
};

const databases = createTestDatabases();
const sandboxes: Array<Awaited<ReturnType<typeof startTestSandbox>>> = [];
afterAll(() => Promise.all(sandboxes.map(s => s.dispose())));

describe.each(databaseIds)(
  'POST /releases/:id/messages on %s: the forms’ Slack and Asana writes through the outbox',
  databaseId => {
    let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
    let knex: Knex;
    let server: Server;
    let config: object;

    beforeAll(async () => {
      sandbox = await startTestSandbox();
      sandboxes.push(sandbox);
      knex = await initMigrated(databases, databaseId);
      const systems = sandboxSystemsConfig(sandbox);
      config = {
        ...alwaysOpen,
        integrations: systems.integrations,
        jenkins: systems.jenkins,
        slack: {
          apiUrl: `${sandbox.url}/slack/api/`,
          botToken: slackSandboxDefaults.botToken,
        },
        asana: {
          baseUrl: `${sandbox.url}/asana/api/1.0`,
          token: d.token,
          projectGid: d.projectGid,
          sectionGid: d.sectionGid,
          fields: d.fields,
        },
        release: {
          ...alwaysOpen.release,
          notify: { slack: channels },
          // A failed send is tried again 50 ms later, so the test sees it without waiting 30 s.
          messages: { retryMs: 50, maxRetryMs: 50 },
        },
      };
      ({ server } = await startReleaseBackend({ knex, config }));
    });
    beforeEach(async () => {
      await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
    });

    const createRelease = async (title: string) =>
      (
        await request(server)
          .post(`${api}/releases`)
          .set('authorization', as('kim.minjun'))
          .send({
            title,
            grade: 'B',
            dbUpdate: false,
            apps: [{ app: 'hybris', version: seedFacts.hybris.candidate }],
            items: [
              {
                title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
                source: { type: 'asana', gid: '1209000000000042' },
              },
            ],
          })
          .expect(201)
      ).body.id as string;

    const queue = (id: string, body: object, who = 'kim.minjun', on = server) =>
      request(on)
        .post(`${api}/releases/${id}/messages`)
        .set('authorization', as(who))
        .send(body);

    const messagesOf = async (id: string): Promise<ReleaseMessage[]> =>
      (
        await request(server)
          .get(`${api}/releases/${id}/messages`)
          .set('authorization', as('kim.minjun'))
          .expect(200)
      ).body.items;

    /** The message once it stops waiting: the outbox sends in the background after a nudge. */
    /** The release's message that `pick` finds, once `ready` holds for it (or as it is after a minute). */
    async function messageOnce(
      id: string,
      pick: (m: ReleaseMessage) => boolean,
      ready: (m: ReleaseMessage) => boolean,
    ) {
      for (let i = 0; i < 600; i++) {
        const message = (await messagesOf(id)).find(pick);
        if (message && ready(message)) return message;
        await new Promise(done => setTimeout(done, 100));
      }
      return (await messagesOf(id)).find(pick);
    }

    /** Slack's chat.postMessage answers 503 for the next `count` calls. */
    const slackFailsFor = (count: number) =>
      planFault(sandbox.url, {
        path: '/slack/api/chat.postMessage',
        count,
        status: 503,
      });

    const delivered = (id: string, messageId: string) =>
      messageOnce(
        id,
        m => m.id === messageId,
        m => !['queued', 'retrying'].includes(m.state),
      );

    const auditOf = async (id: string) =>
      (
        await request(server)
          .get(`${api}/releases/${id}/audit`)
          .set('authorization', as('kim.minjun'))
      ).body.items as Array<{ action: string; actor: string; meta?: object }>;

    /** The open tasks of the sandbox's release project whose notes hold this text. */
    async function asanaTasksWith(text: string) {
      const res = await fetch(
        `${sandbox.url}/asana/api/1.0/projects/${d.projectGid}/tasks?opt_fields=name,notes,permalink_url&completed_since=now`,
        { headers: { authorization: `Bearer ${d.token}` } },
      );
      const body = (await res.json()) as {
        data: Array<{ gid: string; notes: string; permalink_url: string }>;
      };
      return body.data.filter(t => t.notes.includes(text));
    }

    it('queues a Slack post once per key, answers 202 with the message and sends it once', async () => {
      const id = await createRelease(`2026.01.08 hybris once ${databaseId}`);
      const text = `[kop] 배포합니다. (${id})`;
      const body = {
        kind: 'slack.post',
        channel: '#kop-incident',
        text,
        key: 'task-1/share',
      };
      const first = await queue(id, body);
      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({
        id: expect.any(String),
        releaseId: id,
        kind: 'slack.post',
        audience: 'service-owners',
        destination: '#kop-incident',
        summary: `[kop] 배포합니다. (${id})`,
        state: expect.stringMatching(/^(queued|sent)$/),
      });
      // The same step run again: the same message, nothing new queued.
      const again = await queue(id, body);
      expect(again.status).toBe(202);
      expect(again.body.id).toBe(first.body.id);

      const sent = await delivered(id, first.body.id);
      expect(sent).toMatchObject({ state: 'sent', attempts: 1 });
      expect(
        (await messagesOf(id)).filter(m => m.destination === '#kop-incident'),
      ).toHaveLength(1);
      expect(
        (await channelTexts(sandbox.url, '#kop-incident')).filter(
          t => t === text,
        ),
      ).toHaveLength(1);

      const audit = await auditOf(id);
      expect(audit.filter(r => r.action === 'release.message')).toEqual([
        expect.objectContaining({
          actor: user('kim.minjun'),
          meta: expect.objectContaining({
            kind: 'slack.post',
            key: 'task-1/share',
            audience: 'service-owners',
            destination: '#kop-incident',
          }),
        }),
      ]);
    });

    it('refuses a channel release.notify.slack does not name, and bad input, naming the field; nothing is queued', async () => {
      const id = await createRelease(`2026.01.08 hybris refused ${databaseId}`);
      const anywhere = await queue(id, {
        kind: 'slack.post',
        channel: '#general',
        text: 'hello',
        key: 'task-2/share',
      });
      expect(anywhere.status).toBe(400);
      expect(anywhere.body.error.message).toBe(
        "channel: '#general' is not a channel of release.notify.slack (#kop-release-room, #kop-qa, #kop-release, #kop-release-core, #kop-incident)",
      );
      const noKey = await queue(id, {
        kind: 'slack.post',
        channel: '#kop-qa',
        text: 'hello',
      });
      expect(noKey.status).toBe(400);
      expect(noKey.body.error.message).toBe('key: Required');
      const badKey = await queue(id, {
        kind: 'slack.post',
        channel: '#kop-qa',
        text: 'hello',
        key: '../x',
      });
      expect(badKey.body.error.message).toBe(
        'key: must be 1 to 200 letters, digits and . _ : / -',
      );
      const kind = await queue(id, { kind: 'email', text: 'x', key: 'k' });
      expect(kind.status).toBe(400);
      expect(kind.body.error.message).toMatch(/^kind: Invalid discriminator/);
      expect(
        (await messagesOf(id)).filter(m => ['hello', 'x'].includes(m.summary)),
      ).toEqual([]);
    });

    it('lets only the author (or an admin) with release.create queue messages', async () => {
      const id = await createRelease(`2026.01.08 hybris who ${databaseId}`);
      const body = {
        kind: 'slack.post',
        channel: '#kop-release',
        text: 'not mine',
        key: 'task-3/share',
      };
      const other = await queue(id, body, 'park.jihoon');
      expect(other.status).toBe(403);
      expect(other.body.error.message).toBe(
        'Only the author or a release admin may send messages about this release',
      );
      const { server: closed } = await startReleaseBackend({
        knex,
        config,
        permission: AuthorizeResult.DENY,
      });
      const denied = await queue(id, body, 'kim.minjun', closed);
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toBe(
        'You lack the release.create permission',
      );
      const anonymous = await request(server)
        .post(`${api}/releases/${id}/messages`)
        .set('authorization', mockCredentials.none.header())
        .send(body);
      expect(anonymous.status).toBe(401);
      expect(
        (await messagesOf(id)).filter(m => m.summary === 'not mine'),
      ).toEqual([]);
    });

    it('creates the release’s Asana task once through the outbox, links it on the release, and then comments only on that task', async () => {
      const id = await createRelease(`2026.01.08 hybris asana ${databaseId}`);
      const early = await queue(id, {
        kind: 'asana.comment',
        text: 'QA 완료',
        key: 'task-4/comment',
      });
      expect(early.status).toBe(409);
      expect(early.body.error.message).toMatch(
        new RegExp(`^taskGid: release ${id} has no Asana task yet`),
      );

      const create = { kind: 'asana.create-task', key: 'task-4/asana' };
      const queued = await queue(id, { ...create, buildNumber: '1234' });
      expect(queued.status).toBe(202);
      expect(queued.body).toMatchObject({
        kind: 'asana.create-task',
        audience: 'asana',
        destination: 'asana release project',
        summary: `create the task "2026.01.08 hybris asana ${databaseId}"`,
      });
      expect((await queue(id, create)).body.id).toBe(queued.body.id);
      expect(await delivered(id, queued.body.id)).toMatchObject({
        state: 'sent',
      });

      const [task, ...more] = await asanaTasksWith(`Release-Id: ${id}`);
      expect(more).toEqual([]);
      const release = (
        await request(server)
          .get(`${api}/releases/${id}`)
          .set('authorization', as('kim.minjun'))
      ).body;
      expect(release.links).toEqual([
        { title: 'Asana', url: task.permalink_url },
      ]);
      const audit = await auditOf(id);
      expect(audit.filter(r => r.action === 'release.link')).toEqual([
        expect.objectContaining({
          actor: 'plugin:release/messages',
          meta: expect.objectContaining({ onBehalfOf: user('kim.minjun') }),
        }),
      ]);
      // The task was made: asking again for another key is refused, not a second task.
      const twice = await queue(id, { ...create, key: 'task-5/asana' });
      expect(twice.status).toBe(409);
      expect(twice.body.error.message).toBe(
        `kind: release ${id} has its Asana task already (${task.permalink_url})`,
      );

      const wrong = await queue(id, {
        kind: 'asana.comment',
        text: 'QA 완료',
        taskGid: '999',
        key: 'task-4/comment',
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.message).toBe(
        `taskGid: 999 is not the Asana task of release ${id} (${task.gid})`,
      );
      const comment = await queue(id, {
        kind: 'asana.comment',
        text: 'QA 완료',
        key: 'task-4/comment',
      });
      expect(comment.status).toBe(202);
      expect(comment.body.destination).toBe(`asana task ${task.gid}`);
      expect(await delivered(id, comment.body.id)).toMatchObject({
        state: 'sent',
      });
    });

    it('finds the task a crashed earlier try made instead of making a second one', async () => {
      const id = await createRelease(`2026.01.08 hybris crash ${databaseId}`);
      // What a try that died between Asana's answer and the outbox's record left behind.
      const made = await fetch(`${sandbox.url}/asana/api/1.0/tasks`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${d.token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          data: {
            name: 'made before the crash',
            notes: `배포내역\n\nRelease-Id: ${id}`,
            projects: [d.projectGid],
          },
        }),
      }).then(r => r.json());
      const queued = await queue(id, {
        kind: 'asana.create-task',
        key: 'task-6/asana',
      });
      expect(await delivered(id, queued.body.id)).toMatchObject({
        state: 'sent',
      });
      expect(
        (await asanaTasksWith(`Release-Id: ${id}`)).map(t => t.gid),
      ).toEqual([made.data.gid]);
    });

    it('tries a kept post again at its time, with no later write to nudge it', async () => {
      const id = await createRelease(`2026.01.09 hybris retry ${databaseId}`);
      // The release's own notice goes first, so the one failure planned is this post's.
      const notice = await messageOnce(
        id,
        m => m.audience === 'team',
        m => m.state === 'sent',
      );
      expect(notice).toMatchObject({ state: 'sent' });
      await slackFailsFor(1);
      const text = `[kop] retried on time (${id})`;
      const queued = await queue(id, {
        kind: 'slack.post',
        channel: '#kop-qa',
        text,
        key: 'task-9/share',
      });
      expect(await delivered(id, queued.body.id)).toMatchObject({
        state: 'sent',
        attempts: 2,
        lastError: expect.stringMatching(/503/),
      });
      expect(
        (await channelTexts(sandbox.url, '#kop-qa')).filter(t => t === text),
      ).toEqual([text]);
    });

    it('keeps a post through a Slack outage and sends it once when Slack is back', async () => {
      const id = await createRelease(`2026.01.08 hybris outage ${databaseId}`);
      await slackFailsFor(100_000);
      const text = `[kop] outage (${id})`;
      const queued = await queue(id, {
        kind: 'slack.post',
        channel: '#kop-qa',
        text,
        key: 'task-7/share',
      });
      expect(queued.status).toBe(202);
      const waiting = await messageOnce(
        id,
        m => m.id === queued.body.id,
        m => Boolean(m.lastError),
      );
      expect(waiting).toMatchObject({
        state: 'retrying',
        lastError: expect.stringMatching(/503/),
      });

      await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
      // Any later write nudges the outbox; the scheduled catch-up would too.
      const next = await queue(id, {
        kind: 'slack.post',
        channel: '#kop-qa',
        text: `${text} again`,
        key: 'task-8/share',
      });
      expect(await delivered(id, queued.body.id)).toMatchObject({
        state: 'sent',
      });
      expect(await delivered(id, next.body.id)).toMatchObject({
        state: 'sent',
      });
      expect(
        (await channelTexts(sandbox.url, '#kop-qa')).filter(t =>
          t.startsWith(text),
        ),
      ).toEqual([text, `${text} again`]);
    });
  },
);
