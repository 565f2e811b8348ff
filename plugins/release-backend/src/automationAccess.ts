import type {
  BackstageCredentials,
  HttpAuthService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import type express from 'express';

/** The read-only checks a token from `backend.auth.externalAccess` may call, and nothing else. */
export const automationChecks: readonly string[] = [
  '/health',
  '/setup-check',
  '/status',
];

/**
 * The subject of a caller that holds an external access token (a script, a smoke test), or
 * undefined: plugins call as `plugin:<id>`, external access tokens with their configured subject.
 */
export function externalSubjectOf(
  credentials: BackstageCredentials,
): string | undefined {
  const principal = credentials.principal as {
    type: string;
    subject?: string;
  };
  if (principal.type !== 'service') return undefined;
  const subject = principal.subject ?? '';
  return subject.startsWith('plugin:') ? undefined : subject;
}

/**
 * Refuses an external access token everything but GET of the checks, before any route runs, so a
 * route added later is closed to it too.
 */
export function automationGate(
  httpAuth: HttpAuthService,
): express.RequestHandler {
  return async (req, _res, next) => {
    // A token that cannot be read is left to the route's own check, which answers 401.
    const credentials = await httpAuth.credentials(req).catch(() => undefined);
    const subject = credentials && externalSubjectOf(credentials);
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (
      subject !== undefined &&
      !(read && automationChecks.includes(req.path))
    ) {
      throw new NotAllowedError(
        `${subject} calls with an external access token, which may only read ${automationChecks.join(
          ', ',
        )}; ${req.method} ${req.path} is not one of these checks`,
      );
    }
    next();
  };
}
