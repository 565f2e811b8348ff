import type { LoggerService } from '@backstage/backend-plugin-api';
import { SystemError } from '../http/SystemError';
import type { OutboxStore, SlackOutboxMessage } from './outbox';
import type { SlackClient, SlackPostedMessage } from './SlackClient';

/** What the notifier needs of a Slack client. @public */
export type SlackMessenger = Pick<
  SlackClient,
  'postMessage' | 'updateMessage' | 'sendDirectMessage'
>;

/** @public */
export type SlackSendOutcome =
  | { status: 'sent'; channel: string; ts: string }
  | { status: 'queued'; id: string; error: string };

type Body<K extends SlackOutboxMessage['kind']> = Omit<
  Extract<SlackOutboxMessage, { kind: K }>,
  'kind'
>;

/**
 * Sends the portal's Slack messages without ever holding a release up: a message that cannot be sent
 * after the client's bounded retries is kept in the outbox, the failure logged, and the caller gets
 * `queued` instead of an error. `flush()` (run it on a schedule) sends what is kept, oldest first.
 * A message sent while others wait goes behind them, so the channel reads in order.
 *
 * After a 5xx on chat.postMessage Slack may have posted the message anyway; a later flush then
 * posts it again. Nothing lost is preferred to nothing doubled.
 *
 * @public
 */
export class SlackNotifier {
  private readonly client: SlackMessenger;
  private readonly outbox: OutboxStore;
  private readonly logger?: LoggerService;
  private readonly now: () => number;
  private lock: Promise<unknown> = Promise.resolve();
  private inHand = 0;

  constructor(options: {
    client: SlackMessenger;
    outbox: OutboxStore;
    logger?: LoggerService;
    now?: () => number;
  }) {
    this.client = options.client;
    this.outbox = options.outbox;
    this.logger = options.logger;
    this.now = options.now ?? (() => Date.now());
  }

  post(message: Body<'post'>): Promise<SlackSendOutcome> {
    return this.send({ kind: 'post', ...message });
  }

  update(message: Body<'update'>): Promise<SlackSendOutcome> {
    return this.send({ kind: 'update', ...message });
  }

  direct(message: Body<'direct'>): Promise<SlackSendOutcome> {
    return this.send({ kind: 'direct', ...message });
  }

  send(message: SlackOutboxMessage): Promise<SlackSendOutcome> {
    return this.exclusive(() => this.sendNow(message));
  }

  /** Sends what the outbox keeps, oldest first; stops at the first failure worth trying later. */
  flush(): Promise<{ sent: number; pending: number }> {
    return this.exclusive(async () => {
      const { sent, pending } = await this.flushNow();
      return { sent: sent.size, pending };
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.inHand += 1;
    const run = this.lock.then(fn, fn).finally(() => this.idle());
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** After the last queued send or flush: the outbox may give its entries to another sender. */
  private async idle(): Promise<void> {
    this.inHand -= 1;
    if (this.inHand > 0 || !this.outbox.release) return;
    try {
      await this.outbox.release();
    } catch (e) {
      // The claim then lapses on its own; nothing is lost.
      this.logger?.warn(
        `Slack outbox: could not let go of the waiting messages: ${
          (e as Error).message
        }`,
      );
    }
  }

  private at(): string {
    return new Date(this.now()).toISOString();
  }

  private deliver(message: SlackOutboxMessage): Promise<SlackPostedMessage> {
    switch (message.kind) {
      case 'post':
        return this.client.postMessage(message);
      case 'update':
        return this.client.updateMessage(message);
      case 'direct':
        return this.client.sendDirectMessage(message);
      default:
        throw new Error(`unknown Slack message kind`);
    }
  }

  private async sendNow(
    message: SlackOutboxMessage,
  ): Promise<SlackSendOutcome> {
    if ((await this.outbox.pending()).length > 0) {
      const entry = await this.outbox.add(message, { at: this.at() });
      const { sent } = await this.flushNow();
      const done = sent.get(entry.id);
      if (done) return { status: 'sent', ...done };
      const kept = (await this.outbox.pending()).find(e => e.id === entry.id);
      return {
        status: 'queued',
        id: entry.id,
        error: kept?.lastError ?? 'waiting behind earlier unsent messages',
      };
    }
    try {
      return { status: 'sent', ...(await this.deliver(message)) };
    } catch (e) {
      const error = (e as Error).message;
      const entry = await this.outbox.add(message, { at: this.at(), error });
      this.logger?.warn(`Slack message kept to send later: ${error}`);
      return { status: 'queued', id: entry.id, error };
    }
  }

  private async flushNow(): Promise<{
    sent: Map<string, SlackPostedMessage>;
    pending: number;
  }> {
    const sent = new Map<string, SlackPostedMessage>();
    for (const entry of await this.outbox.pending()) {
      try {
        sent.set(entry.id, await this.deliver(entry.message));
        await this.outbox.markSent(entry.id);
      } catch (e) {
        const error = (e as Error).message;
        await this.outbox.markFailed(entry.id, { at: this.at(), error });
        const later = !(e instanceof SystemError) || e.retryable;
        if (later) {
          this.logger?.warn(`Slack outbox: ${error}; trying again later`);
          break;
        }
        // A message Slack refuses (e.g. channel_not_found) stays for a person to see; the rest go on.
        this.logger?.error(`Slack outbox: ${error}; kept, skipped`);
      }
    }
    return { sent, pending: (await this.outbox.pending()).length };
  }
}
