import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  ErrorCode,
  LogLevel,
  WebClient,
  type FetchFunction,
  type Logger,
  type WebAPICallResult,
} from '@slack/web-api';
import { isRetryableStatus, type RetryPolicy } from '../http/retry';
import {
  RetryingCaller,
  type CallClock,
  type CallFailure,
} from '../http/retryingCaller';
import { causeOf } from '../http/where';

/** A Block Kit block, kept as plain JSON so unsent messages can be stored. @public */
export type SlackBlock = { type: string } & Record<string, unknown>;

/** @public */
export interface SlackClientOptions {
  /** Bot token (xoxb-…). */
  botToken: string;
  /** Web API base URL, default https://slack.com/api/ (the sandbox: `<sandbox>/slack/api/`). */
  apiUrl?: string;
  /** Per request, default 15000. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  clock?: CallClock;
  logger?: LoggerService;
  /** Channels (IDs like C0123ABCDE or names like #kop-qa) that `check()` looks at. */
  channels?: string[];
  /** Transport for tests (e.g. to look at the raw answers). */
  fetch?: FetchFunction;
}

/** @public */
export interface SlackPostedMessage {
  /** Channel ID the message is in. */
  channel: string;
  ts: string;
}

/** @public */
export interface SlackUser {
  id: string;
  name: string;
  realName?: string;
  email?: string;
}

/** @public */
export interface SlackCheckResult {
  system: 'Slack';
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{8,}$/;
const MAX_PAGES = 50;

/** Slack error codes worth another try: Slack's own trouble. */
const transientErrors = new Set([
  'internal_error',
  'fatal_error',
  'request_timeout',
  'service_unavailable',
  'ratelimited',
  'rate_limited',
]);

function classifySlackError(error: unknown, timeoutMs: number): CallFailure {
  const e = error as {
    code?: string;
    retryAfter?: number;
    statusCode?: number;
    data?: { error?: string; needed?: string };
    original?: Error & { cause?: { code?: string } };
    message?: string;
  };
  switch (e?.code) {
    case ErrorCode.RateLimitedError:
      return {
        status: 429,
        retryAfterMs: (e.retryAfter ?? 0) * 1000,
        transient: true,
        detail: `rate limited (Retry-After ${e.retryAfter} s)`,
      };
    case ErrorCode.HTTPError:
      return {
        status: e.statusCode,
        transient: isRetryableStatus(e.statusCode ?? 0),
        detail: 'unexpected answer',
      };
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown_error';
      return {
        transient: transientErrors.has(code),
        detail: e.data?.needed ? `${code} (needs ${e.data.needed})` : code,
      };
    }
    case ErrorCode.RequestError: {
      const original = e.original;
      const timedOut =
        original?.name === 'TimeoutError' || original?.name === 'AbortError';
      return {
        transient: true,
        // fetch says "fetch failed" and keeps the network's words in its cause.
        detail: timedOut
          ? `no answer within ${timeoutMs} ms`
          : causeOf(original) || 'request failed',
      };
    }
    default:
      if (/^Retry header did not contain/.test(e?.message ?? '')) {
        return { status: 429, transient: true, detail: 'rate limited' };
      }
      return {
        transient: false,
        detail: (error as Error)?.message ?? String(error),
      };
  }
}

/**
 * fetch whose failures carry the network's words in their message: the library may keep only the
 * message of what fetch threw, which says no more than "fetch failed".
 */
function sayingCause(doFetch: FetchFunction): FetchFunction {
  return async (input, init) => {
    try {
      return await doFetch(input, init);
    } catch (e) {
      const name = (e as Error)?.name;
      if (name === 'AbortError' || name === 'TimeoutError') throw e;
      throw new Error(causeOf(e), { cause: e });
    }
  };
}

