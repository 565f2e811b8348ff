import type { Knex } from 'knex';
import type {
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { releaseApps, type ReleaseApp } from '@internal/plugin-release-common';
import { MessageOutbox, type MessageOutboxOptions } from './MessageOutbox';
import { MessageRelay, type MessageRelayOptions } from './MessageRelay';
import type { MessageSender } from './types';

/** The scheduler task that relays the audit trail and sends what is due, on one backend at a time. */
export const RELEASE_MESSAGES_TASK_ID = 'release-messages';

/** Where and to whom messages go: release.notify.slack, release.apps.*.onCall and the QA brands. */
export function readMessageSettings(config: Config) {
  const slack = config.getOptionalConfig('release.notify.slack');
  const channels: Record<string, string> = {};
  for (const key of slack?.keys() ?? []) channels[key] = slack!.getString(key);
  const onCall: Partial<Record<ReleaseApp, string[]>> = {};
  for (const app of releaseApps) {
    const people = config.getOptionalStringArray(`release.apps.${app}.onCall`);
    if (people?.length) onCall[app] = people;
  }
  const baseUrl = config.getOptionalString('app.baseUrl') ?? '';
  return {
    channels,
    onCall,
    paymentBrands: config.getOptionalStringArray(
      'release.beta.paymentTests.brands',
    ) ?? ['ks', 'tc', 'g4'],
    pageUrlOf: (releaseId: string) => `${baseUrl}/releases/${releaseId}`,
  };
}

/**
 * A release's messages end to end: the relay that derives them from the audit trail, the outbox
 * that keeps and sends them, a nudge right after a release write and a scheduled catch-up.
 */
export class ReleaseMessages {
  readonly outbox: MessageOutbox;
  readonly relay: MessageRelay;
  private running?: Promise<void>;
  private again = false;
  private wake?: { at: number; timer: NodeJS.Timeout };
  private stopped = false;

  constructor(
    private readonly options: {
      knex: Knex;
      send: MessageSender;
      logger: LoggerService;
      relay: Omit<MessageRelayOptions, 'knex' | 'outbox' | 'logger'>;
      outbox?: Partial<MessageOutboxOptions>;
    },
  ) {
    this.outbox = new MessageOutbox({
      knex: options.knex,
      send: options.send,
      logger: options.logger,
      ...options.outbox,
    });
    this.relay = new MessageRelay({
      ...options.relay,
      knex: options.knex,
      outbox: this.outbox,
      logger: options.logger,
    });
  }

  /** Relays and sends now, in the background; a nudge while one runs makes it go round once more. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.cycle()
      .then(() => undefined)
      .catch(e =>
        this.options.logger.warn(
          `Release messages: ${(e as Error).message}; the schedule tries again`,
        ),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** At shutdown: sends in hand finish, nothing new is claimed; another backend sends the rest. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.wake) clearTimeout(this.wake.timer);
    this.wake = undefined;
    await this.outbox.stop();
    await this.settled();
  }

  /** Waits for a nudge under way (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** One round: what the trail says since last time is queued, then what is due is sent. */
  async cycle(): Promise<{ queued: number; sent: number; waiting: number }> {
    const queued = await this.relay.run();
    const { sent, waiting } = await this.outbox.flush();
    if (waiting > 0) await this.wakeAtNextTry();
    return { queued, sent, waiting };
  }

  /**
   * A message kept for a later try (a backoff, a 429's Retry-After) is tried at its time on this
   * backend, not only at the next catch-up; a claim taken elsewhere meanwhile makes it a no-op.
   */
  private async wakeAtNextTry(): Promise<void> {
    const inMs = await this.outbox.msUntilNextTry();
    if (inMs === undefined || this.stopped) return;
    const at = Date.now() + inMs;
    if (this.wake && this.wake.at <= at) return;
    if (this.wake) clearTimeout(this.wake.timer);
    const timer = setTimeout(() => {
      this.wake = undefined;
      this.nudge();
    }, inMs + 10);
    timer.unref?.();
    this.wake = { at, timer };
  }

  /**
   * The engine's announcement of a run, queued for the release room once per step key: a step
   * called again finds its key and queues nothing new.
   */
  async announce(
    run: { releaseId: string },
    text: string,
    options: { key: string },
    channel: string,
  ): Promise<void> {
    await this.outbox.enqueue([
      {
        key: `announce/${options.key}`,
        releaseId: run.releaseId,
        audience: 'release-room',
        payload: { kind: 'slack.post', channel, text },
      },
    ]);
    this.nudge();
  }

  /** The catch-up: every 15 s on one backend at a time, for what a nudge missed or could not send. */
  async schedule(scheduler: SchedulerService): Promise<void> {
    await scheduler.scheduleTask({
      id: RELEASE_MESSAGES_TASK_ID,
      frequency: { seconds: 15 },
      timeout: { minutes: 10 },
      scope: 'global',
      fn: async () => {
        const { queued, sent, waiting } = await this.cycle();
        if (sent > 0 || waiting > 0) {
          this.options.logger.info(
            `Release messages: ${queued} queued, ${sent} sent, ${waiting} waiting`,
          );
        }
      },
    });
  }
}
