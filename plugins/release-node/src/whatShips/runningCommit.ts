import {
  isReleaseVersion,
  type DeployedCommit,
  type ReleaseApp,
  type ReleaseBuild,
} from '@internal/plugin-release-common';
import type { GitlabClient } from '../gitlab/GitlabClient';
import { SystemError } from '../http/SystemError';
import {
  builtCommitOf,
  type JenkinsBuild,
  type JenkinsClient,
} from '../jenkins/JenkinsClient';
import type { ReleaseLayout } from '../layout';

/** A hybris build a release recorded, found by the image tag it pushed. @public */
export interface RecordedImageBuild {
  releaseId: string;
  build: ReleaseBuild;
}

/** Where the commit of a running version is looked up. @public */
export interface RunningCommitSources {
  gitlab: Pick<GitlabClient, 'resolveRef' | 'projectUrl'>;
  layout: ReleaseLayout;
  /** The Jenkins that builds hybris; undefined (or throwing) when it is not configured. */
  jenkins?: () => Pick<JenkinsClient, 'getBuild' | 'readImageTag'> | undefined;
  /** The newest successful build a release recorded that pushed this image tag. */
  recordedBuild?: (
    app: ReleaseApp,
    imageTag: string,
  ) => Promise<RecordedImageBuild | undefined>;
}

/** @public */
export interface RunningCommit {
  sha: string;
  commit: DeployedCommit;
  warnings: string[];
}

/** `<deploy branch>-<build number>`, as the hybris job tags the image it pushes. */
const BUILD_TAG = /^(.+)-(\d{1,9})$/;

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The build a tag names by the job's convention: its branch and number, when the tag has that shape. */
function taggedBuild(
  tag: string,
): { branch: string; number: number } | undefined {
  const m = BUILD_TAG.exec(tag);
  if (!m || !isReleaseVersion('hybris', m[1])) return undefined;
  const number = Number(m[2]);
  return number >= 1 ? { branch: m[1], number } : undefined;
}

/** What was learned of the build that pushed the tag, short of its commit. */
interface BuildClue {
  build?: DeployedCommit['build'];
  /** The branch it was built from, for the fallback. */
  branch?: string;
  /** Why its commit is not known. */
  why: string;
}

/**
 * The commit the hybris build that pushed `tag` built, from the release that recorded the build
 * or from Jenkins' git data of that build: the build a release recorded with that tag, or else
 * the build the tag names (`<branch>-<number>`) once its `image-tag.txt` says it pushed exactly
 * that tag.
 */
