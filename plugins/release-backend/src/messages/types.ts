import type { ReleaseMessageKind } from '@internal/plugin-release-common';
import type { AsanaReleaseValues } from '@internal/plugin-release-node';

/** What one message says and where it goes, as the outbox keeps it. */
export type MessagePayload =
  | { kind: 'slack.post'; channel: string; text: string }
  | {
      kind: 'slack.direct';
      /** A user entity ref (user:default/kim.minjun) or an e-mail address. */
      to: string;
      text: string;
    }
  | { kind: 'asana.comment'; taskGid: string; text: string }
  | {
      kind: 'asana.fields';
      taskGid: string;
      values: AsanaReleaseValues & { state?: string };
    }
  | { kind: 'asana.complete'; taskGid: string }
  | {
      kind: 'asana.create-task';
      releaseId: string;
      /** Who asked for it (user entity ref): the link's audit row acts on their behalf. */
      requestedBy: string;
      task: { name: string; notes: string } & AsanaReleaseValues;
    };

/** A message to queue: the key makes queueing it twice a no-op. */
export interface OutgoingMessage {
  /** Unique per message: the audit row it comes from and its role, e.g. `<row id>/team`. */
  key: string;
  releaseId?: string;
  /** A key of release.notify.slack, or approver, on-call, release-room, asana. */
  audience: string;
  /** A page: a direct message marked urgent. */
  urgent?: boolean;
  payload: MessagePayload;
}

/**
 * A failed delivery: whether it is worth another try (an outage, a 429) and the earliest time the
 * system will take one (Retry-After).
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** Epoch ms; 0 when the system named no time. */
    readonly notBefore = 0,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** Delivers one message to Slack or Asana; throws a DeliveryError (or any error: tried again). */
export type MessageSender = ((payload: MessagePayload) => Promise<void>) & {
  /** Epoch ms before which the system (slack, asana) takes nothing, as it last said (429). */
  notBefore?(system: string): number;
};

export type { ReleaseMessageKind };

/** Where a message goes: messages to one destination go out in the order they were queued. */
export function destinationOf(payload: MessagePayload): string {
  switch (payload.kind) {
    case 'slack.post':
      return payload.channel;
    case 'slack.direct':
      return payload.to;
    case 'asana.create-task':
      return 'asana release project';
    default:
      return `asana task ${payload.taskGid}`;
  }
}

const yesNo: Record<string, string> = { true: 'Y', false: 'N' };

/** One line that says what the message is, for the release page. */
export function summaryOf(payload: MessagePayload): string {
  switch (payload.kind) {
    case 'slack.post':
    case 'slack.direct':
    case 'asana.comment':
      return payload.text.split('\n')[0].slice(0, 300);
    case 'asana.fields':
      return Object.entries(payload.values)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}: ${yesNo[String(v)] ?? v}`)
        .join(', ')
        .slice(0, 300);
    case 'asana.create-task':
      return `create the task "${payload.task.name}"`.slice(0, 300);
    default:
      return 'complete the task';
  }
}
