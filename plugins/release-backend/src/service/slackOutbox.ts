import type {
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import {
  SlackNotifier,
  type ReleaseIntegrations,
  type SlackMessenger,
} from '@internal/plugin-release-node';
import type { Knex } from 'knex';
import { DatabaseOutboxStore } from '../database/DatabaseOutboxStore';

/** The scheduler task that sends what the Slack outbox keeps. */
export const SLACK_OUTBOX_TASK_ID = 'release-slack-outbox-flush';

/**
 * The plugin's Slack notifier over the outbox table, with its flush scheduled every 30 s on one
 * backend instance at a time; undefined when Slack is not configured.
 */
export async function startSlackOutbox(options: {
  knex: Knex;
  integrations: Pick<ReleaseIntegrations, 'has' | 'slack'>;
  scheduler: SchedulerService;
  logger: LoggerService;
}): Promise<SlackNotifier | undefined> {
  const { knex, integrations, scheduler, logger } = options;
  if (!integrations.has('slack')) return undefined;
  // The client is looked up per send: a bad Slack setting keeps messages waiting, not the backend down.
  const client: SlackMessenger = {
    postMessage: m => integrations.slack.postMessage(m),
    updateMessage: m => integrations.slack.updateMessage(m),
    sendDirectMessage: m => integrations.slack.sendDirectMessage(m),
  };
  const notifier = new SlackNotifier({
    client,
    outbox: new DatabaseOutboxStore(knex),
    logger,
  });
  await scheduler.scheduleTask({
    id: SLACK_OUTBOX_TASK_ID,
    frequency: { seconds: 30 },
    timeout: { minutes: 10 },
    scope: 'global',
    fn: async () => {
      const { sent, pending } = await notifier.flush();
      if (sent > 0 || pending > 0) {
        logger.info(
          `Slack outbox: ${sent} message(s) sent, ${pending} waiting`,
        );
      }
    },
  });
  return notifier;
}
