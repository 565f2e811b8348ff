import type { HttpAuthService } from '@backstage/backend-plugin-api';
import type { BasicPermission } from '@backstage/plugin-permission-common';
import type { JsonObject } from '@backstage/types';
import type { Request } from 'express';
import type { Actor, ReleaseDoors, RequestContext } from './service/doors';

/** The REST routes' door: the request's token and headers, handed to the doors' one way of doing it. */
export interface HttpDoor {
  actorOf(req: Request, permission?: BasicPermission): Promise<Actor>;
  /** Which of these permissions the caller holds. */
  allowed(req: Request, permissions: BasicPermission[]): Promise<boolean[]>;
  /** Runs a write with its context, the Backstage auditor watching. */
  audited<T>(
    req: Request,
    eventId: string,
    meta: JsonObject,
    run: (ctx: RequestContext) => Promise<T>,
  ): Promise<T>;
}

export function httpDoor(
  doors: ReleaseDoors,
  httpAuth: HttpAuthService,
): HttpDoor {
  return {
    async actorOf(req, permission) {
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      return doors.actorOf(credentials, permission);
    },
    async allowed(req, permissions) {
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      return doors.allowed(credentials, permissions);
    },
    audited(req, eventId, meta, run) {
      const ctx = doors.contextOf({ requestId: req.header('x-request-id') });
      return doors.audited({ eventId, ctx, meta, request: req }, () =>
        run(ctx),
      );
    },
  };
}
