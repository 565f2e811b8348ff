import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import {
  defaultGradePolicy,
  type CreateReleaseRequest,
} from '@internal/plugin-release-common';
import { releaseApiRef, type ReleaseApi, type WhatShips } from '../api';
import {
  ReleaseVersionsField,
  validateReleaseVersions,
} from './ReleaseVersionsField';
import {
  ReleaseChangesField,
  validateReleaseChanges,
} from './ReleaseChangesField';
import { ReleaseGradeField, validateReleaseGrade } from './ReleaseGradeField';
import { ReleasePreviewField } from './ReleasePreviewField';
import {
  draftOf,
  type ReleaseChangesValue,
  type ReleaseFormData,
  type ReleaseVersionsValue,
} from './draft';
import { IacEditField, validateIacEdit } from './IacEditField';
import { fieldProps } from '../__testUtils__/fieldProps';
import ko from '../translations/ko';

const mrs = 'https://gitlab.kop.example/kop/hybris/-/merge_requests';
const hybrisShips: WhatShips = {
  app: 'hybris',
  environment: 'beta',
  project: 'kop/hybris',
  deployed: {
    version: 'deploy-2026-01-06',
    sha: 'b'.repeat(40),
    commit: {
      from: 'ref',
      ref: 'deploy-2026-01-06',
      url: `https://gitlab.kop.example/kop/hybris/-/commit/${'b'.repeat(40)}`,
    },
    source: 'iac',
    argocdApp: 'hybris-blue',
    iac: {
      project: 'kop/kop-deploy-beta',
      branch: 'main',
      file: 'hybris/values-blue.yaml',
      key: 'image.tag',
    },
  },
  candidate: { version: 'deploy-2026-01-08', sha: 'a'.repeat(40) },
  newer: true,
  ahead: 2,
  behind: 0,
  commits: [
    {
      sha: 'c1'.repeat(20),
      shortSha: 'c1c1c1c1',
      title: '푸터 대표이사 성명 변경 작업 원복',
      author: 'Kim Minjun',
      authoredDate: '2026-01-07T01:00:00.000Z',
      url: 'https://gitlab.kop.example/kop/hybris/-/commit/c1c1c1c1',
      paths: ['storefront/footer.jsp'],
      mergeRequest: 41,
      merge: false,
      mixedIn: true,
    },
    {
      sha: 'c2'.repeat(20),
      shortSha: 'c2c2c2c2',
      title: 'Add loyalty tier to Customer',
      author: 'Lee Seoyeon',
      authoredDate: '2026-01-07T02:00:00.000Z',
      url: 'https://gitlab.kop.example/kop/hybris/-/commit/c2c2c2c2',
      paths: ['core/resources/core-items.xml'],
      mergeRequest: 42,
      merge: false,
      mixedIn: true,
    },
  ],
  mergeRequests: [
    {
      iid: 41,
      title: '푸터 대표이사 성명 변경 작업 원복',
      url: `${mrs}/41`,
      author: 'kim.minjun',
      mergedAt: '2026-01-07T03:00:00.000Z',
      sourceBranch: 'feature/revert-footer-ceo-name',
      targetBranch: 'master',
      paths: ['storefront/footer.jsp'],
      mixedIn: true,
      changeClasses: [],
      carries: [],
    },
    {
      iid: 42,
      title: 'Add loyalty tier to Customer',
      url: `${mrs}/42`,
      author: 'lee.seoyeon',
      mergedAt: '2026-01-07T04:00:00.000Z',
      sourceBranch: 'feature/loyalty-tier',
      targetBranch: 'master',
      paths: ['core/resources/core-items.xml'],
      mixedIn: true,
      changeClasses: ['dbChange'],
      carries: [],
    },
  ],
  changedPaths: ['core/resources/core-items.xml', 'storefront/footer.jsp'],
  changeClasses: {
    dbChange: ['core/resources/core-items.xml'],
    infraChange: [],
  },
  dbUpdate: true,
  minimumGrade: 'D',
  proposedItems: [
    {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      app: 'hybris',
      source: { type: 'mr', project: 'kop/hybris', iid: 41, url: `${mrs}/41` },
    },
    {
      title: '[HYBRIS] Add loyalty tier to Customer',
      app: 'hybris',
      source: { type: 'mr', project: 'kop/hybris', iid: 42, url: `${mrs}/42` },
    },
  ],
  missingItems: [],
  warnings: [],
};

