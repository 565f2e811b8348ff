import {
  AsanaClient,
  SlackClient,
  type CallClock,
} from '@internal/plugin-release-node';
import { asanaSandboxDefaults, slackSandboxDefaults } from 'sandbox';

/** A clock the test moves: no test waits for real time. */
export function fakeClock(start = Date.parse('2026-01-07T01:00:00.000Z')) {
  let now = start;
  const clock: CallClock = {
    now: () => now,
    sleep: async ms => {
      now += ms;
    },
  };
  return {
    clock,
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** The real Slack and Asana clients on a sandbox, one try a call: the outbox decides when to try again. */
export function sandboxMessageClients(sandboxUrl: string, clock: CallClock) {
  const retry = { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 };
  return {
    slack: new SlackClient({
      botToken: slackSandboxDefaults.botToken,
      apiUrl: `${sandboxUrl}/slack/api/`,
      retry,
      clock,
    }),
    asana: new AsanaClient({
      token: asanaSandboxDefaults.token,
      baseUrl: `${sandboxUrl}/asana/api/1.0`,
      projectGid: asanaSandboxDefaults.projectGid,
      fields: asanaSandboxDefaults.fields,
      retry,
      clock,
    }),
  };
}
