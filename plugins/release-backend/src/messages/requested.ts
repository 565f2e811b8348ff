import { ConflictError, InputError } from '@backstage/errors';
import {
  renderReleaseNotes,
  type GradePolicy,
  type QueueReleaseMessageRequest,
  type Release,
} from '@internal/plugin-release-common';
import { asanaTaskOf } from './mapAuditRow';
import type { OutgoingMessage } from './types';

/** What a person's message about a release may use: the configured channels and systems. */
export interface RequestedMessageSettings {
  /** release.notify.slack: audience → channel. */
  channels: Record<string, string>;
  policy: GradePolicy;
  portalUrl: string;
  systems: { slack: boolean; asana: boolean };
}

const notConfigured = (system: string) =>
  new InputError(`kind: ${system} is not configured on this portal`);

/** The outbox key of a request: scoped to the release and kind, so one request's key never answers for another. */
export const requestedKey = (
  releaseId: string,
  request: Pick<QueueReleaseMessageRequest, 'kind' | 'key'>,
) => `request/${releaseId}/${request.kind}/${request.key}`;

/**
 * The outbox message a person asks for on a release (a form's step), checked against what the
 * portal allows: a Slack channel of release.notify.slack only, the release's own Asana task only.
 */
export function requestedMessage(
  request: QueueReleaseMessageRequest,
  release: Release,
  requestedBy: string,
  settings: RequestedMessageSettings,
): OutgoingMessage {
  const key = requestedKey(release.id, request);
  switch (request.kind) {
    case 'slack.post': {
      if (!settings.systems.slack) throw notConfigured('Slack');
      const audience = Object.keys(settings.channels).find(
        a => settings.channels[a] === request.channel,
      );
      if (!audience) {
        const known = [...new Set(Object.values(settings.channels))];
        throw new InputError(
          `channel: '${
            request.channel
          }' is not a channel of release.notify.slack (${
            known.join(', ') || 'none set'
          })`,
        );
      }
      return {
        key,
        releaseId: release.id,
        audience,
        payload: {
          kind: 'slack.post',
          channel: request.channel,
          text: request.text,
        },
      };
    }
    case 'asana.comment': {
      if (!settings.systems.asana) throw notConfigured('Asana');
      const own = asanaTaskOf(release);
      if (!own) {
        throw new ConflictError(
          `taskGid: release ${release.id} has no Asana task yet (kop:asana:task queues it; the Messages card shows when it is made)`,
        );
      }
      if (request.taskGid && request.taskGid !== own) {
        throw new InputError(
          `taskGid: ${request.taskGid} is not the Asana task of release ${release.id} (${own})`,
        );
      }
      return {
        key,
        releaseId: release.id,
        audience: 'asana',
        payload: { kind: 'asana.comment', taskGid: own, text: request.text },
      };
    }
    default: {
      if (!settings.systems.asana) throw notConfigured('Asana');
      const own = release.links.find(l => l.title === 'Asana');
      if (own) {
        throw new ConflictError(
          `kind: release ${release.id} has its Asana task already (${own.url})`,
        );
      }
      const notes =
        request.notes ??
        renderReleaseNotes(release, settings.policy, {
          portalUrl: settings.portalUrl,
        }).asana;
      return {
        key,
        releaseId: release.id,
        audience: 'asana',
        payload: {
          kind: 'asana.create-task',
          releaseId: release.id,
          requestedBy,
          task: {
            name: request.name ?? release.title,
            notes,
            grade: request.grade ?? release.grade,
            dbUpdate: request.dbUpdate ?? release.dbUpdate,
            ...(request.buildNumber
              ? { buildNumber: request.buildNumber }
              : {}),
          },
        },
      };
    }
  }
}