async function builtCommit(
  tag: string,
  sources: RunningCommitSources,
  warnings: string[],
): Promise<{ sha: string; build: DeployedCommit['build'] } | BuildClue> {
  const { gitlab, layout } = sources;
  const project = layout.apps.hybris.repo;
  const known = async (sha: string, whose: string) => {
    const found = await gitlab.resolveRef(project, sha);
    if (!found) {
      warnings.push(
        `${whose} built ${sha}, which is not a commit of ${project}`,
      );
    }
    return found;
  };

  let recorded: RecordedImageBuild | undefined;
  try {
    recorded = await sources.recordedBuild?.('hybris', tag);
  } catch (e) {
    warnings.push(
      `The releases' builds could not be read (${messageOf(
        e,
      )}); Jenkins is asked which build pushed ${tag}`,
    );
  }
  if (recorded) {
    const { build, releaseId } = recorded;
    const about = {
      job: build.job,
      number: build.buildNumber,
      url: build.url,
      releaseId,
    };
    const whose = `${build.job} #${build.buildNumber}, recorded by release ${releaseId},`;
    const sha = build.commit && (await known(build.commit, whose));
    if (sha) return { sha, build: about };
  }

  const job = recorded?.build.job ?? layout.apps.hybris.build.jenkinsJob;
  const number = recorded?.build.buildNumber ?? taggedBuild(tag)?.number;
  let jenkins: Pick<JenkinsClient, 'getBuild' | 'readImageTag'> | undefined;
  try {
    jenkins = number === undefined ? undefined : sources.jenkins?.();
  } catch (e) {
    const message = messageOf(e);
    warnings.push(
      message.startsWith('Jenkins') ? message : `Jenkins: ${message}`,
    );
  }
  const clue = (asked: boolean): BuildClue =>
    recorded
      ? {
          build: {
            job,
            number: recorded.build.buildNumber,
            url: recorded.build.url,
            releaseId: recorded.releaseId,
          },
          branch: recorded.build.version,
          why: `release ${recorded.releaseId} recorded ${job} #${recorded.build.buildNumber} without the commit it built`,
        }
      : {
          why: asked
            ? `neither a release nor Jenkins has a build that pushed it`
            : `no release recorded a build that pushed it, and Jenkins was not asked`,
        };
  if (number === undefined) return clue(true);
  if (!jenkins) return clue(false);
  let seen: JenkinsBuild;
  try {
    seen = await jenkins.getBuild(job, number);
    // A release recorded the tag from this build's artifact; a tag's shape alone proves nothing.
    const pushed =
      recorded ||
      (seen.result === 'SUCCESS' &&
        (await jenkins.readImageTag(job, number)) === tag);
    if (!pushed) return clue(true);
  } catch (e) {
    if (e instanceof SystemError && e.status === 404) return clue(true);
    warnings.push(
      `${messageOf(e)}; the commit ${tag} was built from could not be read`,
    );
    return clue(false);
  }
  const branch = seen.parameters.BRANCH;
  const build = { ...clue(true).build, job, number, url: seen.url };
  const commit = builtCommitOf(seen, branch);
  const sha = commit && (await known(commit, `${job} #${number}`));
  if (sha) return { sha, build };
  return {
    build,
    branch: branch ?? recorded?.build.version,
    why: `${job} #${number}, which pushed ${tag}, has no git data saying which commit it built`,
  };
}

/**
 * The commit a version that runs is. cms and web run commits, and hybris once ran deploy
 * branches: those are refs of the app's project. hybris now runs the tag its build pushed: the
 * commit is the one that build built, as the release that recorded the build or Jenkins says, so
 * the deploy branch moving on since changes nothing. When no build says, the head of the deploy
 * branch the tag names is taken, with a warning that says so. Undefined when none of these is a
 * commit of the project.
 *
 * @public
 */
export async function resolveRunningCommit(
  app: ReleaseApp,
  version: string,
  sources: RunningCommitSources,
): Promise<RunningCommit | undefined> {
  const { gitlab, layout } = sources;
  const project = layout.apps[app].repo;
  const warnings: string[] = [];
  const answer = (
    sha: string,
    commit: Omit<DeployedCommit, 'url'>,
  ): RunningCommit => ({
    sha,
    commit: { ...commit, url: gitlab.projectUrl(project, `commit/${sha}`) },
    warnings,
  });

  const found =
    app === 'hybris'
      ? await builtCommit(version, sources, warnings)
      : undefined;
  if (found && 'sha' in found) {
    return answer(found.sha, { from: 'build', build: found.build });
  }
  // A build known to have pushed the tag says which branch, whatever the tag's name reads as.
  if (!found?.build) {
    const sha = await gitlab.resolveRef(project, version);
    if (sha) return answer(sha, { from: 'ref', ref: version });
  }
  if (!found) return undefined;
  const branch = found.branch ?? taggedBuild(version)?.branch;
  const sha = branch && (await gitlab.resolveRef(project, branch));
  if (!branch || !sha) return undefined;
  warnings.push(
    `hybris runs ${version}, and ${
      found.why
    }: what ships is counted from the head of ${branch} (${sha.slice(
      0,
      8,
    )}), which may have moved on since that build`,
  );
  return answer(sha, {
    from: 'branch',
    ref: branch,
    ...(found.build ? { build: found.build } : {}),
  });
}
