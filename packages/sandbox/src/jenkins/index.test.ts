import { seedFacts, startSandbox, type RunningSandbox } from '../index';
import {
  createJenkinsService,
  jenkinsSandboxDefaults as d,
  seededJenkinsBuilds,
} from './index';

const basic = `Basic ${Buffer.from(`${d.username}:${d.apiToken}`).toString(
  'base64',
)}`;

describe('Jenkins stand-in', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 1,
      services: [
        createJenkinsService({
          buildMs: { 'kop/payment-tests': 0 },
        }),
      ],
    });
  });
  afterAll(() => sandbox.close());

  const jenkins = (path: string, init: RequestInit = {}) =>
    fetch(`${sandbox.url}/jenkins${path}`, init);

  async function crumb() {
    const res = await jenkins('/crumbIssuer/api/json', {
      headers: { authorization: basic },
    });
    const body = await res.json();
    return {
      authorization: basic,
      [body.crumbRequestField]: body.crumb,
      cookie: res.headers.getSetCookie()[0].split(';')[0],
    };
  }

  it('refuses a bad API token with 401 and an anonymous caller with 403', async () => {
    const bad = `Basic ${Buffer.from(`${d.username}:nope`).toString('base64')}`;
    expect(
      (await jenkins('/me/api/json', { headers: { authorization: bad } }))
        .status,
    ).toBe(401);
    expect((await jenkins('/api/json')).status).toBe(403);
  });

  it('wants a crumb with the session it was issued for', async () => {
    const headers = await crumb();
    const noCrumb = await jenkins(
      '/job/kop/job/payment-tests/buildWithParameters',
      {
        method: 'POST',
        headers: { authorization: basic },
      },
    );
    expect([noCrumb.status, await noCrumb.text()]).toEqual([
      403,
      'No valid crumb was included in the request',
    ]);
    const otherSession = await jenkins(
      '/job/kop/job/payment-tests/buildWithParameters',
      {
        method: 'POST',
        headers: { ...headers, cookie: 'JSESSIONID.sandbox=other' },
      },
    );
    expect(otherSession.status).toBe(403);
    const ok = await jenkins('/job/kop/job/payment-tests/buildWithParameters', {
      method: 'POST',
      headers,
    });
    expect(ok.status).toBe(201);
    expect(ok.headers.get('location')).toMatch(
      /\/jenkins\/queue\/item\/\d+\/$/,
    );
  });

  it('lets the remote trigger token alone start a build, and refuses a wrong one', async () => {
    const body = (token: string) =>
      new URLSearchParams({ token, BRAND: 'ks' }).toString();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const wrong = await jenkins(
      '/job/kop/job/payment-tests/buildWithParameters',
      {
        method: 'POST',
        headers: form,
        body: body('nope'),
      },
    );
    expect(wrong.status).toBe(403);
    const right = await jenkins(
      '/job/kop/job/payment-tests/buildWithParameters',
      {
        method: 'POST',
        headers: form,
        body: body(d.buildToken),
      },
    );
    expect(right.status).toBe(201);
  });

  it('keeps a build in the queue and building for its simulated time', async () => {
    const res = await jenkins('/job/kop/job/hybris-build/buildWithParameters', {
      method: 'POST',
      headers: {
        ...(await crumb()),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'BRANCH=deploy-2026-11-25',
    });
    const queue = new URL(res.headers.get('location')!).pathname.replace(
      '/jenkins',
      '',
    );
    const item = await (
      await jenkins(`${queue}api/json`, { headers: { authorization: basic } })
    ).json();
    expect(item).toEqual(
      expect.objectContaining({
        _class: 'hudson.model.Queue$WaitingItem',
        executable: null,
      }),
    );
    const rows = await sandbox.services[0].describe!();
    expect(rows).toContainEqual(
      expect.objectContaining({ job: 'kop/hybris-build', status: 'queued' }),
    );
  });

  it('fails the payment tests of a brand told to fail, at once when timeScale is 0', async () => {
    const instant = await startSandbox({
      timeScale: 0,
      services: [createJenkinsService({ failBrands: ['g4'], crumbs: false })],
    });
    try {
      const trigger = (brand: string) =>
        fetch(
          `${instant.url}/jenkins/job/kop/job/payment-tests/buildWithParameters`,
          {
            method: 'POST',
            headers: {
              authorization: basic,
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: `BRAND=${brand}`,
          },
        );
      expect((await trigger('ks')).status).toBe(201);
      expect((await trigger('g4')).status).toBe(201);
      const build = await (
        await fetch(
          `${instant.url}/jenkins/job/kop/job/payment-tests/2/api/json`,
          {
            headers: { authorization: basic },
          },
        )
      ).json();
      expect([build.building, build.result]).toEqual([false, 'FAILURE']);
      expect(
        (await instant.services[0].describe!())
          .filter(r => r.job === 'kop/payment-tests')
          .map(r => [r.parameters, r.status]),
      ).toEqual([
        ['BRAND=ks ENVIRONMENT=beta', 'SUCCESS'],
        ['BRAND=g4 ENVIRONMENT=beta', 'FAILURE'],
      ]);
      const crumbIssuer = await fetch(
        `${instant.url}/jenkins/crumbIssuer/api/json`,
        {
          headers: { authorization: basic },
        },
      );
      expect(crumbIssuer.status).toBe(404);
    } finally {
      await instant.close();
    }
  });
});

