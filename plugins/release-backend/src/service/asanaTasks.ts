import { ServiceUnavailableError } from '@backstage/errors';
import type { AsanaTaskList } from '@internal/plugin-release-common';
import type { ReleaseIntegrations } from '@internal/plugin-release-node';

/**
 * The release project's tasks the Prepare form offers as items. Any failure is a 503 that names
 * Asana, what failed and the API URL (never a credential), so the author knows whom to ask.
 */
export async function listAsanaTasks(
  integrations: Pick<ReleaseIntegrations, 'asana' | 'has'>,
  query: { q?: string; completed?: 'true' | 'false' },
): Promise<AsanaTaskList> {
  if (!integrations.has('asana')) {
    throw new ServiceUnavailableError(
      'Asana is not configured: set asana in app-config',
    );
  }
  let asana: ReleaseIntegrations['asana'];
  try {
    asana = integrations.asana;
  } catch (e) {
    throw new ServiceUnavailableError(
      `Asana is not set up: ${(e as Error).message}`,
    );
  }
  try {
    const list = await asana.listProjectTasks({
      query: query.q,
      includeCompleted: query.completed === 'true',
    });
    return {
      tasks: list.tasks.map(t => ({
        gid: t.gid,
        name: t.name,
        completed: t.completed,
        ...(t.permalinkUrl ? { url: t.permalinkUrl } : {}),
        ...(t.assignee?.name ? { assignee: t.assignee.name } : {}),
        ...(t.section?.name ? { section: t.section.name } : {}),
      })),
      truncated: list.truncated,
    };
  } catch (e) {
    // The client's error names Asana, the URL and the cause.
    throw new ServiceUnavailableError((e as Error).message);
  }
}
