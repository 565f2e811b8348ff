import {
  SystemError,
  type AsanaClient,
  type SlackClient,
} from '@internal/plugin-release-node';
import type { MessagePeople } from './people';
import {
  DeliveryError,
  type MessagePayload,
  type MessageSender,
} from './types';

/** The line a release's Asana task carries in its notes, so a task made before a crash is found again. */
export const releaseIdLine = (releaseId: string) => `Release-Id: ${releaseId}`;

/** Records a link on the release through the release core, on behalf of the person who asked. */
export type ReleaseLinkRecorder = (
  releaseId: string,
  link: { title: string; url: string },
  onBehalfOf: string,
) => Promise<void>;

/**
 * Creates the release's Asana task once: one made by an earlier try (its notes carry the release
 * id) is found and not made again; then its link is recorded on the release.
 */
async function createReleaseTask(
  asana: Pick<AsanaClient, 'createReleaseTask' | 'findOpenTaskByNotes'>,
  payload: Extract<MessagePayload, { kind: 'asana.create-task' }>,
  linkTask: ReleaseLinkRecorder,
): Promise<void> {
  const marker = releaseIdLine(payload.releaseId);
  const task =
    (await asana.findOpenTaskByNotes(marker)) ??
    (await asana.createReleaseTask({
      ...payload.task,
      notes: payload.task.notes ? `${payload.task.notes}\n\n${marker}` : marker,
    }));
  if (!task.permalinkUrl) {
    throw new DeliveryError(
      `Asana gave task ${task.gid} no permalink to record on the release`,
      false,
    );
  }
  await linkTask(
    payload.releaseId,
    { title: 'Asana', url: task.permalinkUrl },
    payload.requestedBy,
  );
}

/**
 * Sends a message with the real clients: Slack posts and direct messages (a user ref is found by
 * its catalog e-mail), Asana comments, fields and completion. A client's failure becomes a
 * DeliveryError saying whether to try again and, after a 429, not before when.
 */
export function createMessageSender(options: {
  /** Looked up per send: a bad setting keeps messages waiting, not the backend down. */
  slack: () => Pick<
    SlackClient,
    'postMessage' | 'sendDirectMessage' | 'rateLimitedUntil'
  >;
  asana: () => Pick<
    AsanaClient,
    | 'addComment'
    | 'updateReleaseFields'
    | 'completeTask'
    | 'createReleaseTask'
    | 'findOpenTaskByNotes'
    | 'rateLimitedUntil'
  >;
  people: Pick<MessagePeople, 'emailOf'>;
  /** Where a created task's link goes: without it, tasks are not created. */
  linkTask?: ReleaseLinkRecorder;
}): MessageSender {
  const failure = (e: unknown, limitedUntil: () => number) => {
    if (e instanceof DeliveryError) return e;
    const message = (e as Error)?.message ?? String(e);
    const retryable = e instanceof SystemError ? e.retryable : true;
    let notBefore = 0;
    try {
      notBefore = limitedUntil();
    } catch {
      // A client that cannot be made has no rate limit to tell.
    }
    return new DeliveryError(message, retryable, notBefore);
  };
  const send: MessageSender = async payload => {
    if (payload.kind === 'slack.post' || payload.kind === 'slack.direct') {
      try {
        const slack = options.slack();
        if (payload.kind === 'slack.post') {
          await slack.postMessage({
            channel: payload.channel,
            text: payload.text,
          });
          return;
        }
        const email = payload.to.includes('@')
          ? payload.to
          : await options.people.emailOf(payload.to);
        if (!email) {
          throw new DeliveryError(
            `no e-mail address for ${payload.to} in the catalog, so no Slack user to write to`,
            false,
          );
        }
        await slack.sendDirectMessage({ email, text: payload.text });
      } catch (e) {
        throw failure(e, () => options.slack().rateLimitedUntil);
      }
      return;
    }
    try {
      const asana = options.asana();
      switch (payload.kind) {
        case 'asana.comment':
          await asana.addComment(payload.taskGid, payload.text);
          break;
        case 'asana.fields':
          await asana.updateReleaseFields(payload.taskGid, payload.values);
          break;
        case 'asana.complete':
          await asana.completeTask(payload.taskGid);
          break;
        case 'asana.create-task':
          if (!options.linkTask) {
            throw new DeliveryError(
              'no release core here to record the task on',
              false,
            );
          }
          await createReleaseTask(asana, payload, options.linkTask);
          break;
        default:
          throw new DeliveryError('unknown message kind', false);
      }
    } catch (e) {
      throw failure(e, () => options.asana().rateLimitedUntil);
    }
  };
  send.notBefore = system => {
    try {
      if (system === 'slack') return options.slack().rateLimitedUntil;
      if (system === 'asana') return options.asana().rateLimitedUntil;
    } catch {
      // A client that cannot be made has no rate limit to tell.
    }
    return 0;
  };
  return send;
}