/** A JSON page of the stand-in, read with the API token. */
async function readJson(sandbox: RunningSandbox, path: string) {
  const res = await fetch(`${sandbox.url}/jenkins${path}`, {
    headers: { authorization: basic },
  });
  expect(res.status).toBe(200);
  return res.json();
}

/** Queues a hybris build of the branch (the stand-in asks no crumb). */
async function buildHybrisOn(sandbox: RunningSandbox, branch: string) {
  const res = await fetch(
    `${sandbox.url}/jenkins/job/kop/job/hybris-build/buildWithParameters`,
    {
      method: 'POST',
      headers: {
        authorization: basic,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `BRANCH=${branch}`,
    },
  );
  expect(res.status).toBe(201);
}

describe('Jenkins stand-in history', () => {
  let sandbox: RunningSandbox;
  beforeEach(async () => {
    sandbox = await startSandbox({
      timeScale: 0,
      services: [createJenkinsService({ crumbs: false })],
    });
  });
  afterEach(() => sandbox.close());

  const read = (path: string) => readJson(sandbox, path);
  const buildHybris = (branch: string) => buildHybrisOn(sandbox, branch);

  it('starts with a successful hybris build of each seeded deploy branch, on the day it is named for', async () => {
    const job = await read(
      '/job/kop/job/hybris-build/api/json?tree=nextBuildNumber,builds[number,building,result,timestamp,description,artifacts[fileName],actions[parameters[name,value]]]',
    );
    const branches = [...seedFacts.hybris.deployBranches].reverse();
    expect(job.nextBuildNumber).toBe(branches.length + 1);
    expect(
      job.builds.map(
        (b: {
          number: number;
          building: boolean;
          result: string;
          description: string;
          artifacts: Array<{ fileName: string }>;
          actions: Array<{
            parameters?: Array<{ name: string; value: string }>;
          }>;
        }) => [
          b.number,
          b.building,
          b.result,
          b.actions.flatMap(a => a.parameters ?? []),
          b.description,
          b.artifacts.map(a => a.fileName),
        ],
      ),
    ).toEqual(
      branches.map((branch, i) => [
        branches.length - i,
        false,
        'SUCCESS',
        [
          {
            _class: 'hudson.model.StringParameterValue',
            name: 'BRANCH',
            value: branch,
          },
        ],
        `image ${branch}-${branches.length - i}`,
        ['image-tag.txt'],
      ]),
    );
    for (const b of job.builds) {
      const branch = branches[branches.length - b.number];
      const day = new Date(b.timestamp).toLocaleDateString('sv', {
        timeZone: 'Asia/Seoul',
      });
      expect(`deploy-${day}`).toBe(branch);
    }
    expect(seededJenkinsBuilds.map(b => b.parameters.BRANCH)).toEqual(
      seedFacts.hybris.deployBranches,
    );
    const tag = await fetch(
      `${sandbox.url}/jenkins/job/kop/job/hybris-build/4/artifact/image-tag.txt`,
      { headers: { authorization: basic } },
    );
    expect(await tag.text()).toBe(`${branches[0]}-4\n`);
  });

  it('keeps what happened since when it starts again on the same data directory', async () => {
    await buildHybris('deploy-2026-11-25');
    const again = await startSandbox({
      dataDir: sandbox.context.dataDir,
      timeScale: 0,
      services: [createJenkinsService({ crumbs: false })],
    });
    try {
      const res = await fetch(
        `${again.url}/jenkins/job/kop/job/hybris-build/api/json?tree=builds[number]`,
        { headers: { authorization: basic } },
      );
      expect(
        (await res.json()).builds.map((b: { number: number }) => b.number),
      ).toEqual([5, 4, 3, 2, 1]);
    } finally {
      await again.close();
    }
  });

  it('lists the newest 100 builds as builds, and all of them as allBuilds only when a tree names it', async () => {
    const total = 101;
    for (let i = seededJenkinsBuilds.length; i < total; i++) {
      await buildHybris('deploy-2026-11-25');
    }
    const numbers = (builds: Array<{ number: number }>) =>
      builds.map(b => b.number);
    const plain = await read('/job/kop/job/hybris-build/api/json');
    expect(plain.allBuilds).toBeUndefined();
    expect(numbers(plain.builds)).toEqual(
      Array.from({ length: 100 }, (_, i) => total - i),
    );
    const all = await read(
      '/job/kop/job/hybris-build/api/json?tree=allBuilds[number]',
    );
    expect(numbers(all.allBuilds)).toEqual(
      Array.from({ length: total }, (_, i) => total - i),
    );
    const oldest = await read(
      '/job/kop/job/hybris-build/api/json?tree=allBuilds[number,actions[parameters[value]]]{100,1000}',
    );
    expect(oldest.allBuilds).toEqual([
      expect.objectContaining({
        number: 1,
        actions: expect.arrayContaining([
          expect.objectContaining({
            parameters: [
              expect.objectContaining({
                value: seedFacts.hybris.deployBranches[0],
              }),
            ],
          }),
        ]),
      }),
    ]);
  });
});

describe('Jenkins stand-in git data', () => {
  const heads = new Map<string, string>();
  let sandbox: RunningSandbox;
  beforeEach(async () => {
    heads.clear();
    for (const [i, branch] of seedFacts.hybris.deployBranches.entries()) {
      heads.set(branch, `${i + 1}`.repeat(40));
    }
    sandbox = await startSandbox({
      timeScale: 0,
      services: [
        createJenkinsService({
          crumbs: false,
          checkout: {
            project: 'kop/hybris',
            headOf: async branch => heads.get(branch),
            remoteUrl: origin => `${origin}/gitlab/kop/hybris.git`,
          },
        }),
      ],
    });
  });
  afterEach(() => sandbox.close());

  const read = (path: string) => readJson(sandbox, path);
  const buildHybris = (branch: string) => buildHybrisOn(sandbox, branch);
  const gitData = (build: { actions: any[] }) =>
    build.actions.find(a => a._class === 'hudson.plugins.git.util.BuildData');
  const revision = (sha: string, branch: string) => ({
    SHA1: sha,
    branch: [{ SHA1: sha, name: `refs/remotes/origin/${branch}` }],
  });

  it('records the commit the branch pointed at when the build ran, as the git plugin shows it; a later push does not change it', async () => {
    const branch = 'deploy-2026-02-05';
    heads.set(branch, 'a'.repeat(40));
    await buildHybris(branch);
    heads.set(branch, 'b'.repeat(40));
    const first = await read('/job/kop/job/hybris-build/5/api/json');
    expect(gitData(first)).toEqual({
      _class: 'hudson.plugins.git.util.BuildData',
      buildsByBranchName: expect.objectContaining({
        [`refs/remotes/origin/${branch}`]: {
          _class: 'hudson.plugins.git.util.Build',
          buildNumber: 5,
          buildResult: null,
          marked: revision('a'.repeat(40), branch),
          revision: revision('a'.repeat(40), branch),
        },
      }),
      lastBuiltRevision: revision('a'.repeat(40), branch),
      remoteUrls: [`${sandbox.url}/gitlab/kop/hybris.git`],
      scmName: '',
    });
    // Carried over from build to build: every branch the job built, seeded ones too.
    expect(Object.keys(gitData(first).buildsByBranchName)).toHaveLength(
      seedFacts.hybris.deployBranches.length + 1,
    );

    await buildHybris(branch);
    const second = await read(
      '/job/kop/job/hybris-build/6/api/json?tree=actions[lastBuiltRevision[SHA1]]',
    );
    expect(second.actions).toContainEqual({
      _class: 'hudson.plugins.git.util.BuildData',
      lastBuiltRevision: { SHA1: 'b'.repeat(40) },
    });
    expect(
      gitData(await read('/job/kop/job/hybris-build/5/api/json'))
        .lastBuiltRevision.SHA1,
    ).toBe('a'.repeat(40));
    const rows = await sandbox.services[0].describe!();
    expect(rows.find(r => r.build === 6)).toMatchObject({
      'image tag': `${branch}-6`,
      commit: 'b'.repeat(12),
    });
  });

  it('seeds each deploy branch built at its head, and fails a build of a branch the repository lacks', async () => {
    const seeded = await read(
      '/job/kop/job/hybris-build/1/api/json?tree=actions[lastBuiltRevision[SHA1,branch[name]]]',
    );
    expect(gitData(seeded)).toEqual({
      _class: 'hudson.plugins.git.util.BuildData',
      lastBuiltRevision: {
        SHA1: '1'.repeat(40),
        branch: [
          {
            name: `refs/remotes/origin/${seedFacts.hybris.deployBranches[0]}`,
          },
        ],
      },
    });
    await buildHybris('deploy-2026-02-06');
    const missing = await read('/job/kop/job/hybris-build/5/api/json');
    expect([missing.result, gitData(missing)]).toEqual(['FAILURE', undefined]);
    const log = await fetch(
      `${sandbox.url}/jenkins/job/kop/job/hybris-build/5/consoleText`,
      { headers: { authorization: basic } },
    );
    expect(await log.text()).toContain(
      "Couldn't find any revision to build: deploy-2026-02-06 is not a branch of kop/hybris",
    );
  });
});