/** Hands the library's log lines to the backend logger, secrets taken out, debug kept at debug. */
function slackLogger(
  logger: LoggerService | undefined,
  redact: (text: string) => string,
): Logger {
  const line = (msg: unknown[]) =>
    redact(
      msg.map(m => (typeof m === 'string' ? m : JSON.stringify(m))).join(' '),
    );
  let level = LogLevel.INFO;
  return {
    debug: (...msg) => logger?.debug(line(msg)),
    info: (...msg) => logger?.info(line(msg)),
    warn: (...msg) => logger?.warn(line(msg)),
    error: (...msg) => logger?.error(line(msg)),
    setLevel: l => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/**
 * The portal's Slack bot: posts and updates messages (in channels and threads), finds people by
 * e-mail, sends direct messages, and checks that it can reach the channels it needs.
 *
 * Retries are ours, not the library's: the WebClient rejects rate-limited calls at once and we wait
 * at least Retry-After before this client's next call, within a bounded policy.
 *
 * @public
 */
export class SlackClient {
  private readonly web: WebClient;
  private readonly apiUrl: string;
  private readonly caller: RetryingCaller;
  private readonly channels: string[];
  private channelIds = new Map<string, string>();
  private botUserId?: string;

  /**
   * Reads `slack.*`; the channels to check default to the values of `release.notify.slack`.
   * Returns undefined when Slack is not configured.
   */
  static fromConfig(
    config: Config,
    options: Pick<SlackClientOptions, 'logger' | 'clock' | 'channels'> = {},
  ): SlackClient | undefined {
    const slack = config.getOptionalConfig('slack');
    if (!slack) return undefined;
    const notify = config.getOptionalConfig('release.notify.slack');
    const channels = options.channels ?? [
      ...new Set(
        (notify?.keys() ?? []).map(k => notify!.getString(k)),
      ).values(),
    ];
    return new SlackClient({
      botToken: slack.getString('botToken'),
      apiUrl: slack.getOptionalString('apiUrl'),
      timeoutMs: slack.getOptionalNumber('timeoutMs'),
      logger: options.logger,
      clock: options.clock,
      channels,
    });
  }

  constructor(options: SlackClientOptions) {
    if (!options.botToken) throw new Error('slack.botToken is required');
    const timeoutMs = options.timeoutMs ?? 15_000;
    this.caller = new RetryingCaller({
      system: 'Slack',
      classify: e => classifySlackError(e, timeoutMs),
      secrets: [options.botToken],
      retry: options.retry,
      clock: options.clock,
      logger: options.logger,
    });
    this.apiUrl = options.apiUrl ?? 'https://slack.com/api/';
    this.web = new WebClient(options.botToken, {
      slackApiUrl: this.apiUrl,
      logger: slackLogger(options.logger, t => this.caller.redact(t)),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: timeoutMs,
      allowAbsoluteUrls: false,
      fetch: sayingCause(options.fetch ?? fetch),
    });
    this.channels = options.channels ?? [];
  }

  /** Epoch ms before which this client sends nothing because Slack said so (0 when free). */
  get rateLimitedUntil(): number {
    return this.caller.rateLimitedUntil;
  }

  private call<T extends WebAPICallResult>(
    method: string,
    args: Record<string, unknown>,
    idempotent = true,
  ): Promise<T> {
    return this.caller.run(
      method,
      () => this.web.apiCall(method, args) as Promise<T>,
      { idempotent, url: new URL(method, this.apiUrl).toString() },
    );
  }

  /** Posts a message to a channel (ID or name), or into a thread when `threadTs` is given. */
  async postMessage(message: {
    channel: string;
    text: string;
    blocks?: SlackBlock[];
    threadTs?: string;
    /** Also show a thread reply in the channel. */
    broadcast?: boolean;
  }): Promise<SlackPostedMessage> {
    const result = await this.call<
      WebAPICallResult & { channel?: string; ts?: string }
    >(
      'chat.postMessage',
      {
        channel: message.channel,
        text: message.text,
        blocks: message.blocks,
        thread_ts: message.threadTs,
        reply_broadcast: message.threadTs ? message.broadcast : undefined,
        unfurl_links: false,
      },
      false,
    );
    return { channel: result.channel!, ts: result.ts! };
  }

  /** Replaces the text (and blocks) of a message the bot posted. */
  async updateMessage(message: {
    channel: string;
    ts: string;
    text: string;
    blocks?: SlackBlock[];
  }): Promise<SlackPostedMessage> {
    const result = await this.call<
      WebAPICallResult & { channel?: string; ts?: string }
    >('chat.update', {
      channel: message.channel,
      ts: message.ts,
      text: message.text,
      blocks: message.blocks,
    });
    return { channel: result.channel!, ts: result.ts! };
  }

  /** The Slack user with this e-mail address, or undefined when there is none. */
  async findUserByEmail(email: string): Promise<SlackUser | undefined> {
    type Found = WebAPICallResult & {
      user?: {
        id: string;
        name: string;
        real_name?: string;
        profile?: { email?: string | null };
      };
    };
    const result = await this.caller.run(
      'users.lookupByEmail',
      async () => {
        try {
          return (await this.web.apiCall('users.lookupByEmail', {
            email,
          })) as Found;
        } catch (e) {
          const err = e as { code?: string; data?: { error?: string } };
          if (
            err.code === ErrorCode.PlatformError &&
            err.data?.error === 'users_not_found'
          ) {
            return undefined;
          }
          throw e;
        }
      },
      { url: new URL('users.lookupByEmail', this.apiUrl).toString() },
    );
    const user = result?.user;
    if (!user) return undefined;
    return {
      id: user.id,
      name: user.name,
      realName: user.real_name,
      email: user.profile?.email ?? undefined,
    };
  }

  /** Opens (or reuses) the direct conversation with a user and posts to it. */
  async sendDirectMessage(message: {
    userId?: string;
    email?: string;
    text: string;
    blocks?: SlackBlock[];
  }): Promise<SlackPostedMessage> {
    let userId = message.userId;
    if (!userId && message.email) {
      const user = await this.findUserByEmail(message.email);
      if (!user) {
        throw this.caller.error('direct message', {
          transient: false,
          detail: `no Slack user with the e-mail address ${message.email}`,
        });
      }
      userId = user.id;
    }
    if (!userId) {
      throw this.caller.error('direct message', {
        transient: false,
        detail: 'neither a user ID nor an e-mail address was given',
      });
    }
    const opened = await this.call<
      WebAPICallResult & { channel?: { id: string } }
    >('conversations.open', { users: userId });
    return this.postMessage({
      channel: opened.channel!.id,
      text: message.text,
      blocks: message.blocks,
    });
  }

  /** Channel ID of a channel given by ID or by name (#kop-qa or kop-qa). */
  async resolveChannel(channel: string): Promise<string | undefined> {
    if (CHANNEL_ID.test(channel)) return channel;
    const name = channel.replace(/^#/, '');
    if (!this.channelIds.has(name)) {
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const result = await this.call<
          WebAPICallResult & { channels?: Array<{ id: string; name: string }> }
        >('conversations.list', {
          types: 'public_channel,private_channel',
          exclude_archived: true,
          limit: 200,
          cursor,
        });
        for (const c of result.channels ?? [])
          this.channelIds.set(c.name, c.id);
        cursor = result.response_metadata?.next_cursor;
        if (!cursor || this.channelIds.has(name)) break;
      }
    }
    return this.channelIds.get(name);
  }

  private async isMember(channelId: string, userId: string): Promise<boolean> {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await this.call<WebAPICallResult & { members?: string[] }>(
        'conversations.members',
        { channel: channelId, limit: 200, cursor },
      );
      if (result.members?.includes(userId)) return true;
      cursor = result.response_metadata?.next_cursor;
      if (!cursor) return false;
    }
    return false;
  }

  /**
   * Whether the token works and the bot is a member of each channel it must post to. Never throws:
   * each problem is one failed check with what to do about it.
   */
  async check(channels: string[] = this.channels): Promise<SlackCheckResult> {
    const checks: SlackCheckResult['checks'] = [];
    try {
      const auth = await this.call<
        WebAPICallResult & { user_id?: string; user?: string; team?: string }
      >('auth.test', {});
      this.botUserId = auth.user_id;
      checks.push({
        name: 'token',
        ok: true,
        detail: `signed in as ${auth.user} in ${auth.team}`,
      });
    } catch (e) {
      checks.push({ name: 'token', ok: false, detail: (e as Error).message });
      return { system: 'Slack', ok: false, checks };
    }
    for (const channel of channels) {
      const name = `channel ${channel}`;
      try {
        const id = await this.resolveChannel(channel);
        if (!id) {
          checks.push({
            name,
            ok: false,
            detail:
              'not found (or private and the bot is not in it): create it or invite the bot',
          });
          continue;
        }
        const info = await this.call<
          WebAPICallResult & {
            channel?: { id: string; name?: string; is_archived?: boolean };
          }
        >('conversations.info', { channel: id });
        if (info.channel?.is_archived) {
          checks.push({ name, ok: false, detail: `${id} is archived` });
          continue;
        }
        const member = await this.isMember(id, this.botUserId!);
        checks.push({
          name,
          ok: member,
          detail: member
            ? `the bot is a member of ${id}`
            : `the bot is not a member of ${id}: /invite it to the channel`,
        });
      } catch (e) {
        checks.push({ name, ok: false, detail: (e as Error).message });
      }
    }
    return { system: 'Slack', ok: checks.every(c => c.ok), checks };
  }
}
