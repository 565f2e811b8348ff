import { WebClient } from '@slack/web-api';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { startSandbox, type RunningSandbox } from 'sandbox';
import { createSlackService, slackSandboxDefaults } from 'sandbox';
import { inspect } from 'node:util';
import { SystemError } from '../http/SystemError';
import { SlackClient, type SlackClientOptions } from './SlackClient';
import { createSlackHandlers } from './__testUtils__/slackHandlers';
import {
  createSlackContractValidator,
  createValidatingFetch,
} from './__testUtils__/contracts/slack';
import { captureLogger, recordingClock } from '../__testUtils__/clients';

interface SlackTarget {
  apiUrl: string;
  token: string;
  /** Two channels the bot is in (one by name) and one it is not in. */
  channel: string;
  secondChannel: string;
  nonMemberChannel: string;
  knownEmail: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The next call of `method` answers 429 with this Retry-After. */
  rateLimitNext(method: string, retryAfterSeconds: number): void;
  sandbox?: () => RunningSandbox;
}

function mswTarget(): SlackTarget {
  const apiUrl = 'https://slack.test/api/';
  const token = 'xoxb-msw-0000-documented';
  const server = setupServer(...createSlackHandlers({ apiUrl, token }));
  return {
    apiUrl,
    token,
    channel: '#kop-release',
    secondChannel: 'C061EG9T2',
    nonMemberChannel: '#general',
    knownEmail: 'spengler@ghostbusters.example.com',
    start: async () => server.listen({ onUnhandledRequest: 'error' }),
    stop: async () => server.close(),
    rateLimitNext(method, retryAfterSeconds) {
      server.use(
        http.post(
          `${apiUrl}${method}`,
          () =>
            HttpResponse.json(
              { ok: false, error: 'ratelimited' },
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

function sandboxTarget(): SlackTarget {
  let sandbox: RunningSandbox;
  const target: SlackTarget = {
    apiUrl: '',
    token: slackSandboxDefaults.botToken,
    channel: '#kop-release',
    secondChannel: '#kop-qa',
    nonMemberChannel: '#general',
    knownEmail: 'kim.minjun@kop.example',
    async start() {
      sandbox = await startSandbox({
        timeScale: 0,
        services: [createSlackService()],
      });
      target.apiUrl = `${sandbox.url}/slack/api/`;
    },
    stop: () => sandbox.close(),
    rateLimitNext(method, retryAfterSeconds) {
      sandbox.context.faults.add({
        path: `/slack/api/${method}`,
        count: 1,
        status: 429,
        headers: { 'retry-after': String(retryAfterSeconds) },
        body: { ok: false, error: 'ratelimited' },
      });
    },
    sandbox: () => sandbox,
  };
  return target;
}

describe.each([
  ['msw handlers from the documented responses', mswTarget],
  ['the sandbox', sandboxTarget],
])('SlackClient against %s', (_name, makeTarget) => {
  const target = makeTarget();
  let recorder: ReturnType<typeof createValidatingFetch>;

  beforeAll(() => target.start());
  afterAll(() => target.stop());
  beforeEach(() => {
    recorder = createValidatingFetch();
  });
  afterEach(() => {
    // Every answer the client read fits the Slack contract.
    if (recorder.violations.length > 0) {
      throw new Error(
        `answers outside the Slack contract:\n${recorder.violations.join(
          '\n',
        )}`,
      );
    }
  });

  const client = (options: Partial<SlackClientOptions> = {}) =>
    new SlackClient({
      botToken: target.token,
      apiUrl: target.apiUrl,
      fetch: recorder.fetch,
      clock: recordingClock().clock,
      ...options,
    });

  it('checks that the token works and the bot is in its channels', async () => {
    const result = await client().check([target.channel, target.secondChannel]);
    expect(result.system).toBe('Slack');
    expect(result.checks.map(c => [c.name, c.ok])).toEqual([
      ['token', true],
      [`channel ${target.channel}`, true],
      [`channel ${target.secondChannel}`, true],
    ]);
    expect(result.ok).toBe(true);
    expect(recorder.seen).toEqual(
      expect.arrayContaining([
        'auth.test',
        'conversations.info',
        'conversations.members',
      ]),
    );
  });

  it('names the channel the bot is not in, with what to do', async () => {
    const result = await client({
      channels: [target.nonMemberChannel],
    }).check();
    expect(result.ok).toBe(false);
    expect(result.checks[1]).toEqual({
      name: `channel ${target.nonMemberChannel}`,
      ok: false,
      detail: expect.stringMatching(/not a member of C\w+: \/invite it/),
    });
  });

  it('posts to a channel by name, replies in its thread and updates the message', async () => {
    const slack = client();
    const posted = await slack.postMessage({
      channel: target.channel,
      text: '[kop] 배포합니다.\n- 배포등급: B(낮음)',
    });
    expect(posted.channel).toMatch(/^C[A-Z0-9]{8,}$/);
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);

    const reply = await slack.postMessage({
      channel: posted.channel,
      threadTs: posted.ts,
      text: 'hybris 3/9 pods ready',
    });
    expect(reply.channel).toBe(posted.channel);
    expect(reply.ts).not.toBe(posted.ts);

    const updated = await slack.updateMessage({
      channel: posted.channel,
      ts: posted.ts,
      text: '[kop] 배포했습니다.',
    });
    expect(updated).toEqual(posted);
  });

  it('finds a person by e-mail, and nobody for an unknown address', async () => {
    const slack = client();
    const user = await slack.findUserByEmail(target.knownEmail);
    expect(user).toEqual(
      expect.objectContaining({
        id: expect.stringMatching(/^[UW][A-Z0-9]+$/),
        email: target.knownEmail,
      }),
    );
    await expect(
      slack.findUserByEmail('nobody@kop.example'),
    ).resolves.toBeUndefined();
  });

  it('sends a direct message to a person found by e-mail', async () => {
    const sent = await client().sendDirectMessage({
      email: target.knownEmail,
      text: 'Your approval is needed for release 2026.11.25',
    });
    expect(sent.channel).toMatch(/^D[A-Z0-9]{8,}$/);
    expect(recorder.seen).toEqual(
      expect.arrayContaining(['conversations.open', 'chat.postMessage']),
    );
  });

  it('fails with Slack’s error code and the method, once, for a channel that does not exist', async () => {
    const error = await client()
      .postMessage({ channel: '#no-such-channel', text: 'x' })
      .catch(e => e);
    expect(error).toBeInstanceOf(SystemError);
    expect(error.message).toBe(
      `Slack (${target.apiUrl}chat.postMessage): chat.postMessage failed: channel_not_found after 1 try`,
    );
    expect(error.retryable).toBe(false);
  });

  it('reports a refused token in check() and never shows the token', async () => {
    const wrong = 'xoxb-1111-2222-not-the-right-one';
    const result = await client({ botToken: wrong }).check(['#kop-release']);
    expect(result).toEqual({
      system: 'Slack',
      ok: false,
      checks: [
        {
          name: 'token',
          ok: false,
          detail: `Slack (${target.apiUrl}auth.test): auth.test failed: invalid_auth after 1 try`,
        },
      ],
    });
  });

  it('waits at least Retry-After after a 429, then sends (RELIABILITY 14)', async () => {
    const { clock, sleeps } = recordingClock();
    target.rateLimitNext('chat.postMessage', 7);
    const posted = await client({ clock }).postMessage({
      channel: target.channel,
      text: 'after the wait',
    });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(7000);
  });

  if (makeTarget === sandboxTarget) {
    it('keeps channels, threads and edits, and answers history and replies per the contract', async () => {
      const validate = createSlackContractValidator();
      const slack = client();
      const parent = await slack.postMessage({
        channel: '#kop-qa',
        text: 'QA please: release 2026.11.25 on beta',
      });
      await slack.postMessage({
        channel: parent.channel,
        threadTs: parent.ts,
        text: 'payment tests ks, tc, g4 passed',
      });
      await slack.updateMessage({
        channel: parent.channel,
        ts: parent.ts,
        text: 'QA done: release 2026.11.25 on beta',
      });
      const web = new WebClient(target.token, { slackApiUrl: target.apiUrl });
      const history = await web.conversations.history({
        channel: parent.channel,
      });
      const replies = await web.conversations.replies({
        channel: parent.channel,
        ts: parent.ts,
      });
      const raw = (r: object) => {
        const { response_metadata: _ignored, ...rest } = r as Record<
          string,
          unknown
        >;
        return rest;
      };
      expect(validate('conversations.history', raw(history))).toEqual([]);
      expect(validate('conversations.replies', raw(replies))).toEqual([]);
      expect(history.messages?.[0]).toEqual(
        expect.objectContaining({
          text: 'QA done: release 2026.11.25 on beta',
          reply_count: 1,
        }),
      );
      expect(replies.messages?.map(m => m.text)).toEqual([
        'QA done: release 2026.11.25 on beta',
        'payment tests ks, tc, g4 passed',
      ]);
      const page = await target.sandbox!().services[0].describe!();
      expect(page).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            channel: '#kop-qa',
            thread: parent.ts,
            text: 'payment tests ks, tc, g4 passed',
          }),
        ]),
      );
    });
  }
});

