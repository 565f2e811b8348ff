import { ConfigReader } from '@backstage/config';
import { rmSync } from 'node:fs';
import { setupServer } from 'msw/node';
import { startSandbox } from 'sandbox';
// The sandbox package's entry does not export its stand-ins yet; the GitLab one lives here.
import {
  gitlabService,
  hybrisColourValues,
  hybrisSwitchValues,
  sandboxGitlabTokens,
  seedFacts,
} from 'sandbox';
import { SystemError } from '../http/SystemError';
import { createFakeGitlab, type FakeFault } from './__testUtils__/fakeGitlab';
import { GitlabClient, type GitlabFiles } from './GitlabClient';
import { spliceYamlValues } from '../iac/spliceYamlValues';
import { EditConflictError, type YamlScalar } from './yamlEdit';

const enc = encodeURIComponent;
const IAC = 'kop/kop-deploy-prod';
const GREEN = 'hybris/values-green.yaml';
const RACE_400 = { message: 'reference does not point to expected object' };

/** A GitLab the contract suite runs against, and the knobs it needs. */
interface World {
  apiBaseUrl: string;
  /** Moves the clock pipelines are judged by. */
  advance(ms: number): void;
  /** The next `count` calls of `method` on an API path (after /api/v4) answer this instead. */
  fault(f: FakeFault): void;
  clearFaults(): void;
  stop(): Promise<void>;
}

const worlds: Array<[string, () => Promise<World>]> = [
  [
    'msw handlers answering as GitLab documents',
    async () => {
      const apiBaseUrl = 'https://gitlab.kop.example/api/v4';
      const fake = createFakeGitlab({
        apiBaseUrl,
        tokens: sandboxGitlabTokens,
        iacFiles: {
          'hybris/values-blue.yaml': hybrisColourValues(
            'blue',
            seedFacts.hybris.running,
            9,
          ),
          [GREEN]: hybrisColourValues('green', seedFacts.hybris.idle, 0),
          'hybris/values.yaml': hybrisSwitchValues('blue'),
        },
      });
      const server = setupServer(...fake.handlers);
      server.listen({ onUnhandledRequest: 'error' });
      return {
        apiBaseUrl,
        advance: ms => fake.advance(ms),
        fault: f => fake.addFault(f),
        clearFaults: () => fake.clearFaults(),
        stop: async () => server.close(),
      };
    },
  ],
  [
    'the sandbox GitLab (real git repositories)',
    async () => {
      let clock = Date.parse('2026-01-08T01:00:00Z');
      const sandbox = await startSandbox({
        timeScale: 1,
        services: [ctx => gitlabService(ctx, undefined, { now: () => clock })],
      });
      return {
        apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
        advance: ms => {
          clock += ms;
        },
        fault: f =>
          sandbox.context.faults.add({ ...f, path: `/gitlab/api/v4${f.path}` }),
        clearFaults: () => sandbox.context.faults.clear(),
        stop: async () => {
          await sandbox.close();
          rmSync(sandbox.context.dataDir, { recursive: true, force: true });
        },
      };
    },
  ],
];

