import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { SystemError } from '../http/SystemError';
import { InMemoryOutboxStore, type OutboxStore } from './outbox';
import { SlackClient } from './SlackClient';
import { SlackNotifier, type SlackMessenger } from './SlackNotifier';
import { captureLogger } from '../__testUtils__/clients';

const apiUrl = 'https://slack.test/api/';
const botToken = 'xoxb-notifier-test';

/** chat.postMessage answers 429 (Retry-After: 7) `limited` times, then posts; every hit noted. */
function slackThatThrottles(
  server: ReturnType<typeof setupServer>,
  limited: number,
) {
  const hits: Array<{ at: number; text: string; status: number }> = [];
  server.use(
    http.post(`${apiUrl}chat.postMessage`, async ({ request }) => {
      const text = new URLSearchParams(await request.text()).get('text') ?? '';
      const status =
        hits.filter(h => h.status === 429).length < limited ? 429 : 200;
      hits.push({ at: Date.now(), text, status });
      if (status === 429) {
        return HttpResponse.json(
          { ok: false, error: 'ratelimited' },
          { status: 429, headers: { 'retry-after': '7' } },
        );
      }
      return HttpResponse.json({
        ok: true,
        channel: 'C012AB3CD',
        ts: `1764000000.${String(hits.length).padStart(6, '0')}`,
        message: { type: 'message', text, ts: '1764000000.000001' },
      });
    }),
  );
  return hits;
}

describe('Slack under rate limiting (RELIABILITY 14, fake timers)', () => {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    jest.useRealTimers();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
    });
  });

  it('makes the next call wait at least 7 s after a 429 with Retry-After: 7', async () => {
    const hits = slackThatThrottles(server, 1);
    const slack = new SlackClient({
      botToken,
      apiUrl,
      retry: { attempts: 1, baseDelayMs: 100, maxDelayMs: 60_000 },
    });
    const first = await slack
      .postMessage({ channel: '#kop-release', text: 'one' })
      .catch(e => e);
    expect(first).toBeInstanceOf(SystemError);
    expect(first.message).toBe(
      'Slack: chat.postMessage failed (HTTP 429): rate limited (Retry-After 7 s) after 1 try',
    );

    let done = false;
    const second = slack
      .postMessage({ channel: '#kop-release', text: 'two' })
      .then(r => {
        done = true;
        return r;
      });
    await jest.advanceTimersByTimeAsync(6_999);
    expect(hits).toHaveLength(1);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await expect(second).resolves.toEqual({
      channel: 'C012AB3CD',
      ts: expect.any(String),
    });
    expect(hits.map(h => [h.text, h.status])).toEqual([
      ['one', 429],
      ['two', 200],
    ]);
    expect(hits[1].at - hits[0].at).toBeGreaterThanOrEqual(7_000);
  });

  it('retries one call after the wait, within its bounded tries', async () => {
    const hits = slackThatThrottles(server, 2);
    const slack = new SlackClient({ botToken, apiUrl });
    const posted = slack.postMessage({ channel: '#kop-release', text: 'x' });
    await jest.advanceTimersByTimeAsync(13_999);
    expect(hits).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    await expect(posted).resolves.toEqual(
      expect.objectContaining({ channel: 'C012AB3CD' }),
    );
    expect(hits.map(h => h.at - hits[0].at)).toEqual([0, 7_000, 14_000]);
  });

  it('gives up at once, without waiting, when Retry-After is longer than the policy allows', async () => {
    server.use(
      http.post(`${apiUrl}chat.update`, () =>
        HttpResponse.json(
          { ok: false, error: 'ratelimited' },
          { status: 429, headers: { 'retry-after': '3600' } },
        ),
      ),
    );
    const slack = new SlackClient({ botToken, apiUrl });
    const error = await slack
      .updateMessage({
        channel: 'C012AB3CD',
        ts: '1764000000.000001',
        text: 'x',
      })
      .catch(e => e);
    expect(error.message).toBe(
      'Slack: chat.update failed (HTTP 429): rate limited (Retry-After 3600 s) after 1 try',
    );
    expect(slack.rateLimitedUntil).toBe(Date.now() + 3_600_000);
    await expect(
      slack.postMessage({ channel: '#kop-release', text: 'y' }),
    ).rejects.toThrow(
      'Slack: chat.postMessage failed (HTTP 429): rate limited for another 3600 s',
    );
  });

  it('keeps the message after the last try, lets the release go on, and sends it on flush', async () => {
    const hits = slackThatThrottles(server, 2);
    const outbox = new InMemoryOutboxStore();
    const { logger, lines } = captureLogger();
    const notifier = new SlackNotifier({
      client: new SlackClient({
        botToken,
        apiUrl,
        retry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 60_000 },
      }),
      outbox,
      logger,
    });
    const outcome = notifier.post({
      channel: '#kop-release',
      text: '[kop] 배포합니다.',
    });
    await jest.advanceTimersByTimeAsync(7_000);
    await expect(outcome).resolves.toEqual({
      status: 'queued',
      id: expect.any(String),
      error:
        'Slack: chat.postMessage failed (HTTP 429): rate limited (Retry-After 7 s) after 2 tries',
    });
    expect(await outbox.pending()).toEqual([
      expect.objectContaining({
        message: {
          kind: 'post',
          channel: '#kop-release',
          text: '[kop] 배포합니다.',
        },
        attempts: 1,
        lastError: expect.stringContaining('HTTP 429'),
      }),
    ]);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Slack message kept to send later'),
      ]),
    );

    const flushed = notifier.flush();
    await jest.advanceTimersByTimeAsync(7_000);
    await expect(flushed).resolves.toEqual({ sent: 1, pending: 0 });
    expect(hits.map(h => [h.text, h.status])).toEqual([
      ['[kop] 배포합니다.', 429],
      ['[kop] 배포합니다.', 429],
      ['[kop] 배포합니다.', 200],
    ]);
  });
});

