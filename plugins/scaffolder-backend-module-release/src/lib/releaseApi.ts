import type {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import type {
  CreateReleaseRequest,
  QueueReleaseMessageRequest,
  Release,
  ReleaseLink,
  ReleaseMessage,
  ReleaseNotes,
} from '@internal/plugin-release-common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the release API said, from its Backstage error body or the start of its text. */
async function reasonOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text);
    const message = body?.error?.message ?? body?.message;
    if (typeof message === 'string' && message) return message;
  } catch {
    // not JSON: the text says it
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 300) || response.statusText;
}

/**
 * The release backend's API (`/api/release`), called as the user who runs the template: a token for
 * the release plugin on behalf of the task's initiator, so its permission and policy checks see them.
 */
export class ReleaseApi {
  constructor(
    private readonly options: {
      discovery: DiscoveryService;
      auth: AuthService;
    },
  ) {}

  private async call<T>(
    credentials: BackstageCredentials,
    what: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const { token } = await this.options.auth.getPluginRequestToken({
      onBehalfOf: credentials,
      targetPluginId: 'release',
    });
    const base = await this.options.discovery.getBaseUrl('release');
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.ok) return (await response.json()) as T;
    const said = `release API: ${what} refused (HTTP ${
      response.status
    }): ${await reasonOf(response)}`;
    switch (response.status) {
      case 400:
        throw new InputError(said);
      case 401:
      case 403:
        throw new NotAllowedError(said);
      case 404:
        throw new NotFoundError(said);
      case 409:
        throw new ConflictError(said);
      default:
        throw new Error(said);
    }
  }

  create(credentials: BackstageCredentials, request: CreateReleaseRequest) {
    return this.call<Release>(
      credentials,
      'create release',
      'POST',
      '/releases',
      request,
    );
  }

  /**
   * The release a create request would make, stored nowhere (same checks as create); the backend
   * records the dry run in its audit trail.
   */
  preview(credentials: BackstageCredentials, request: CreateReleaseRequest) {
    return this.call<{ release: Release; notes: ReleaseNotes }>(
      credentials,
      'preview release',
      'POST',
      '/preview?dryRun=true',
      request,
    );
  }

  get(credentials: BackstageCredentials, id: string) {
    return this.call<Release>(
      credentials,
      `read release ${id}`,
      'GET',
      `/releases/${checkReleaseId(id)}`,
    );
  }

  /** Records a link on the release; one it already has is kept once. */
  addLink(credentials: BackstageCredentials, id: string, link: ReleaseLink) {
    return this.call<Release>(
      credentials,
      `link ${link.title} to release ${id}`,
      'POST',
      `/releases/${checkReleaseId(id)}/links`,
      link,
    );
  }

  /**
   * Queues a Slack post or an Asana write of the release in the backend's outbox, which sends it
   * (at once, or after an outage); the same key answers with the message it queued first.
   */
  queueMessage(
    credentials: BackstageCredentials,
    id: string,
    message: QueueReleaseMessageRequest,
  ) {
    return this.call<ReleaseMessage>(
      credentials,
      `queue a ${message.kind} message of release ${id}`,
      'POST',
      `/releases/${checkReleaseId(id)}/messages`,
      message,
    );
  }

  notes(credentials: BackstageCredentials, id: string) {
    return this.call<ReleaseNotes>(
      credentials,
      `read the notes of release ${id}`,
      'GET',
      `/releases/${checkReleaseId(id)}/notes`,
    );
  }
}

/** A release id from the input, checked before it becomes part of a URL. */
export function checkReleaseId(id: string, field = 'releaseId'): string {
  if (!UUID.test(id)) {
    throw new InputError(`${field} must be a release id (a UUID), got '${id}'`);
  }
  return id;
}

/**
 * The outbox key of what one step of one scaffolder task asks for: a rerun of that step (a retried
 * task) queues nothing new.
 */
export function messageKeyOf(ctx: {
  task: { id: string };
  step?: { id?: string };
}): string {
  const step = (ctx.step?.id ?? 'step').replace(/[^A-Za-z0-9._-]/g, '-');
  return `${ctx.task.id}/${step}`.slice(0, 200);
}
