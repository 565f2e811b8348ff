import { ConfigReader } from '@backstage/config';
import {
  defaultGradePolicy,
  whatShipsSchema,
  type ReleaseItem,
} from '@internal/plugin-release-common';
import { setupServer } from 'msw/node';
import {
  hybrisColourValues,
  hybrisSwitchValues,
  sandboxGitlabTokens,
  seedFacts,
} from 'sandbox';
import { createFakeGitlab } from '../gitlab/__testUtils__/fakeGitlab';
import { GitlabClient } from '../gitlab/GitlabClient';
import { readReleaseLayout } from '../layout';
import { splitImage } from './deployed';
import { whatShips, type WhatShipsContext } from './whatShips';

const apiBaseUrl = 'https://gitlab.kop.example/api/v4';
const FOOTER = '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복';
const ORDER = '[HYBRIS] 주문 조회 API 페이지 크기 제한';
const RESTOCK = '[HYBRIS] 재입고 알림 타입 추가';
const HOTFIX = 'hotfix: 결제 로그 레벨 되돌림';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

/** A fresh in-memory GitLab holding these IaC files, and a context reading it (no Argo CD). */
function world(
  iacFiles: Record<string, string> = {
    'hybris/values-blue.yaml': hybrisColourValues(
      'blue',
      seedFacts.hybris.running,
      9,
    ),
    'hybris/values-green.yaml': hybrisColourValues(
      'green',
      seedFacts.hybris.idle,
      0,
    ),
    'hybris/values.yaml': hybrisSwitchValues('blue'),
  },
  config: object = {},
): { gitlab: GitlabClient; context: WhatShipsContext } {
  const fake = createFakeGitlab({
    apiBaseUrl,
    tokens: sandboxGitlabTokens,
    iacFiles,
  });
  server.resetHandlers(...fake.handlers);
  const gitlab = new GitlabClient({
    apiBaseUrl,
    token: sandboxGitlabTokens.maintainer,
  });
  return {
    gitlab,
    context: {
      gitlab,
      layout: readReleaseLayout(new ConfigReader(config)),
      policy: defaultGradePolicy,
    },
  };
}

const item = (
  title: string,
  source: ReleaseItem['source'] = { type: 'asana', gid: '1209000000000001' },
  app: ReleaseItem['app'] = 'hybris',
): ReleaseItem => ({ title, app, source });