function fakeApi(overrides: Partial<ReleaseApi> = {}): ReleaseApi {
  return {
    getHealth: jest.fn(),
    listReleases: jest.fn(),
    getPolicy: jest.fn(async () => defaultGradePolicy),
    listCandidates: jest.fn(async app => ({
      app,
      from: `branches ^deploy- of kop/${app}`,
      candidates: [
        {
          version: 'deploy-2026-01-08',
          label: 'deploy-2026-01-08 · #12 SUCCESS',
          source: 'branch' as const,
          sha: 'a'.repeat(40),
        },
        {
          version: 'deploy-2026-01-06',
          label: 'deploy-2026-01-06',
          source: 'branch' as const,
          sha: 'b'.repeat(40),
        },
      ],
    })),
    whatShips: jest.fn(async () => hybrisShips),
    previewRelease: jest.fn(),
    ...overrides,
  } as ReleaseApi;
}

/** The versions field with hybris picked and no version yet, as the Prepare form shows it. */
function renderHybrisPicked(api: ReleaseApi, onChange: jest.Mock) {
  return renderInTestApp(
    <TestApiProvider apis={[[releaseApiRef, api]]}>
      <ReleaseVersionsField
        {...fieldProps({
          onChange,
          formData: {
            environment: 'beta',
            apps: [{ app: 'hybris', version: '' }],
          },
        })}
      />
    </TestApiProvider>,
  );
}

function errors() {
  const found: string[] = [];
  return { found, addError: (m: string) => found.push(m) };
}

