import type { Request, Router } from 'express';
import {
  queueReleaseMessageRequestSchema,
  releaseCreatePermission,
  type ReleaseMessage,
} from '@internal/plugin-release-common';
import type { HttpDoor } from './httpDoor';
import type { MessageOutbox } from './messages/MessageOutbox';
import {
  requestedKey,
  requestedMessage,
  type RequestedMessageSettings,
} from './messages/requested';
import { destinationOf } from './messages/types';
import { publicView, type ReleaseService } from './service/ReleaseService';
import { parse } from './schemas';

/**
 * POST /releases/:id/messages: the forms' Slack posts and Asana writes, queued in the release
 * messages' outbox as the user, never sent from the form itself: a key queued once answers with
 * the same message, and the Messages card shows its delivery.
 */
export function addMessageRoutes(
  router: Router,
  options: {
    door: HttpDoor;
    idOf(req: Request): string;
    releases: Pick<ReleaseService, 'queueMessage'>;
    outbox: Pick<MessageOutbox, 'enqueue' | 'getByKey'>;
    settings: RequestedMessageSettings;
  },
) {
  const { door, idOf, releases, outbox, settings } = options;

  router.post('/releases/:id/messages', async (req, res) => {
    const actor = await door.actorOf(req, releaseCreatePermission);
    const id = idOf(req);
    const body = parse(queueReleaseMessageRequestSchema, req.body, 'body');
    const key = requestedKey(id, body);
    // Filled in once the message is made: the audit row names where it goes.
    const meta: Record<string, unknown> = { kind: body.kind, key: body.key };
    await door.audited(
      req,
      'release-message',
      { releaseId: id, kind: body.kind },
      ctx =>
        releases.queueMessage(actor, id, ctx, {
          meta,
          async queue(release, tx) {
            // A rerun of the step that asked finds its message: nothing new, whatever changed since.
            if (await outbox.getByKey(key, tx)) return false;
            const message = requestedMessage(
              body,
              publicView(release),
              actor.ref,
              settings,
            );
            meta.audience = message.audience;
            meta.destination = destinationOf(message.payload);
            await outbox.enqueue([message], tx);
            return true;
          },
        }),
    );
    const queued = await outbox.getByKey(key);
    res.status(202).json(queued satisfies ReleaseMessage | undefined);
  });
}