describe('whatShips against the fake GitLab', () => {
  it('matches items by merge request, by title with or without the [TAG], and by commit; reports items that do not ship', async () => {
    const { gitlab, context } = world();
    await gitlab.createBranch('kop/hybris', 'deploy-2026-01-09', 'master');
    const master = (await gitlab.resolveRef('kop/hybris', 'master'))!;
    const items: ReleaseItem[] = [
      item('푸터 원복', { type: 'mr', project: 'kop/hybris', iid: 4 }),
      item('재입고 알림 타입 추가'),
      item('결제 로그', {
        type: 'commit',
        project: 'kop/hybris',
        sha: master.slice(0, 8),
      }),
      item('[HYBRIS] 아직 머지되지 않은 작업'),
      item('[CMS] KS 템플릿 업데이트', undefined, 'cms'),
    ];
    const result = await whatShips(
      {
        app: 'hybris',
        environment: 'prod',
        candidate: 'deploy-2026-01-09',
        items,
      },
      context,
    );
    expect(
      result.mergeRequests.map(m => [m.iid, m.title, m.item, m.mixedIn]),
    ).toEqual([
      [4, FOOTER, 0, false],
      [5, RESTOCK, 1, false],
    ]);
    expect(result.commits.map(c => [c.title, c.item, c.mixedIn])).toEqual([
      [FOOTER, 0, false],
      [RESTOCK, 1, false],
      ["Merge branch 'feature/revert-footer-ceo-name' into 'master'", 0, false],
      ["Merge branch 'feature/restock-notification' into 'master'", 1, false],
      [HOTFIX, 2, false],
    ]);
    // The cms item is another app's; only the hybris item that matched nothing is missing.
    expect(result.missingItems).toEqual([3]);
    // Parsing drops what the shared schema does not know: nothing may be left undocumented.
    expect(whatShipsSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({
      dbUpdate: true,
      minimumGrade: 'D',
      changeClasses: {
        dbChange: [
          'bin/custom/kopcore/resources/impex/essentialdata-restock.impex',
          'bin/custom/kopcore/resources/items.xml',
        ],
        infraChange: [],
      },
    });
  });

  it('takes the change classes from config; the grade policy’s floors apply to them', async () => {
    const { gitlab, context } = world(undefined, {
      release: {
        changeClasses: {
          dbChange: ['**/db/migration/**'],
          infraChange: ['config/**'],
        },
      },
    });
    await gitlab.createBranch('kop/hybris', 'deploy-2026-01-09', 'master');
    const result = await whatShips(
      { app: 'hybris', environment: 'prod', candidate: 'deploy-2026-01-09' },
      context,
    );
    expect(result.changeClasses).toEqual({
      dbChange: [],
      infraChange: ['config/local.properties'],
    });
    expect(result).toMatchObject({ dbUpdate: false, minimumGrade: 'C' });
    expect(result.commits.find(c => c.title === HOTFIX)).toMatchObject({
      mixedIn: true,
      paths: ['config/local.properties'],
    });
    expect(result.mergeRequests.every(m => m.mixedIn)).toBe(true);
  });

  it('reads the live colour from the switch keys: green live counts from green’s deploy branch', async () => {
    const { context } = world({
      'hybris/values-blue.yaml': hybrisColourValues(
        'blue',
        seedFacts.hybris.running,
        0,
      ),
      'hybris/values-green.yaml': hybrisColourValues(
        'green',
        seedFacts.hybris.idle,
        9,
      ),
      'hybris/values.yaml': hybrisSwitchValues('green'),
    });
    const result = await whatShips(
      {
        app: 'hybris',
        environment: 'prod',
        candidate: seedFacts.hybris.candidate,
      },
      context,
    );
    expect(result.deployed).toMatchObject({
      version: seedFacts.hybris.idle,
      source: 'iac',
      argocdApp: 'hybris-green',
      iac: { file: 'hybris/values-green.yaml', key: 'image.tag' },
    });
    expect(result.mergeRequests.map(m => m.title)).toEqual([ORDER, FOOTER]);
    expect(result.proposedItems.map(i => i.title)).toEqual([ORDER, FOOTER]);
  });

  it('refuses to guess during a half-done switch, naming the keys', async () => {
    const { context } = world({
      'hybris/values-blue.yaml': hybrisColourValues(
        'blue',
        'deploy-2026-01-06',
        9,
      ),
      'hybris/values.yaml': hybrisSwitchValues('blue').replace(
        'hybrisServiceName: blue # www',
        'hybrisServiceName: green # www',
      ),
    });
    await expect(
      whatShips(
        {
          app: 'hybris',
          environment: 'prod',
          candidate: seedFacts.hybris.candidate,
        },
        context,
      ),
    ).rejects.toThrow(
      'GitLab: find the live hybris colour in hybris/values.yaml at main of kop/kop-deploy-prod failed: the switch keys name more than one colour (storefront.hybrisServiceName=green, backoffice.hybrisServiceName=blue, api.hybrisServiceName=blue): finish or revert the switch first',
    );
  });

  it('says which IaC key is empty when neither the IaC repository nor Argo CD tells what runs', async () => {
    const { context } = world({
      'hybris/values.yaml': hybrisSwitchValues('blue'),
    });
    await expect(
      whatShips(
        {
          app: 'hybris',
          environment: 'prod',
          candidate: seedFacts.hybris.candidate,
        },
        context,
      ),
    ).rejects.toThrow(
      'GitLab: read the hybris version that runs in prod failed: image.tag in hybris/values-blue.yaml at main of kop/kop-deploy-prod is not set',
    );
  });

  it.each([
    [{ app: 'payments' }, 'app', "app: unknown app 'payments'"],
    [
      { environment: 'staging' },
      'environment',
      "environment: unknown environment 'staging' (release.iac.repos has beta, prod)",
    ],
    [
      { candidate: 'master' },
      'candidate',
      "candidate: 'master' is not a hybris version",
    ],
    [
      { candidate: 'deploy-2026-02-30' },
      'candidate',
      "candidate: 'deploy-2026-02-30' is not a hybris version",
    ],
  ])(
    'answers bad input with an InputError naming the field (%#)',
    async (change, field, message) => {
      const { context } = world();
      const error = await whatShips(
        {
          app: 'hybris',
          environment: 'prod',
          candidate: seedFacts.hybris.candidate,
          ...change,
        },
        context,
      ).catch(e => e);
      expect(error).toMatchObject({ name: 'InputError', field });
      expect(error.message).toContain(message);
    },
  );

  it('splits image references into name and tag', () => {
    expect(
      splitImage('registry.kop.example:5000/kop/hybris:deploy-2026-01-06'),
    ).toEqual({
      name: 'registry.kop.example:5000/kop/hybris',
      tag: 'deploy-2026-01-06',
    });
    expect(splitImage('registry.kop.example:5000/kop/web')).toEqual({
      name: 'registry.kop.example:5000/kop/web',
    });
    expect(splitImage('kop/cms:6e27011f@sha256:abc')).toEqual({
      name: 'kop/cms',
      tag: '6e27011f',
    });
  });
});
