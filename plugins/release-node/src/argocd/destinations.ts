import type { v1alpha1ApplicationDestination } from './types';

function glob(pattern: string, value: string): boolean {
  const re = pattern
    .split('')
    .map(c => {
      if (c === '*') return '.*';
      if (c === '?') return '.';
      return c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${re}$`).test(value);
}

/** Argo CD's glob with `!` negation (util/glob + the project's deny destinations). */
function globMatch(pattern: string | undefined, value: string): boolean {
  const p = pattern ?? '';
  if (p.startsWith('!')) return !glob(p.slice(1), value);
  return glob(p, value);
}

const isDeny = (pattern: string | undefined) => !!pattern?.startsWith('!');

/**
 * Whether an AppProject's destinations allow an app's destination, following Argo CD's
 * `AppProject.IsDestinationPermitted`: a server (or cluster name) and namespace must match one entry,
 * and a matching deny entry (`!ns`) refuses at once.
 *
 * @public
 */
export function isDestinationPermitted(
  projectDestinations: v1alpha1ApplicationDestination[] | undefined,
  destination: v1alpha1ApplicationDestination | undefined,
): boolean {
  if (!destination) return false;
  const server = destination.server ?? '';
  const name = destination.name ?? '';
  const namespace = destination.namespace ?? '';
  let matched = false;
  for (const item of projectDestinations ?? []) {
    const nameMatched = name !== '' && globMatch(item.name, name);
    const serverMatched = server !== '' && globMatch(item.server, server);
    const namespaceMatched = globMatch(item.namespace, namespace);
    if ((serverMatched || nameMatched) && namespaceMatched) {
      matched = true;
    } else if (
      ((!nameMatched && isDeny(item.name)) ||
        (!serverMatched && isDeny(item.server))) &&
      namespaceMatched
    ) {
      return false;
    } else if (!namespaceMatched && isDeny(item.namespace) && serverMatched) {
      return false;
    }
  }
  return matched;
}

/** "server/namespace" (or "name/namespace") for messages. */
export function describeDestination(
  d: v1alpha1ApplicationDestination | undefined,
): string {
  if (!d) return '(none)';
  return `${d.server || d.name || '?'}/${d.namespace || ''}`;
}
