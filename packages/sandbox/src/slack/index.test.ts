import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type RunningSandbox } from '../index';
import { createSlackService, slackSandboxDefaults } from './index';

const call = async (
  sandbox: RunningSandbox,
  method: string,
  params: Record<string, string> = {},
  token: string | null = slackSandboxDefaults.botToken,
) => {
  const res = await fetch(`${sandbox.url}/slack/api/${method}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.json() };
};

describe('Slack stand-in', () => {
  let sandbox: RunningSandbox;
  const dataDir = mkdtempSync(join(tmpdir(), 'kop-slack-'));
  beforeAll(async () => {
    sandbox = await startSandbox({ dataDir, services: [createSlackService()] });
  });
  afterAll(() => sandbox.close());

  it('answers like Slack when the token is missing or wrong', async () => {
    expect(await call(sandbox, 'auth.test', {}, null)).toEqual({
      status: 200,
      body: { ok: false, error: 'not_authed' },
    });
    expect(await call(sandbox, 'auth.test', {}, 'xoxb-wrong')).toEqual({
      status: 200,
      body: { ok: false, error: 'invalid_auth' },
    });
    expect((await call(sandbox, 'no.such.method')).status).toBe(404);
  });

  it('lists its channels on the page before anything is posted', async () => {
    const rows = await sandbox.services[0].describe!();
    expect(rows).toContainEqual({
      channel: '#general',
      id: expect.stringMatching(/^C/),
      bot: 'not a member',
      messages: 0,
    });
  });

  it('refuses to post where the bot is not a member, and pages channel members', async () => {
    expect(
      (
        await call(sandbox, 'chat.postMessage', {
          channel: '#general',
          text: 'x',
        })
      ).body,
    ).toEqual({ ok: false, error: 'not_in_channel' });
    const { body: info } = await call(sandbox, 'conversations.list', {
      types: 'public_channel',
    });
    const release = info.channels.find(
      (c: { name: string }) => c.name === 'kop-release',
    );
    const first = await call(sandbox, 'conversations.members', {
      channel: release.id,
      limit: '5',
    });
    expect(first.body.members).toHaveLength(5);
    expect(first.body.members[0]).toBe(slackSandboxDefaults.botUserId);
    const second = await call(sandbox, 'conversations.members', {
      channel: release.id,
      limit: '5',
      cursor: first.body.response_metadata.next_cursor,
    });
    expect(second.body.members).toHaveLength(5);
    expect(second.body.members).not.toContain(first.body.members[0]);
  });

  it('keeps what it received across a restart on the same data folder', async () => {
    const { body } = await call(sandbox, 'chat.postMessage', {
      channel: '#kop-release',
      text: 'kept',
    });
    expect(body.ok).toBe(true);
    const again = await startSandbox({
      dataDir,
      services: [createSlackService()],
    });
    try {
      const history = await call(again, 'conversations.history', {
        channel: body.channel,
      });
      expect(history.body.messages[0]).toEqual(
        expect.objectContaining({ ts: body.ts, text: 'kept' }),
      );
    } finally {
      await again.close();
    }
  });
});
