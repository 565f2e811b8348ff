import { ConfigReader } from '@backstage/config';
import type { ReleaseBuild } from '@internal/plugin-release-common';
import { SystemError } from '../http/SystemError';
import type { JenkinsBuild } from '../jenkins/JenkinsClient';
import { readReleaseLayout } from '../layout';
import {
  resolveRunningCommit,
  type RecordedImageBuild,
  type RunningCommitSources,
} from './runningCommit';

const layout = readReleaseLayout(new ConfigReader({}));
const JOB = layout.apps.hybris.build.jenkinsJob;
const BRANCH = 'deploy-2026-02-05';
const TAG = `${BRANCH}-3`;
/** What the build of TAG checked out, and where the branch went after. */
const BUILT = '1'.repeat(40);
const MOVED_ON = '2'.repeat(40);
const BUILD_URL = 'https://jenkins.kop.example/job/kop/job/hybris-build/3/';
/** Build #3 of the hybris job, as an answer names it. */
const BUILD_3 = { job: JOB, number: 3, url: BUILD_URL };

/** GitLab's kop/hybris (and kop/cms) with these refs; any of their commits resolves to itself. */
function gitlabWith(refs: Record<string, string>) {
  const commits = new Set([BUILT, MOVED_ON, ...Object.values(refs)]);
  return {
    resolveRef: jest.fn(async (_project: string, ref: string) =>
      commits.has(ref) ? ref : refs[ref],
    ),
    projectUrl: (project: string, page?: string) =>
      `https://gitlab.kop.example/${project}/-/${page}`,
  };
}

/** Jenkins' hybris job with these builds, each with the tag its image-tag.txt holds. */
function jenkinsWith(
  builds: Array<Partial<JenkinsBuild> & { number: number; tag?: string }>,
) {
  const notFound = (action: string) =>
    new SystemError({
      system: 'Jenkins',
      action,
      status: 404,
      detail: 'not found',
    });
  const find = (job: string, number: number) =>
    builds.find(b => job === JOB && b.number === number);
  return {
    getBuild: jest.fn(async (job: string, number: number) => {
      const b = find(job, number);
      if (!b) throw notFound(`read ${job} #${number}`);
      return {
        job,
        building: false,
        result: 'SUCCESS' as const,
        url: BUILD_URL.replace('/3/', `/${number}/`),
        consoleUrl: '',
        parameters: { BRANCH },
        artifacts: [],
        durationMs: 1,
        revisions: [],
        ...b,
      };
    }),
    readImageTag: jest.fn(async (job: string, number: number) => {
      const tag = find(job, number)?.tag;
      if (!tag) throw notFound(`read the image tag of ${job} #${number}`);
      return tag;
    }),
  };
}

const checkedOut = (sha: string, branch = BRANCH) => [
  { sha, branches: [`refs/remotes/origin/${branch}`] },
];

/** A successful build release r-1 recorded for TAG. */
function recorded(build: Partial<ReleaseBuild> = {}): RecordedImageBuild {
  return {
    releaseId: 'r-1',
    build: {
      app: 'hybris',
      version: BRANCH,
      system: 'jenkins',
      job: JOB,
      buildNumber: 3,
      imageTag: TAG,
      url: BUILD_URL,
      result: 'success',
      at: '2026-02-05T01:00:00.000Z',
      ...build,
    },
  };
}

function sources(
  more: Partial<RunningCommitSources> & {
    gitlab?: ReturnType<typeof gitlabWith>;
  } = {},
): RunningCommitSources {
  return {
    gitlab: gitlabWith({ [BRANCH]: MOVED_ON }),
    layout,
    ...more,
  };
}

const commitUrl = (sha: string, project = 'kop/hybris') =>
  `https://gitlab.kop.example/${project}/-/commit/${sha}`;

/** The answer for the commit BUILT, that this build built. */
const builtBy = (build: object) => ({
  sha: BUILT,
  commit: { from: 'build', url: commitUrl(BUILT), build },
  warnings: [],
});