describe.each(worlds)('GitlabClient against %s', (_name, makeWorld) => {
  let world: World;
  let requests: Array<{ method: string; url: string; body?: string }>;
  let sleeps: number[];
  let beforeCommit: (() => Promise<void>) | undefined;

  /** Records every call the client makes; can let "someone else" act just before our commit. */
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? 'GET';
    requests.push({
      method,
      url,
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    if (
      method === 'POST' &&
      url.endsWith('/repository/commits') &&
      beforeCommit
    ) {
      const hook = beforeCommit;
      beforeCommit = undefined;
      await hook();
    }
    return fetch(input, init);
  };

  const client = (
    token: string = sandboxGitlabTokens.maintainer,
    extra: Partial<ConstructorParameters<typeof GitlabClient>[0]> = {},
  ) =>
    new GitlabClient({
      apiBaseUrl: world.apiBaseUrl,
      token,
      fetchImpl: recordingFetch,
      sleep: async ms => {
        sleeps.push(ms);
      },
      ...extra,
    });
  /** Someone else at GitLab: no recording, no hooks. */
  const someoneElse = () =>
    new GitlabClient({
      apiBaseUrl: world.apiBaseUrl,
      token: sandboxGitlabTokens.maintainer,
    });

  const commitPosts = () =>
    requests.filter(
      r => r.method === 'POST' && r.url.endsWith('/repository/commits'),
    );
  const fileReads = (path: string) =>
    requests.filter(
      r => r.method === 'GET' && r.url.includes(`/files/${enc(path)}`),
    );

  const editGreen =
    (
      values: Record<string, YamlScalar>,
      expected?: Record<string, YamlScalar>,
    ) =>
    (files: GitlabFiles) => {
      const text = files[GREEN];
      if (text === undefined)
        throw new EditConflictError(`${GREEN} is missing`);
      return {
        [GREEN]: spliceYamlValues(text, values, { file: GREEN, expected }),
      };
    };
  const greenNow = async () =>
    (await someoneElse().readFile(IAC, 'main', GREEN))!.content;

  beforeAll(async () => {
    world = await makeWorld();
  });
  afterAll(() => world.stop());
  beforeEach(() => {
    requests = [];
    sleeps = [];
    beforeCommit = undefined;
    world.clearFaults();
  });

  it('check(): GitLab answers, the token works and can push to the IaC project', async () => {
    const result = await client().check();
    expect(result).toEqual({
      system: 'GitLab',
      ok: true,
      checks: [
        { name: 'reachable', ok: true, detail: `${world.apiBaseUrl} answers` },
        {
          name: 'token',
          ok: true,
          detail: 'the token acts as kop-release-bot',
        },
        { name: 'iac-project', ok: true, detail: `${IAC} is visible` },
        {
          name: 'iac-access',
          ok: true,
          detail: `kop-release-bot is maintainer (40) on ${IAC}`,
        },
        { name: 'iac-push', ok: true, detail: `can push to main of ${IAC}` },
      ],
    });
  });

  it('check(): a read-only token is named as such, as data, not thrown', async () => {
    const result = await client(sandboxGitlabTokens.readOnly).check();
    expect(result.ok).toBe(false);
    expect(result.checks.map(c => [c.name, c.ok])).toEqual([
      ['reachable', true],
      ['token', true],
      ['iac-project', true],
      ['iac-access', false],
      ['iac-push', false],
    ]);
    expect(result.checks[3].detail).toContain('reporter (20)');
    expect(result.checks[4].detail).toBe(
      `cannot push to main of ${IAC} (protected: maintainers only)`,
    );
  });

  it('check(): a wrong token is refused with 401, and the token appears nowhere in the result', async () => {
    const secret = 'glpat-this-is-not-a-valid-token-42';
    const result = await client(secret).check();
    expect(result.checks.slice(0, 2)).toEqual([
      { name: 'reachable', ok: true, detail: `${world.apiBaseUrl} answers` },
      {
        name: 'token',
        ok: false,
        detail: 'the token is refused (HTTP 401): 401 Unauthorized',
      },
    ]);
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it('reads IaC files at a ref: hybris live on blue, undefined for a file that is not there', async () => {
    const blue = await client().readFile(
      IAC,
      'main',
      'hybris/values-blue.yaml',
    );
    expect(blue!.content).toContain('replicaCount: 9');
    expect(blue!.content).toContain(`tag: ${seedFacts.hybris.running}`);
    expect(blue!.lastCommitId).toMatch(/^[0-9a-f]{40}$/);
    const sw = await client().readFile(IAC, 'main', 'hybris/values.yaml');
    expect(sw!.content.match(/hybrisServiceName: blue/g)).toHaveLength(3);
    expect(
      await client().readFile(IAC, 'main', 'hybris/nope.yaml'),
    ).toBeUndefined();
  });

  it('compares what runs with the candidate: commits, merged MRs with their paths, changed paths', async () => {
    const { running, candidate } = seedFacts.hybris;
    const result = await client().compare('kop/hybris', running, candidate);
    const footer =
      'bin/custom/kopstorefront/web/webroot/WEB-INF/tags/footer.tag';
    expect(result.commits.map(c => c.title)).toEqual([
      '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      "Merge branch 'feature/revert-footer-ceo-name' into 'master'",
    ]);
    expect(result.mergeRequests).toHaveLength(1);
    expect(result.mergeRequests[0]).toMatchObject({
      iid: 4,
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      state: 'merged',
      sourceBranch: 'feature/revert-footer-ceo-name',
      targetBranch: 'master',
      changedPaths: [footer],
    });
    expect(result.commits.map(c => c.mergeRequestIid)).toEqual([4, 4]);
    expect(result.changedPaths).toEqual([footer]);

    const toMaster = await client().compare('kop/hybris', candidate, 'master');
    expect(toMaster.mergeRequests.map(m => m.title)).toEqual([
      '[HYBRIS] 재입고 알림 타입 추가',
    ]);
    expect(toMaster.mergeRequests[0].changedPaths).toContain(
      'bin/custom/kopcore/resources/items.xml',
    );
    expect(
      toMaster.commits.filter(c => !c.mergeRequestIid).map(c => c.title),
    ).toEqual(['hotfix: 결제 로그 레벨 되돌림']);
    expect(
      (
        await client().mergedMergeRequestsBetween(
          'kop/hybris',
          candidate,
          'master',
        )
      ).map(m => m.iid),
    ).toEqual([5]);
    await expect(
      client().compare('kop/hybris', 'nope', 'master'),
    ).rejects.toThrow(
      `GitLab (${world.apiBaseUrl}/projects/kop%2Fhybris/repository/compare?from=nope&to=master): compare nope...master in kop/hybris failed (HTTP 404)`,
    );
  });

  it('tells whether a revision holds a commit from their merge base', async () => {
    const gitlab = client();
    const running = (await gitlab.resolveRef(
      'kop/hybris',
      seedFacts.hybris.running,
    ))!;
    const candidate = (await gitlab.resolveRef(
      'kop/hybris',
      seedFacts.hybris.candidate,
    ))!;
    expect(await gitlab.holds('kop/hybris', candidate, running)).toBe(true);
    expect(await gitlab.holds('kop/hybris', running, candidate)).toBe(false);
    expect(await gitlab.holds('kop/hybris', running, running)).toBe(true);
    await expect(gitlab.holds('kop/hybris', 'nope', running)).rejects.toThrow(
      `find the merge base of nope and ${running} in kop/hybris failed (HTTP 404)`,
    );
  });

  it('runs the cms flow: branch from pre-release, MR to master, waits for the pipeline, merges', async () => {
    const gitlab = client();
    const preRelease = await gitlab.resolveRef('kop/cms', 'pre-release');
    const branch = await gitlab.createBranch(
      'kop/cms',
      'release/2026-01-08',
      'pre-release',
    );
    expect(branch).toMatchObject({
      name: 'release/2026-01-08',
      sha: preRelease,
    });
    // A retry after a lost answer finds the branch where it should be.
    expect(
      await gitlab.createBranch('kop/cms', 'release/2026-01-08', 'pre-release'),
    ).toMatchObject({ sha: preRelease });
    await expect(
      gitlab.createBranch('kop/cms', 'release/2026-01-08', 'master'),
    ).rejects.toThrow(
      `GitLab (${world.apiBaseUrl}/projects/kop%2Fcms/repository/branches): create branch release/2026-01-08 from master in kop/cms failed (HTTP 400): Branch already exists`,
    );

    const mr = await gitlab.createMergeRequest('kop/cms', {
      sourceBranch: 'release/2026-01-08',
      targetBranch: 'master',
      title: 'Release 2026-01-08',
    });
    expect(mr).toMatchObject({ state: 'opened', sha: preRelease });
    const again = await gitlab.createMergeRequest('kop/cms', {
      sourceBranch: 'release/2026-01-08',
      targetBranch: 'master',
      title: 'Release 2026-01-08',
    });
    expect(again.iid).toBe(mr.iid);
    expect(
      await gitlab.pipelineStatus('kop/cms', 'release/2026-01-08'),
    ).toMatchObject({
      status: 'running',
      sha: preRelease,
    });
    await expect(gitlab.mergeMergeRequest('kop/cms', mr.iid)).rejects.toThrow(
      /merge !\d+ of kop\/cms failed \(HTTP 405\): 405 Method Not Allowed \(state opened, ci_still_running\)/,
    );

    world.advance(60_000);
    expect(
      (await gitlab.pipelineStatus('kop/cms', 'release/2026-01-08'))!.status,
    ).toBe('success');
    const merged = await gitlab.mergeMergeRequest('kop/cms', mr.iid, {
      sha: mr.sha,
    });
    expect(merged.state).toBe('merged');
    expect(merged.mergeCommitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(await gitlab.resolveRef('kop/cms', 'master')).toBe(
      merged.mergeCommitSha,
    );
    // Merging again (a retry after a lost answer) finds it merged.
    expect(
      (await gitlab.mergeMergeRequest('kop/cms', mr.iid)).mergeCommitSha,
    ).toBe(merged.mergeCommitSha);
  });

  it('commits an edit of the IaC values in one commit, keeping comments; the same edit again commits nothing', async () => {
    const before = await greenNow();
    const head = await client().resolveRef(IAC, 'main');
    const result = await client().commitEdits({
      project: IAC,
      branch: 'main',
      message:
        '[kop] hybris deploy-2026-01-08 → green 3\n\n- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      paths: [GREEN],
      edit: editGreen({
        'image.tag': seedFacts.hybris.candidate,
        replicaCount: 3,
      }),
    });
    expect(result).toMatchObject({
      committed: true,
      attempts: 1,
      parents: [head],
    });
    expect(await client().resolveRef(IAC, 'main')).toBe(result.sha);
    expect(await greenNow()).toBe(
      before
        .replace(
          `tag: ${seedFacts.hybris.idle}`,
          `tag: ${seedFacts.hybris.candidate}`,
        )
        .replace('replicaCount: 0', 'replicaCount: 3'),
    );
    const body = JSON.parse(commitPosts()[0].body!);
    expect(body.actions).toEqual([
      expect.objectContaining({
        action: 'update',
        file_path: GREEN,
        last_commit_id: expect.stringMatching(/^[0-9a-f]{40}$/),
      }),
    ]);

    const noop = await client().commitEdits({
      project: IAC,
      branch: 'main',
      message: 'same again',
      paths: [GREEN],
      edit: editGreen({
        'image.tag': seedFacts.hybris.candidate,
        replicaCount: 3,
      }),
    });
    expect(noop).toEqual({ committed: false, sha: result.sha, attempts: 0 });
    expect(commitPosts()).toHaveLength(1);
  });

  it('RELIABILITY 10: GitLab answers the 400 race twice, then 201 — re-read, re-applied, committed within the bound', async () => {
    world.fault({
      method: 'POST',
      path: `/projects/${enc(IAC)}/repository/commits`,
      count: 2,
      status: 400,
      body: RACE_400,
    });
    const result = await client().commitEdits({
      project: IAC,
      branch: 'main',
      message: '[kop] hybris green → 6',
      paths: [GREEN],
      edit: editGreen({ replicaCount: 6 }),
    });
    expect(result).toMatchObject({ committed: true, attempts: 3 });
    expect(commitPosts()).toHaveLength(3);
    expect(fileReads(GREEN)).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(await greenNow()).toContain('replicaCount: 6');
  });

  it('also re-reads after GitLab\'s "Please refresh and try again" answer', async () => {
    world.fault({
      method: 'POST',
      path: `/projects/${enc(IAC)}/repository/commits`,
      count: 1,
      status: 400,
      body: {
        message:
          '9:Could not update refs/heads/main. Please refresh and try again.',
      },
    });
    const result = await client().commitEdits({
      project: IAC,
      branch: 'main',
      message: '[kop] hybris green → 7',
      paths: [GREEN],
      edit: editGreen({ replicaCount: 7 }),
    });
    expect(result).toMatchObject({ committed: true, attempts: 2 });
    expect(await greenNow()).toContain('replicaCount: 7');
  });

  it('re-applies the edit on the file as someone else left it, so both changes stay', async () => {
    beforeCommit = async () => {
      await someoneElse().commitEdits({
        project: IAC,
        branch: 'main',
        message: 'pull policy by hand',
        paths: [GREEN],
        edit: editGreen({ 'image.pullPolicy': 'Always' }),
      });
    };
    const result = await client().commitEdits({
      project: IAC,
      branch: 'main',
      message: '[kop] hybris green → 9',
      paths: [GREEN],
      edit: editGreen({ replicaCount: 9 }),
    });
    expect(result).toMatchObject({ committed: true, attempts: 2 });
    const text = await greenNow();
    expect(text).toContain('replicaCount: 9');
    expect(text).toContain('pullPolicy: Always');
  });

  it('a real content conflict fails the step before anything is sent', async () => {
    const head = await client().resolveRef(IAC, 'main');
    const error = await client()
      .commitEdits({
        project: IAC,
        branch: 'main',
        message: 'set a key that is not there',
        paths: [GREEN],
        edit: editGreen({ 'image.digest': 'sha256:abc' }),
      })
      .catch(e => e);
    expect(error).toBeInstanceOf(SystemError);
    expect(error.message).toBe(
      `GitLab: commit "set a key that is not there" to main of ${IAC} failed: content conflict, nothing committed: key image.digest is not there in ${GREEN}`,
    );
    expect(error.retryable).toBe(false);
    expect(commitPosts()).toHaveLength(0);
    expect(await client().resolveRef(IAC, 'main')).toBe(head);
  });

  it('a conflict found on re-read after a race fails without overwriting, and never forces', async () => {
    beforeCommit = async () => {
      await someoneElse().commitEdits({
        project: IAC,
        branch: 'main',
        message: 'scaled by hand',
        paths: [GREEN],
        edit: editGreen({ replicaCount: 5 }),
      });
    };
    await expect(
      client().commitEdits({
        project: IAC,
        branch: 'main',
        message: '[kop] hybris green 9 → 0',
        paths: [GREEN],
        edit: editGreen({ replicaCount: 0 }, { replicaCount: 9 }),
      }),
    ).rejects.toThrow(
      'content conflict, nothing committed: key replicaCount in hybris/values-green.yaml is 5, expected 9',
    );
    expect(commitPosts()).toHaveLength(1);
    expect(await greenNow()).toContain('replicaCount: 5');
    expect(requests.some(r => r.body && JSON.parse(r.body).force)).toBe(false);
  });

  it('gives up after the bounded number of tries when the branch keeps moving', async () => {
    world.fault({
      method: 'POST',
      path: `/projects/${enc(IAC)}/repository/commits`,
      count: 10,
      status: 400,
      body: RACE_400,
    });
    const error = await client()
      .commitEdits({
        project: IAC,
        branch: 'main',
        message: 'never lands',
        paths: [GREEN],
        edit: editGreen({ replicaCount: 1 }),
      })
      .catch(e => e);
    expect(error.message).toBe(
      `GitLab: commit "never lands" to main of ${IAC} failed (HTTP 400): the branch kept moving, gave up after 4 tries: reference does not point to expected object`,
    );
    expect(error.retryable).toBe(true);
    expect(commitPosts()).toHaveLength(4);
  });

  it('never puts the token in an error, even when GitLab echoes it back', async () => {
    const secret = 'glpat-wrong-token-that-must-not-leak';
    const refused = await client(secret)
      .readFile(IAC, 'main', GREEN)
      .catch(e => e);
    expect(refused.message).toBe(
      `GitLab (${world.apiBaseUrl}/projects/kop%2Fkop-deploy-prod/repository/files/hybris%2Fvalues-green.yaml?ref=main): read ${GREEN} at main in ${IAC} failed (HTTP 401): 401 Unauthorized`,
    );
    expect(JSON.stringify(refused)).not.toContain(secret);

    world.fault({
      method: 'GET',
      path: `/projects/${enc(IAC)}/repository/files`,
      count: 1,
      status: 403,
      body: {
        message: `token ${sandboxGitlabTokens.maintainer} may not read this`,
      },
    });
    const echoed = await client()
      .readFile(IAC, 'main', GREEN)
      .catch(e => e);
    expect(echoed.message).toBe(
      `GitLab (${world.apiBaseUrl}/projects/kop%2Fkop-deploy-prod/repository/files/hybris%2Fvalues-green.yaml?ref=main): read ${GREEN} at main in ${IAC} failed (HTTP 403): token [redacted] may not read this`,
    );
    for (const text of [String(echoed), echoed.stack, JSON.stringify(echoed)]) {
      expect(text).not.toContain(sandboxGitlabTokens.maintainer);
    }
  });

  it('waits at least Retry-After before repeating a read, and does not repeat a commit after a 5xx', async () => {
    world.fault({
      method: 'GET',
      path: `/projects/${enc(IAC)}/repository/files`,
      count: 1,
      status: 429,
      headers: { 'retry-after': '2' },
    });
    expect((await client().readFile(IAC, 'main', GREEN))!.content).toContain(
      'replicaCount',
    );
    expect(fileReads(GREEN)).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);

    world.fault({
      method: 'POST',
      path: `/projects/${enc(IAC)}/repository/commits`,
      count: 1,
      status: 503,
    });
    await expect(
      client().commitEdits({
        project: IAC,
        branch: 'main',
        message: 'server trouble',
        paths: [GREEN],
        edit: editGreen({ replicaCount: 2 }),
      }),
    ).rejects.toThrow(
      `GitLab (${world.apiBaseUrl}/projects/kop%2Fkop-deploy-prod/repository/commits): commit "server trouble" to main of ${IAC} failed (HTTP 503)`,
    );
    expect(commitPosts()).toHaveLength(1);
  });

  it('gives up on a call that gets no answer within the timeout, after the bounded tries', async () => {
    world.fault({
      method: 'GET',
      path: `/projects/${enc(IAC)}/repository/files`,
      count: 2,
      status: 0,
      delayMs: 1500,
    });
    const slow = client(sandboxGitlabTokens.maintainer, {
      timeoutMs: 200,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 10 },
    });
    await expect(slow.readFile(IAC, 'main', GREEN)).rejects.toThrow(
      `GitLab (${world.apiBaseUrl}/projects/kop%2Fkop-deploy-prod/repository/files/hybris%2Fvalues-green.yaml?ref=main): read ${GREEN} at main in ${IAC} failed: no answer within 200 ms`,
    );
    expect(fileReads(GREEN)).toHaveLength(2);
  });
});

describe('GitlabClient set-up', () => {
  it('reads Backstage’s integrations.gitlab and the IaC repository from config', () => {
    const client = GitlabClient.fromConfig(
      new ConfigReader({
        integrations: {
          gitlab: [
            { host: 'gitlab.com', token: 'a' },
            {
              host: 'gitlab.kop.example',
              apiBaseUrl: 'https://gitlab.kop.example/api/v4',
              token: 'b',
            },
          ],
        },
        release: { iac: { repo: 'kop/kop-deploy-beta', branch: 'deploy' } },
      }),
      { host: 'gitlab.kop.example' },
    );
    expect([client.iacProject, client.iacBranch]).toEqual([
      'kop/kop-deploy-beta',
      'deploy',
    ]);
    expect(() =>
      GitlabClient.fromConfig(
        new ConfigReader({ integrations: { gitlab: [{ host: 'x' }] } }),
      ),
    ).toThrow('integrations.gitlab (x) has no token');
    expect(() => GitlabClient.fromConfig(new ConfigReader({}))).toThrow(
      'integrations.gitlab has no entry',
    );
  });

  it('check(): a host that does not answer is reported, not thrown', async () => {
    const client = new GitlabClient({
      apiBaseUrl: 'https://gitlab.unreachable.example/api/v4',
      token: 'glpat-x',
      fetchImpl: async () => {
        throw new TypeError('fetch failed');
      },
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      sleep: async () => undefined,
    });
    const result = await client.check();
    expect(result).toEqual({
      system: 'GitLab',
      ok: false,
      checks: [
        {
          name: 'reachable',
          ok: false,
          detail:
            'https://gitlab.unreachable.example/api/v4 does not answer: fetch failed',
        },
        {
          name: 'token',
          ok: false,
          detail: 'not checked: GitLab does not answer',
        },
      ],
    });
  });
});
