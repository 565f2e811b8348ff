import { ConfigReader } from '@backstage/config';
import {
  defaultGradePolicy,
  type ReleaseItem,
} from '@internal/plugin-release-common';
import { rmSync } from 'node:fs';
import {
  defaultSandboxServices,
  sandboxGitlabTokens,
  seedFacts,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import { ArgoCdClients } from '../argocd/clients';
import { GitlabClient } from '../gitlab/GitlabClient';
import { spliceYamlValues } from '../iac/spliceYamlValues';
import { readReleaseLayout } from '../layout';
import { whatShips, type WhatShipsContext } from './whatShips';

jest.setTimeout(120_000);

const FOOTER = '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복';
const RESTOCK = '[HYBRIS] 재입고 알림 타입 추가';
const HOTFIX = 'hotfix: 결제 로그 레벨 되돌림';
const ITEMS_XML = 'bin/custom/kopcore/resources/items.xml';
const RESTOCK_IMPEX =
  'bin/custom/kopcore/resources/impex/essentialdata-restock.impex';

/** The items of the seed's announcement of 2026-01-08. */
const seedItems: ReleaseItem[] = [
  {
    title: '[버티컬] 대표이사 성명 변경 작업 원복',
    source: { type: 'asana', gid: '1209000000000041' },
  },
  {
    title: FOOTER,
    app: 'hybris',
    source: { type: 'asana', gid: '1209000000000042' },
  },
  {
    title: '[CMS] KS CMS-상세HTML 수정 요청',
    app: 'cms',
    source: { type: 'asana', gid: '1209000000000043' },
  },
  {
    title: '[CMS] KS 템플릿 업데이트',
    app: 'cms',
    source: { type: 'asana', gid: '1209000000000044' },
  },
];

describe('whatShips against the sandbox (real git repositories, Argo CD synced from them)', () => {
  let sandbox: RunningSandbox;
  let gitlab: GitlabClient;
  let context: WhatShipsContext;

  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 0,
      services: defaultSandboxServices(),
    });
    gitlab = new GitlabClient({
      apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
      token: sandboxGitlabTokens.maintainer,
    });
    const argocd = ArgoCdClients.fromConfig(
      new ConfigReader({
        argocd: {
          instances: ['beta', 'prod'].map(name => ({
            name,
            url: `${sandbox.url}/argocd/${name}`,
            token: 'argocd-sandbox-token',
          })),
        },
      }),
    );
    context = {
      gitlab,
      argocd: env => argocd.forEnvironment(env),
      layout: readReleaseLayout(new ConfigReader({})),
      policy: defaultGradePolicy,
    };
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(sandbox.context.dataDir, { recursive: true, force: true });
  });

  it.each(['prod', 'beta'])(
    'hybris in %s: from the deploy branch blue runs to the next, the one seed MR, covered by its item',
    async environment => {
      const result = await whatShips(
        {
          app: 'hybris',
          environment,
          candidate: seedFacts.hybris.candidate,
          items: seedItems,
        },
        context,
      );
      const sha = (await gitlab.resolveRef(
        'kop/hybris',
        seedFacts.hybris.running,
      ))!;
      expect(result.deployed).toEqual({
        version: seedFacts.hybris.running,
        sha,
        commit: {
          from: 'ref',
          ref: seedFacts.hybris.running,
          url: gitlab.projectUrl('kop/hybris', `commit/${sha}`),
        },
        source: 'iac',
        argocdApp: 'hybris-blue',
        iac: {
          project: `kop/kop-deploy-${environment}`,
          branch: 'main',
          file: 'hybris/values-blue.yaml',
          key: 'image.tag',
        },
      });
      expect(result.candidate).toEqual({
        version: seedFacts.hybris.candidate,
        sha: await gitlab.resolveRef('kop/hybris', seedFacts.hybris.candidate),
      });
      expect(result).toMatchObject({
        newer: true,
        ahead: 2,
        behind: 0,
        dbUpdate: false,
        minimumGrade: 'A',
        changedPaths: [
          'bin/custom/kopstorefront/web/webroot/WEB-INF/tags/footer.tag',
        ],
        changeClasses: { dbChange: [], infraChange: [] },
        missingItems: [],
        warnings: [],
      });
      expect(result.mergeRequests).toEqual([
        expect.objectContaining({
          title: FOOTER,
          author: 'lee.seoyeon',
          item: 1,
          mixedIn: false,
          changeClasses: [],
          carries: [],
        }),
      ]);
      expect(result.commits.map(c => [c.title, c.mixedIn, c.item])).toEqual([
        [FOOTER, false, 1],
        [
          "Merge branch 'feature/revert-footer-ceo-name' into 'master'",
          false,
          1,
        ],
      ]);
    },
  );

  it('hybris to a deploy branch cut from master: the items.xml MR raises the floor to D and, not listed, is mixed in; so is the commit outside any MR', async () => {
    await gitlab.createBranch('kop/hybris', 'deploy-2026-01-09', 'master');
    const result = await whatShips(
      {
        app: 'hybris',
        environment: 'prod',
        candidate: 'deploy-2026-01-09',
        items: seedItems,
      },
      context,
    );
    expect(result.mergeRequests.map(m => [m.title, m.mixedIn, m.item])).toEqual(
      [
        [FOOTER, false, 1],
        [RESTOCK, true, undefined],
      ],
    );
    const restock = result.mergeRequests[1];
    expect(restock.paths).toEqual([RESTOCK_IMPEX, ITEMS_XML]);
    expect(restock.changeClasses).toEqual(['dbChange']);
    expect(result.changeClasses.dbChange).toEqual([RESTOCK_IMPEX, ITEMS_XML]);
    expect(result).toMatchObject({
      dbUpdate: true,
      minimumGrade: 'D',
      newer: true,
    });
    const hotfix = result.commits.find(c => c.title === HOTFIX)!;
    expect(hotfix).toMatchObject({
      paths: ['config/local.properties'],
      mixedIn: true,
      merge: false,
    });
    expect(hotfix.mergeRequest).toBeUndefined();
    expect(result.commits.filter(c => c.mixedIn).map(c => c.title)).toEqual([
      RESTOCK,
      "Merge branch 'feature/restock-notification' into 'master'",
      HOTFIX,
    ]);
    expect(result.proposedItems).toEqual([
      {
        title: FOOTER,
        app: 'hybris',
        source: {
          type: 'mr',
          project: 'kop/hybris',
          iid: result.mergeRequests[0].iid,
          url: result.mergeRequests[0].url,
        },
      },
      {
        title: RESTOCK,
        app: 'hybris',
        source: {
          type: 'mr',
          project: 'kop/hybris',
          iid: restock.iid,
          url: restock.url,
        },
      },
    ]);

    // Listing the restock MR by source and the hotfix by commit leaves nothing mixed in.
    const covered = await whatShips(
      {
        app: 'hybris',
        environment: 'prod',
        candidate: 'deploy-2026-01-09',
        items: [
          ...result.proposedItems,
          {
            title: '결제 로그 레벨 원복',
            app: 'hybris',
            source: {
              type: 'commit',
              project: 'kop/hybris',
              sha: hotfix.shortSha,
            },
          },
        ],
      },
      context,
    );
    expect(covered.mergeRequests.map(m => m.item)).toEqual([0, 1]);
    expect(covered.commits.filter(c => c.mixedIn)).toEqual([]);
    expect(covered.commits.find(c => c.title === HOTFIX)!.item).toBe(2);
  });

  it('hybris back to an older deploy branch is not newer: nothing ships forward, and what would be rolled back is counted', async () => {
    const result = await whatShips(
      {
        app: 'hybris',
        environment: 'prod',
        candidate: seedFacts.hybris.idle,
      },
      context,
    );
    expect(result).toMatchObject({
      newer: false,
      ahead: 0,
      commits: [],
      mergeRequests: [],
      dbUpdate: false,
    });
    expect(result.behind).toBeGreaterThan(0);
    const same = await whatShips(
      {
        app: 'hybris',
        environment: 'prod',
        candidate: seedFacts.hybris.running,
      },
      context,
    );
    expect(same).toMatchObject({ newer: false, ahead: 0, behind: 0 });
  });

  it('web: the one MR since what runs, covered by the seed item without an app', async () => {
    const master = (await gitlab.resolveRef('kop/web', 'master'))!;
    const result = await whatShips(
      {
        app: 'web',
        environment: 'prod',
        candidate: master.slice(0, 8),
        items: seedItems,
      },
      context,
    );
    expect(result.deployed).toMatchObject({ source: 'iac', argocdApp: 'web' });
    expect(result.mergeRequests.map(m => [m.title, m.item, m.mixedIn])).toEqual(
      [['[버티컬] 대표이사 성명 변경 작업 원복', 0, false]],
    );
    expect(result.changedPaths).toEqual([
      'src/components/Footer.tsx',
      'src/pages/vertical/CeoInfo.ts',
    ]);
    expect(result.candidate.sha).toBe(master);
  });

  it('cms: the pre-release MRs, then the release MR to master only carries them and is never mixed in', async () => {
    const preRelease = (await gitlab.resolveRef('kop/cms', 'pre-release'))!;
    const before = await whatShips(
      {
        app: 'cms',
        environment: 'prod',
        candidate: preRelease,
        items: seedItems,
      },
      context,
    );
    expect(before.deployed.argocdApp).toBe('cms');
    expect(before.warnings).toEqual([]);
    expect(
      before.mergeRequests.map(m => [
        m.title,
        m.item,
        m.mixedIn,
        m.targetBranch,
      ]),
    ).toEqual([
      ['[CMS] KS 템플릿 업데이트', 3, false, 'pre-release'],
      ['[CMS] KS CMS-상세HTML 수정 요청', 2, false, 'pre-release'],
    ]);
    expect(before.missingItems).toEqual([]);

    // The cms flow: branch from pre-release, MR to master, merge.
    await gitlab.createBranch('kop/cms', 'release/2026-01-08', 'pre-release');
    const mr = await gitlab.createMergeRequest('kop/cms', {
      sourceBranch: 'release/2026-01-08',
      targetBranch: 'master',
      title: 'Release 2026-01-08',
    });
    const merged = await gitlab.mergeMergeRequest('kop/cms', mr.iid, {
      sha: mr.sha,
    });
    const after = await whatShips(
      {
        app: 'cms',
        environment: 'prod',
        candidate: merged.mergeCommitSha!,
        items: seedItems,
      },
      context,
    );
    const feature = before.mergeRequests.map(m => m.iid);
    expect(after.mergeRequests.map(m => [m.iid, m.mixedIn, m.carries])).toEqual(
      [
        [feature[0], false, []],
        [feature[1], false, []],
        [mr.iid, false, feature],
      ],
    );
    expect(after.commits.filter(c => c.mixedIn)).toEqual([]);
    expect(after.proposedItems.map(i => i.title)).toEqual([
      '[CMS] KS 템플릿 업데이트',
      '[CMS] KS CMS-상세HTML 수정 요청',
    ]);

    // Without items, every change is mixed in, the carrier still is not.
    const bare = await whatShips(
      { app: 'cms', environment: 'prod', candidate: merged.mergeCommitSha! },
      context,
    );
    expect(bare.mergeRequests.map(m => m.mixedIn)).toEqual([true, true, false]);
  });

  it('names the field: an unknown candidate is not found, a malformed one is bad input', async () => {
    await expect(
      whatShips(
        { app: 'hybris', environment: 'prod', candidate: 'deploy-2030-01-01' },
        context,
      ),
    ).rejects.toMatchObject({
      name: 'NotFoundError',
      field: 'candidate',
      message:
        "candidate: 'deploy-2030-01-01' is not a branch, tag or commit of kop/hybris",
    });
    await expect(
      whatShips(
        { app: 'web', environment: 'prod', candidate: 'master' },
        context,
      ),
    ).rejects.toMatchObject({ name: 'InputError', field: 'candidate' });
  });

  it('counts from what Argo CD runs when the IaC repository holds a version not synced yet, and says so', async () => {
    const master = (await gitlab.resolveRef('kop/web', 'master'))!;
    const running = (
      await whatShips(
        { app: 'web', environment: 'prod', candidate: master },
        context,
      )
    ).deployed.version;
    await gitlab.commitEdits({
      project: 'kop/kop-deploy-prod',
      branch: 'main',
      message: '[kop] web (not synced)',
      paths: ['web/values.yaml'],
      edit: files => ({
        'web/values.yaml': spliceYamlValues(files['web/values.yaml']!, {
          'image.tag': master.slice(0, 8),
        }),
      }),
    });
    const result = await whatShips(
      { app: 'web', environment: 'prod', candidate: master },
      context,
    );
    expect(result.deployed).toMatchObject({
      version: running,
      source: 'argocd',
      argocdApp: 'web',
    });
    expect(result.mergeRequests).toHaveLength(1);
    expect(result.warnings).toEqual([
      `image.tag in web/values.yaml at main of kop/kop-deploy-prod says ${master.slice(
        0,
        8,
      )}, but Argo CD's web runs ${running} (not synced yet?): what ships is counted from ${running}`,
    ]);
  });
});
