/**
 * The apps that make up the kop product. Config may describe them further; these names are what
 * every release, plan and audit row refers to.
 *
 * @public
 */
export const releaseApps = ['hybris', 'cms', 'web'] as const;

/** @public */
export type ReleaseApp = (typeof releaseApps)[number];

/** @public */
export function isReleaseApp(value: unknown): value is ReleaseApp {
  return (
    typeof value === 'string' &&
    (releaseApps as readonly string[]).includes(value)
  );
}

/**
 * The catalog annotation that marks a Component as a releasable kop app and names its strategy.
 *
 * @public
 */
export const RELEASE_STRATEGY_ANNOTATION = 'kop.release/strategy';

/**
 * Reads which kop app a catalog entity is, or undefined when it is not a releasable app.
 *
 * @public
 */
export function releaseAppOfEntity(entity: {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
}): ReleaseApp | undefined {
  if (entity.kind.toLocaleLowerCase('en-US') !== 'component') return undefined;
  if (!entity.metadata.annotations?.[RELEASE_STRATEGY_ANNOTATION])
    return undefined;
  return isReleaseApp(entity.metadata.name) ? entity.metadata.name : undefined;
}