describe('release form fields', () => {
  it('offers the newest versions of a picked app and reports the choice', async () => {
    const api = fakeApi();
    const onChange = jest.fn();
    await renderHybrisPicked(api, onChange);
    expect(api.listCandidates).toHaveBeenCalledWith('hybris');
    await screen.findByText(
      'Newest first, from branches ^deploy- of kop/hybris',
    );
    fireEvent.mouseDown(
      screen.getByRole('button', { name: /Version of hybris/ }),
    );
    fireEvent.click(await screen.findByText('deploy-2026-01-08 · #12 SUCCESS'));
    expect(onChange).toHaveBeenLastCalledWith({
      environment: 'beta',
      apps: [{ app: 'hybris', version: 'deploy-2026-01-08' }],
    });
  });

  it('offers a deploy branch with no build yet, marked as one the release builds', async () => {
    const api = fakeApi({
      listCandidates: jest.fn(async () => ({
        app: 'hybris' as const,
        from: 'branches ^deploy- of kop/hybris',
        candidates: [
          {
            version: 'deploy-2026-01-15',
            label: 'deploy-2026-01-15',
            source: 'branch' as const,
            sha: 'c'.repeat(40),
            buildPlanned: true,
          },
          {
            version: 'deploy-2026-01-08',
            label: 'deploy-2026-01-08 · #12 SUCCESS',
            source: 'branch' as const,
            sha: 'a'.repeat(40),
          },
        ],
      })),
    });
    const onChange = jest.fn();
    await renderHybrisPicked(api, onChange);
    await screen.findByText(
      'Newest first, from branches ^deploy- of kop/hybris',
    );
    fireEvent.mouseDown(
      screen.getByRole('button', { name: /Version of hybris/ }),
    );
    expect(
      (await screen.findAllByRole('option')).map(o => o.textContent),
    ).toEqual(
      expect.arrayContaining([
        'deploy-2026-01-15 · not built yet — the release builds it',
        'deploy-2026-01-08 · #12 SUCCESS',
      ]),
    );
    fireEvent.click(
      screen.getByText(
        'deploy-2026-01-15 · not built yet — the release builds it',
      ),
    );
    expect(onChange).toHaveBeenLastCalledWith({
      environment: 'beta',
      apps: [{ app: 'hybris', version: 'deploy-2026-01-15' }],
    });
    expect(ko['fields.versions.buildPlanned']).toBe(
      '{{label}} · 아직 빌드되지 않음 — 릴리스가 빌드합니다',
    );
  });

  it('starts from the empty object the form hands an unanswered field', async () => {
    const onChange = jest.fn();
    await renderInTestApp(
      <TestApiProvider apis={[[releaseApiRef, fakeApi()]]}>
        <ReleaseVersionsField
          {...fieldProps({
            onChange,
            formData: {} as ReleaseVersionsValue,
          })}
        />
      </TestApiProvider>,
    );
    expect(screen.getByText('Pick at least one app.')).toBeInTheDocument();
    expect(onChange).toHaveBeenCalledWith({ environment: 'beta', apps: [] });
    const none = errors();
    validateReleaseVersions({} as ReleaseVersionsValue, none);
    validateReleaseChanges({} as ReleaseChangesValue, none);
    expect(none.found).toEqual([
      'release.apps: pick at least one app to release',
      'changes.items: list at least one item that ships',
    ]);
  });

  it('names the field when no app or version is picked', () => {
    const none = errors();
    validateReleaseVersions({ environment: 'beta', apps: [] }, none);
    expect(none.found).toEqual([
      'release.apps: pick at least one app to release',
    ]);
    const noVersion = errors();
    validateReleaseVersions(
      { environment: 'beta', apps: [{ app: 'cms', version: '' }] },
      noVersion,
    );
    expect(noVersion.found).toEqual(['release.cms: pick the version of cms']);
  });

  it('fills the items from what ships and flags an MR removed from them as mixed in', async () => {
    const api = fakeApi();
    const onChange = jest.fn();
    const formContext = {
      formData: {
        release: {
          environment: 'beta',
          apps: [{ app: 'hybris', version: 'deploy-2026-01-08' }],
        },
      },
    };
    const { rerender } = await renderInTestApp(
      <TestApiProvider apis={[[releaseApiRef, api]]}>
        <ReleaseChangesField {...fieldProps({ onChange, formContext })} />
      </TestApiProvider>,
    );
    await waitFor(() => expect(onChange).toHaveBeenCalled());
    const first = onChange.mock.calls.at(-1)[0];
    expect(first.items.map((i: { title: string }) => i.title)).toEqual([
      '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      '[HYBRIS] Add loyalty tier to Customer',
    ]);
    expect(first).toMatchObject({
      changeClasses: ['dbChange'],
      dbUpdate: true,
      mixedIn: 0,
      notNewer: [],
    });
    expect(
      screen.getByText('core/resources/core-items.xml'),
    ).toBeInTheDocument();

    rerender(
      <TestApiProvider apis={[[releaseApiRef, api]]}>
        <ReleaseChangesField
          {...fieldProps({ onChange, formContext, formData: first })}
        />
      </TestApiProvider>,
    );
    fireEvent.click((await screen.findAllByLabelText('Remove item'))[1]);
    const after = onChange.mock.calls.at(-1)[0];
    expect(after.items).toHaveLength(1);
    expect(after.mixedIn).toBe(1);
  });

  /** The changes field of a Prepare form that picked hybris deploy-2026-01-08 for beta. */
  const renderChanges = (api: ReleaseApi) =>
    renderInTestApp(
      <TestApiProvider apis={[[releaseApiRef, api]]}>
        <ReleaseChangesField
          {...fieldProps({
            onChange: jest.fn(),
            formContext: {
              formData: {
                release: {
                  environment: 'beta',
                  apps: [{ app: 'hybris', version: 'deploy-2026-01-08' }],
                },
              },
            },
          })}
        />
      </TestApiProvider>,
    );

  it.each([
    [
      'the commit its build built',
      {
        from: 'build' as const,
        build: { job: 'kop/hybris-build', number: 3, releaseId: 'r-1' },
      },
      'deploy-2026-01-06-3 is the image kop/hybris-build #3 built from',
    ],
    [
      'the deploy branch when no build says',
      { from: 'branch' as const, ref: 'deploy-2026-01-06' },
      'deploy-2026-01-06-3: no build says which commit it was built from, so this counts from the head of deploy-2026-01-06, which may have moved on since:',
    ],
  ])(
    'shows the commit an image tag that runs counts from: %s, linked to GitLab',
    async (_case, commit, text) => {
      const url = `https://gitlab.kop.example/kop/hybris/-/commit/${'b'.repeat(
        40,
      )}`;
      await renderChanges(
        fakeApi({
          whatShips: jest.fn(async () => ({
            ...hybrisShips,
            deployed: {
              ...hybrisShips.deployed,
              version: 'deploy-2026-01-06-3',
              commit: { ...commit, url },
            },
          })),
        }),
      );
      const shown = await screen.findByTestId('kop-running-commit');
      expect(shown).toHaveTextContent(`${text} bbbbbbbb`);
      expect(
        within(shown).getByRole('link', { name: /^bbbbbbbb/ }),
      ).toHaveAttribute('href', url);
    },
  );

  it('shows no commit line when the version that runs is the ref itself', async () => {
    await renderChanges(fakeApi());
    await screen.findByText('hybris: deploy-2026-01-06 → deploy-2026-01-08');
    expect(screen.queryByTestId('kop-running-commit')).toBeNull();
  });

  it('refuses an empty item list and a version behind what runs, unless the form rolls back', () => {
    const empty = errors();
    validateReleaseChanges(
      {
        items: [],
        changeClasses: [],
        mixedIn: 0,
        notNewer: [],
        dbUpdate: false,
      },
      empty,
    );
    expect(empty.found).toEqual([
      'changes.items: list at least one item that ships',
    ]);
    const value = {
      items: hybrisShips.proposedItems,
      changeClasses: [],
      mixedIn: 0,
      notNewer: ['hybris' as const],
      dbUpdate: false,
    };
    const older = errors();
    validateReleaseChanges(value, older);
    expect(older.found[0]).toMatch(
      /^release\.hybris: the version is not newer/,
    );
    const rollback = errors();
    validateReleaseChanges(value, rollback, {
      uiSchema: { 'ui:options': { allowOlder: true } },
    });
    expect(rollback.found).toEqual([]);
  });

  it('shows the floor a DB change sets and asks for a reason below it', async () => {
    const api = fakeApi();
    const onChange = jest.fn();
    await renderInTestApp(
      <TestApiProvider apis={[[releaseApiRef, api]]}>
        <ReleaseGradeField
          {...fieldProps({
            onChange,
            formData: { grade: 'B' },
            formContext: {
              formData: { changes: { changeClasses: ['dbChange'] } },
            },
          })}
        />
      </TestApiProvider>,
    );
    expect(await screen.findByTestId('kop-grade-floor')).toHaveTextContent(
      'Lowest grade for these changes: D (changes: dbChange)',
    );
    expect(screen.getByLabelText('Why below D?')).toBeInTheDocument();
    fireEvent.click(screen.getByLabelText(/^D 높음/));
    expect(onChange).toHaveBeenLastCalledWith({ grade: 'D' });

    const apiHolder = { get: () => api } as never;
    const below = errors();
    await validateReleaseGrade({ grade: 'B' }, below, {
      apiHolder,
      formData: { changes: { changeClasses: ['dbChange'] } },
    });
    expect(below.found[0]).toMatch(/^grade: B is below D/);
    const reasoned = errors();
    await validateReleaseGrade(
      { grade: 'B', reason: 'items.xml only renames a comment' },
      reasoned,
      {
        apiHolder,
        formData: { changes: { changeClasses: ['dbChange'] } },
      },
    );
    expect(reasoned.found).toEqual([]);
  });

  it('renders the announcement the backend previews from the answers', async () => {
    const data: ReleaseFormData = {
      release: {
        environment: 'beta',
        apps: [{ app: 'hybris', version: 'deploy-2026-01-08' }],
      },
      changes: {
        items: hybrisShips.proposedItems,
        changeClasses: ['dbChange'],
        mixedIn: 0,
        notNewer: [],
        dbUpdate: true,
      },
      grade: { grade: 'D' },
      steps: '5,10,15',
    };
    const draft = draftOf(data) as CreateReleaseRequest;
    expect(draft).toEqual({
      grade: 'D',
      dbUpdate: true,
      changeClasses: ['dbChange'],
      apps: [
        { app: 'hybris', version: 'deploy-2026-01-08', steps: [5, 10, 15] },
      ],
      items: hybrisShips.proposedItems,
    });
    const previewRelease = jest.fn(async () => ({
      release: { grade: 'D', minimumGrade: 'D' },
      notes: {
        announcement:
          '[kop] 배포합니다.\n- 배포버전: hybris(deploy-2026-01-08)',
        asana: '배포버전: hybris(deploy-2026-01-08)',
        commitMessage: '',
      },
      iac: {
        environment: 'beta',
        diff: '--- a/hybris/values-green.yaml\n+++ b/hybris/values-green.yaml\n-  tag: deploy-2025-12-23\n+  tag: deploy-2026-01-08\n',
      },
      approvals: [
        {
          key: 'approval:service-team-lead',
          stage: 'approval',
          role: 'service-team-lead',
          scope: 'service',
          after: false,
          teams: ['group:default/kop-hybris'],
        },
      ],
    }));
    const api = fakeApi({ previewRelease } as never);
    await renderInTestApp(
      <TestApiProvider apis={[[releaseApiRef, api]]}>
        <ReleasePreviewField
          {...fieldProps({
            onChange: jest.fn(),
            formContext: { formData: data },
          })}
        />
      </TestApiProvider>,
    );
    expect(await screen.findByTestId('kop-announcement')).toHaveTextContent(
      '[kop] 배포합니다.',
    );
    expect(previewRelease).toHaveBeenCalledWith(draft, 'beta');
    expect(screen.getByTestId('kop-release-iac-diff').textContent).toContain(
      '+  tag: deploy-2026-01-08',
    );
    expect(
      screen.getByText('service-team-lead (group:default/kop-hybris)'),
    ).toBeInTheDocument();
  });

  it('shows the exact IaC diff of an on-screen edit and keeps the blobs it was made from', async () => {
    const previewIac = jest.fn(async () => ({
      diff: '--- a/web/values.yaml\n+++ b/web/values.yaml\n-replicaCount: 3\n+replicaCount: 5\n',
      expectedBlobs: { 'web/values.yaml': 'c'.repeat(40) },
      baseSha: 'd'.repeat(40),
      changed: true,
    }));
    const api = fakeApi({
      getIacTargets: async () => ({
        environments: ['beta', 'prod'],
        targets: [
          {
            argocdApp: 'web',
            app: 'web',
            file: 'web/values.yaml',
            keys: ['image.tag', 'replicaCount'],
          },
        ],
      }),
      previewIac,
    } as never);
    const onChange = jest.fn();
    await renderInTestApp(
      <TestApiProvider apis={[[releaseApiRef, api]]}>
        <IacEditField
          {...fieldProps({
            onChange,
            formData: {
              environment: 'prod',
              argocdApp: 'web',
              key: 'replicaCount',
              value: '5',
            },
          })}
        />
      </TestApiProvider>,
    );
    expect(await screen.findByTestId('kop-iac-diff')).toHaveTextContent(
      '+replicaCount: 5',
    );
    expect(previewIac).toHaveBeenCalledWith({
      environment: 'prod',
      changes: [{ argocdApp: 'web', key: 'replicaCount', value: 5 }],
    });
    expect(onChange).toHaveBeenLastCalledWith(
      expect.objectContaining({
        expectedBlobs: { 'web/values.yaml': 'c'.repeat(40) },
        baseSha: 'd'.repeat(40),
      }),
    );
    const noDiff = errors();
    validateIacEdit(
      {
        environment: 'prod',
        argocdApp: 'web',
        key: 'replicaCount',
        value: '5',
      },
      noDiff,
    );
    expect(noDiff.found).toEqual([
      'edit.diff: wait for the diff, or change something',
    ]);
  });
});