describe('SlackNotifier', () => {
  const posted = (channel: string, ts: string) => ({ channel, ts });

  function fakeSlack(failures: Record<string, Error[]>) {
    const sent: string[] = [];
    const attempt = async (text: string) => {
      const next = failures[text]?.shift();
      if (next) throw next;
      sent.push(text);
      return posted(
        'C012AB3CD',
        `1764000000.${String(sent.length).padStart(6, '0')}`,
      );
    };
    const client: SlackMessenger = {
      postMessage: m => attempt(m.text),
      updateMessage: m => attempt(m.text),
      sendDirectMessage: m => attempt(m.text),
    };
    return { client, sent };
  }
  const throttled = () =>
    new SystemError({
      system: 'Slack',
      action: 'chat.postMessage',
      status: 429,
      retryable: true,
    });
  const refused = () =>
    new SystemError({
      system: 'Slack',
      action: 'chat.postMessage',
      detail: 'channel_not_found',
    });

  it('sends at once when nothing waits', async () => {
    const { client, sent } = fakeSlack({});
    const notifier = new SlackNotifier({
      client,
      outbox: new InMemoryOutboxStore(),
    });
    await expect(
      notifier.post({ channel: '#kop-qa', text: 'QA please' }),
    ).resolves.toEqual({
      status: 'sent',
      channel: 'C012AB3CD',
      ts: '1764000000.000001',
    });
    expect(sent).toEqual(['QA please']);
  });

  it('puts a new message behind the ones waiting, so the channel reads in order', async () => {
    const { client, sent } = fakeSlack({ first: [throttled(), throttled()] });
    const outbox = new InMemoryOutboxStore();
    const notifier = new SlackNotifier({ client, outbox });
    expect(
      (await notifier.post({ channel: '#kop-release', text: 'first' })).status,
    ).toBe('queued');
    const second = await notifier.post({
      channel: '#kop-release',
      text: 'second',
    });
    expect(second).toEqual({
      status: 'queued',
      id: expect.any(String),
      error: 'waiting behind earlier unsent messages',
    });
    expect(sent).toEqual([]);
    await expect(notifier.flush()).resolves.toEqual({ sent: 2, pending: 0 });
    expect(sent).toEqual(['first', 'second']);
  });

  it('keeps a message Slack refuses for a person to see, without holding up the others', async () => {
    const { client, sent } = fakeSlack({
      refused: [refused(), refused(), refused()],
      later: [throttled()],
    });
    const outbox = new InMemoryOutboxStore();
    const notifier = new SlackNotifier({ client, outbox });
    await notifier.post({ channel: '#gone', text: 'refused' });
    const outcome = await notifier.direct({
      email: 'kim.minjun@kop.example',
      text: 'later',
    });
    expect(outcome.status).toBe('queued');
    await expect(notifier.flush()).resolves.toEqual({ sent: 1, pending: 1 });
    expect(sent).toEqual(['later']);
    expect(await outbox.pending()).toEqual([
      expect.objectContaining({
        message: { kind: 'post', channel: '#gone', text: 'refused' },
        attempts: 3,
        lastError: 'Slack: chat.postMessage failed: channel_not_found',
      }),
    ]);
  });

  it('sends each waiting message once when flushes overlap', async () => {
    const { client, sent } = fakeSlack({ a: [throttled()], b: [] });
    const outbox = new InMemoryOutboxStore();
    const notifier = new SlackNotifier({ client, outbox });
    await notifier.update({
      channel: 'C012AB3CD',
      ts: '1764000000.000001',
      text: 'a',
    });
    await Promise.all([notifier.flush(), notifier.flush(), notifier.flush()]);
    expect(sent).toEqual(['a']);
    expect(await outbox.pending()).toEqual([]);
  });

  it('lets the outbox give its messages up only once nothing is in hand', async () => {
    const { client, sent } = fakeSlack({ a: [throttled()] });
    const outbox: OutboxStore = new InMemoryOutboxStore();
    const seen: string[][] = [];
    outbox.release = async () => {
      seen.push([...sent]);
    };
    const notifier = new SlackNotifier({ client, outbox });
    await Promise.all([
      notifier.post({ channel: '#kop-qa', text: 'a' }),
      notifier.post({ channel: '#kop-qa', text: 'b' }),
      notifier.flush(),
    ]);
    expect(seen).toEqual([['a', 'b']]);
    await notifier.flush();
    expect(seen).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
  });

  it('still answers when the outbox cannot give its messages up', async () => {
    const { client } = fakeSlack({});
    const { logger, lines } = captureLogger();
    const outbox: OutboxStore = new InMemoryOutboxStore();
    outbox.release = async () => {
      throw new Error('database is locked');
    };
    const notifier = new SlackNotifier({ client, outbox, logger });
    await expect(
      notifier.post({ channel: '#kop-qa', text: 'a' }),
    ).resolves.toMatchObject({ status: 'sent' });
    expect(lines).toEqual([
      expect.stringContaining(
        'Slack outbox: could not let go of the waiting messages: database is locked',
      ),
    ]);
  });
});
