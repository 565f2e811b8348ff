import { InputError, ServiceUnavailableError } from '@backstage/errors';
import type { ReleaseApp } from '@internal/plugin-release-common';
import type {
  JenkinsBuild,
  ReleaseIntegrations,
  ReleaseLayout,
} from '@internal/plugin-release-node';
import { isBuildOf } from './candidates';

/**
 * Looks each version of a release up where it lives; throws a 400 naming `apps[i].version` for
 * one that does not exist, a 503 naming the system when it cannot be asked.
 */
export type VersionCheck = (
  apps: ReadonlyArray<{ app: ReleaseApp; version: string }>,
) => Promise<void>;

/** How far back a hybris version's build is looked for, newest first (a rollback may be old). */
const BUILDS_SCANNED = 1000;

const DEPLOY_BRANCH = /^deploy-/;

/** A build a release can ship: it succeeded, or is still running. */
const usable = (b: JenkinsBuild) => b.building || b.result === 'SUCCESS';

/** The system could not answer, so the version is neither known nor refused. */
class Unreachable extends Error {}

async function ask<T>(system: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const message = (e as Error).message;
    // Client errors start with the system's name; a missing config says "<system> is not configured".
    throw new Unreachable(
      message.startsWith(system) ? message : `${system}: ${message}`,
    );
  }
}

/**
 * hybris: the deploy branch (or tag) is in the app's GitLab project and Jenkins built it, or is
 * building it; with `buildsFirst` (release.plan.build) a branch Jenkins has not built is taken
 * too, since the release's build step builds it. cms and web: the commit SHA or tag is in the
 * app's project.
 */
export function releaseVersionCheck(
  integrations: Pick<ReleaseIntegrations, 'gitlab' | 'jenkins'>,
  layout: ReleaseLayout,
  options: { buildsFirst?: boolean } = {},
): VersionCheck {
  async function problemOf(app: ReleaseApp, version: string) {
    if (app !== 'hybris') {
      const repo = layout.apps[app].repo;
      const sha = await ask('GitLab', () =>
        integrations.gitlab.resolveRef(repo, version),
      );
      return sha ? undefined : `'${version}' is not a commit or tag of ${repo}`;
    }
    const { repo, build } = layout.apps.hybris;
    const [found, builds] = await Promise.all([
      ask('GitLab', async () =>
        DEPLOY_BRANCH.test(version)
          ? Boolean(await integrations.gitlab.branch(repo, version))
          : Boolean(await integrations.gitlab.resolveRef(repo, version)),
      ),
      options.buildsFirst
        ? undefined
        : ask('Jenkins', () =>
            integrations.jenkins.searchBuilds(
              build.jenkinsJob,
              b => isBuildOf(b, version) && usable(b),
              BUILDS_SCANNED,
            ),
          ),
    ]);
    if (!found) return `'${version}' is not a branch or tag of ${repo}`;
    if (!builds) return undefined;
    const ofVersion = builds.filter(b => isBuildOf(b, version));
    if (ofVersion.length === 0) {
      return `'${version}' has no Jenkins build among the newest ${BUILDS_SCANNED} of ${build.jenkinsJob}`;
    }
    if (!ofVersion.some(usable)) {
      const newest = ofVersion[0];
      return `no Jenkins build of '${version}' in ${build.jenkinsJob} succeeded (the newest, #${newest.number}, is ${newest.result})`;
    }
    return undefined;
  }

  return async apps => {
    const outcomes = await Promise.allSettled(
      apps.map(a => problemOf(a.app, a.version)),
    );
    const refused: string[] = [];
    const unreachable: string[] = [];
    outcomes.forEach((outcome, i) => {
      const field = `apps[${i}].version`;
      if (outcome.status === 'fulfilled') {
        if (outcome.value) refused.push(`${field}: ${outcome.value}`);
      } else if (outcome.reason instanceof Unreachable) {
        unreachable.push(
          `${field}: cannot be checked: ${outcome.reason.message}`,
        );
      } else {
        throw outcome.reason;
      }
    });
    // A version known to be missing is the caller's to fix, whatever else could not be asked.
    if (refused.length) throw new InputError(refused.join('; '));
    if (unreachable.length) {
      throw new ServiceUnavailableError(unreachable.join('; '));
    }
  };
}