describe('resolveRunningCommit', () => {
  it('takes the commit a release recorded with the build that pushed the tag, without asking Jenkins, whatever the branch holds now', async () => {
    const jenkins = jenkinsWith([]);
    const found = await resolveRunningCommit(
      'hybris',
      TAG,
      sources({
        jenkins: () => jenkins,
        recordedBuild: async (app, tag) =>
          app === 'hybris' && tag === TAG
            ? recorded({ commit: BUILT })
            : undefined,
      }),
    );
    expect(found).toEqual(builtBy({ ...BUILD_3, releaseId: 'r-1' }));
    expect(jenkins.getBuild).not.toHaveBeenCalled();
  });

  it("asks Jenkins' git data of the build a release recorded without its commit", async () => {
    const jenkins = jenkinsWith([
      { number: 3, tag: TAG, revisions: checkedOut(BUILT) },
    ]);
    const found = await resolveRunningCommit(
      'hybris',
      TAG,
      sources({
        jenkins: () => jenkins,
        recordedBuild: async () => recorded(),
      }),
    );
    expect(found).toEqual(builtBy({ ...BUILD_3, releaseId: 'r-1' }));
  });

  it('finds the build the tag names in Jenkins once its image-tag.txt holds exactly that tag', async () => {
    const jenkins = jenkinsWith([
      { number: 3, tag: TAG, revisions: checkedOut(BUILT) },
    ]);
    const found = await resolveRunningCommit(
      'hybris',
      TAG,
      sources({ jenkins: () => jenkins, recordedBuild: async () => undefined }),
    );
    expect(found).toEqual(builtBy(BUILD_3));
    expect(jenkins.readImageTag).toHaveBeenCalledWith(JOB, 3);
  });

  it('takes a deploy branch named like a build tag as the branch when the build of that number pushed another tag', async () => {
    const branch = 'deploy-2026-02-05-3';
    const jenkins = jenkinsWith([
      { number: 3, tag: 'deploy-2026-01-08-3', revisions: checkedOut(BUILT) },
    ]);
    const found = await resolveRunningCommit(
      'hybris',
      branch,
      sources({
        gitlab: gitlabWith({ [branch]: MOVED_ON }),
        jenkins: () => jenkins,
      }),
    );
    expect(found).toEqual({
      sha: MOVED_ON,
      commit: { from: 'ref', ref: branch, url: commitUrl(MOVED_ON) },
      warnings: [],
    });
  });

  it('reads a deploy branch that runs as itself, asking no build', async () => {
    const jenkins = jenkinsWith([]);
    const found = await resolveRunningCommit(
      'hybris',
      BRANCH,
      sources({ jenkins: () => jenkins }),
    );
    expect(found).toMatchObject({
      sha: MOVED_ON,
      commit: { from: 'ref', ref: BRANCH },
      warnings: [],
    });
    expect(jenkins.getBuild).not.toHaveBeenCalled();
  });

  it('falls back to the head of the branch the build built, saying so, when the build has no git data, even if a ref is named like the tag', async () => {
    const jenkins = jenkinsWith([{ number: 3, tag: TAG }]);
    const found = await resolveRunningCommit(
      'hybris',
      TAG,
      sources({
        gitlab: gitlabWith({ [BRANCH]: MOVED_ON, [TAG]: BUILT }),
        jenkins: () => jenkins,
      }),
    );
    expect(found).toEqual({
      sha: MOVED_ON,
      commit: {
        from: 'branch',
        ref: BRANCH,
        url: commitUrl(MOVED_ON),
        build: BUILD_3,
      },
      warnings: [
        `hybris runs ${TAG}, and ${JOB} #3, which pushed ${TAG}, has no git data saying which commit it built: what ships is counted from the head of ${BRANCH} (22222222), which may have moved on since that build`,
      ],
    });
  });

  it.each([
    [
      'no release and no Jenkins build pushed it',
      () => jenkinsWith([]),
      [
        `hybris runs ${TAG}, and neither a release nor Jenkins has a build that pushed it: what ships is counted from the head of ${BRANCH} (22222222), which may have moved on since that build`,
      ],
    ],
    [
      'Jenkins is not configured',
      () => {
        throw new Error('Jenkins is not configured: set jenkins in app-config');
      },
      [
        'Jenkins is not configured: set jenkins in app-config',
        `hybris runs ${TAG}, and no release recorded a build that pushed it, and Jenkins was not asked: what ships is counted from the head of ${BRANCH} (22222222), which may have moved on since that build`,
      ],
    ],
    [
      'Jenkins does not answer',
      () => ({
        getBuild: async () => {
          throw new SystemError({
            system: 'Jenkins',
            action: `read ${JOB} #3`,
            status: 503,
            detail: 'unexpected answer',
            retryable: true,
          });
        },
        readImageTag: async () => TAG,
      }),
      [
        `Jenkins: read ${JOB} #3 failed (HTTP 503): unexpected answer; the commit ${TAG} was built from could not be read`,
        `hybris runs ${TAG}, and no release recorded a build that pushed it, and Jenkins was not asked: what ships is counted from the head of ${BRANCH} (22222222), which may have moved on since that build`,
      ],
    ],
  ])(
    'falls back to the head of the deploy branch the tag names, saying so, when %s',
    async (_case, jenkins, warnings) => {
      const found = await resolveRunningCommit(
        'hybris',
        TAG,
        sources({ jenkins }),
      );
      expect(found).toEqual({
        sha: MOVED_ON,
        commit: { from: 'branch', ref: BRANCH, url: commitUrl(MOVED_ON) },
        warnings,
      });
    },
  );

  it('goes on to Jenkins when the releases cannot be read or recorded a commit GitLab lacks', async () => {
    const jenkins = jenkinsWith([
      { number: 3, tag: TAG, revisions: checkedOut(BUILT) },
    ]);
    const unread = await resolveRunningCommit(
      'hybris',
      TAG,
      sources({
        jenkins: () => jenkins,
        recordedBuild: async () => {
          throw new Error('database is locked');
        },
      }),
    );
    expect(unread).toMatchObject({
      sha: BUILT,
      commit: { from: 'build' },
      warnings: [
        `The releases' builds could not be read (database is locked); Jenkins is asked which build pushed ${TAG}`,
      ],
    });
    const lost = '9'.repeat(40);
    const unknown = await resolveRunningCommit(
      'hybris',
      TAG,
      sources({
        jenkins: () => jenkins,
        recordedBuild: async () => recorded({ commit: lost }),
      }),
    );
    expect(unknown).toMatchObject({
      sha: BUILT,
      commit: { from: 'build', build: { releaseId: 'r-1', number: 3 } },
      warnings: [
        `${JOB} #3, recorded by release r-1, built ${lost}, which is not a commit of kop/hybris`,
      ],
    });
  });

  it('reads a cms or web version as a ref only, and answers nothing for one GitLab lacks', async () => {
    const cms = 'c'.repeat(40);
    const gitlab = gitlabWith({ 'v1.4.0': cms });
    const jenkins = jenkinsWith([]);
    expect(
      await resolveRunningCommit(
        'cms',
        'v1.4.0',
        sources({ gitlab, jenkins: () => jenkins }),
      ),
    ).toEqual({
      sha: cms,
      commit: { from: 'ref', ref: 'v1.4.0', url: commitUrl(cms, 'kop/cms') },
      warnings: [],
    });
    expect(
      await resolveRunningCommit(
        'cms',
        'v1.4.0-3',
        sources({ gitlab, jenkins: () => jenkins }),
      ),
    ).toBeUndefined();
    expect(jenkins.getBuild).not.toHaveBeenCalled();
    expect(
      await resolveRunningCommit(
        'hybris',
        'deploy-2026-03-01-2',
        sources({ jenkins: () => jenkins }),
      ),
    ).toBeUndefined();
  });
});