describe('SlackClient secrets (RELIABILITY 8)', () => {
  const token = 'xoxb-4242-secret-value-that-must-not-leak';
  const apiUrl = 'https://slack.test/api/';
  const server = setupServer(
    http.post(`${apiUrl}chat.postMessage`, () =>
      HttpResponse.text('<html>upstream error</html>', { status: 503 }),
    ),
    http.post(`${apiUrl}chat.update`, () =>
      HttpResponse.json(
        { ok: false, error: 'ratelimited' },
        { status: 429, headers: { 'retry-after': '1' } },
      ),
    ),
    http.post(`${apiUrl}auth.test`, () =>
      HttpResponse.json({ ok: false, error: 'invalid_auth' }),
    ),
    http.post(`${apiUrl}users.lookupByEmail`, () => HttpResponse.error()),
    http.post(
      `${apiUrl}conversations.open`,
      () => new HttpResponse(null, { status: 500 }),
    ),
  );
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());

  it('appears in no error and no log line, whatever fails', async () => {
    const { logger, lines } = captureLogger();
    const slack = new SlackClient({
      botToken: token,
      apiUrl,
      logger,
      clock: recordingClock().clock,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 10_000 },
    });
    const errors = await Promise.all([
      slack.postMessage({ channel: '#kop-release', text: 'x' }).catch(e => e),
      slack
        .updateMessage({ channel: 'C0123456789', ts: '1.1', text: 'x' })
        .catch(e => e),
      slack.findUserByEmail('a@kop.example').catch(e => e),
      slack.sendDirectMessage({ userId: 'U1', text: 'x' }).catch(e => e),
    ]);
    const check = await slack.check(['#kop-release']);
    expect(errors.map(e => e.message)).toEqual([
      `Slack (${apiUrl}chat.postMessage): chat.postMessage failed (HTTP 503): unexpected answer after 1 try`,
      `Slack (${apiUrl}chat.update): chat.update failed (HTTP 429): rate limited (Retry-After 1 s) after 3 tries`,
      `Slack (${apiUrl}users.lookupByEmail): users.lookupByEmail failed: Failed to fetch after 3 tries`,
      expect.stringMatching(
        /^Slack \(https:\/\/slack\.test\/api\/conversations\.open\): conversations\.open failed/,
      ),
    ]);
    expect(check.ok).toBe(false);
    const everything = [
      ...errors.map(e => inspect(e, { depth: 20, showHidden: true })),
      JSON.stringify(check),
      ...lines,
    ].join('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain('4242-secret');
  });
});
