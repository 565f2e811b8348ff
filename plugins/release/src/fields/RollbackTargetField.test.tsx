import { act, fireEvent, screen, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { mockApis } from '@backstage/frontend-test-utils';
import { appLanguageApiRef } from '@backstage/core-plugin-api/alpha';
import type { Release } from '@internal/plugin-release-common';
import { releaseApiRef, type ReleaseApi } from '../api';
import { createFormatters } from '../components/formatters';
import { releaseFixture } from '../__testUtils__/releaseFixtures';
import {
  RollbackTargetField,
  validateRollbackTarget,
} from './RollbackTargetField';
import type { ReleaseVersionsValue } from './draft';
import { fieldProps } from '../__testUtils__/fieldProps';

/** The release that runs now, and the two before it (newest first, as the backend lists them). */
const running = releaseFixture({
  id: 'r3',
  title: '2026.11.25 hybris, web',
  state: 'done',
});
const lastWeek = releaseFixture({
  id: 'r2',
  title: '2026.11.18 hybris, cms',
  state: 'done',
  createdAt: '2026-11-18T09:00:00Z',
  apps: [
    { app: 'cms', version: 'c0ffee12', strategy: 'branch-merge-sync' },
    {
      app: 'hybris',
      version: 'deploy-2026-11-18',
      previousVersion: 'deploy-2026-11-11',
      strategy: 'blue-green-steps',
      steps: [3, 6, 9],
    },
  ],
});
const older = releaseFixture({
  id: 'r1',
  title: '2026.11.11 web',
  state: 'announced',
  createdAt: '2026-11-11T09:00:00Z',
  apps: [{ app: 'web', version: '5e1f00d2', strategy: 'sync' }],
});

function fakeApi(pages: Record<string, { items: Release[]; next?: string }>) {
  const listReleases = jest.fn<
    ReturnType<ReleaseApi['listReleases']>,
    Parameters<ReleaseApi['listReleases']>
  >(async options => {
    const page = pages[options?.cursor ?? options?.app ?? 'all'];
    return { items: page.items, nextCursor: page.next };
  });
  return { api: { listReleases } as unknown as ReleaseApi, listReleases };
}

/** Renders the field the way rjsf does: each onChange comes back as the new formData. */
async function renderField(
  api: ReleaseApi,
  props: {
    formData?: ReleaseVersionsValue;
    uiSchema?: object;
    language?: ReturnType<typeof mockApis.appLanguage>;
  } = {},
) {
  const values: ReleaseVersionsValue[] = [];
  let rerender: (ui: JSX.Element) => void = () => {};
  const language = props.language ?? mockApis.appLanguage();
  const view = (formData?: ReleaseVersionsValue) => (
    <TestApiProvider
      apis={[
        [releaseApiRef, api],
        [appLanguageApiRef, language],
      ]}
    >
      <RollbackTargetField
        {...fieldProps({
          formData,
          uiSchema: props.uiSchema ?? {},
          onChange: (next: ReleaseVersionsValue) => {
            values.push(next);
            rerender(view(next));
          },
        })}
      />
    </TestApiProvider>
  );
  const rendered = await renderInTestApp(view(props.formData));
  rerender = rendered.rerender;
  return { values, last: () => values[values.length - 1] };
}

describe('RollbackTargetField', () => {
  it('lists earlier releases that ran in full, with their versions', async () => {
    const { api, listReleases } = fakeApi({
      all: { items: [running, lastWeek, older] },
    });
    const { values } = await renderField(api, { formData: {} as never });
    expect(
      await screen.findByText('hybris deploy-2026-11-18, cms c0ffee12'),
    ).toBeInTheDocument();
    expect(listReleases).toHaveBeenCalledWith({
      state: ['done', 'announced', 'scaling_down'],
      limit: 20,
    });
    expect(
      screen.getByText('hybris deploy-2026-11-25, web a7ed4db1'),
    ).toBeInTheDocument();
    expect(screen.getByText('web 5e1f00d2')).toBeInTheDocument();
    expect(screen.getAllByRole('radio')).toHaveLength(3);
    expect(
      screen.getByRole('radio', { name: /2026\.11\.11 web · Announced/ }),
    ).toBeInTheDocument();
    // The empty object the form starts with becomes the default environment and no apps.
    expect(values[0]).toEqual({ environment: 'beta', apps: [] });
    expect(
      screen.getByText('Pick a release and at least one of its apps.'),
    ).toBeInTheDocument();
  });

  it('writes when each release was created in the language chosen in Settings, and follows a change', async () => {
    const language = mockApis.appLanguage({
      defaultLanguage: 'ko',
      availableLanguages: ['en', 'ko'],
    });
    const { api } = fakeApi({ all: { items: [lastWeek] } });
    await renderField(api, {
      formData: { environment: 'beta', apps: [] },
      language,
    });
    const radio = await screen.findByRole('radio', {
      name: /2026\.11\.18 hybris, cms/,
    });
    const label = () => radio.closest('label')?.textContent ?? '';
    const inKorean = createFormatters('ko-KR').formatDateTime(
      lastWeek.createdAt,
    );
    expect(inKorean).toMatch(
      /^2026\. 11\. 1[789]\. (오전|오후) \d{1,2}:\d{2}$/,
    );
    expect(label()).toContain(` · ${inKorean}`);

    act(() => language.setLanguage('en'));
    const inEnglish = createFormatters('en-GB').formatDateTime(
      lastWeek.createdAt,
    );
    expect(inEnglish).toMatch(/^1[789] Nov 2026, \d{2}:\d{2}$/);
    expect(label()).toContain(` · ${inEnglish}`);
    expect(label()).not.toContain(inKorean);
  });

  it("takes the picked release's versions, and leaves out an app the user unticks", async () => {
    const { api } = fakeApi({ all: { items: [running, lastWeek, older] } });
    const { last } = await renderField(api, {
      formData: { environment: 'prod', apps: [] },
    });
    fireEvent.click(
      await screen.findByRole('radio', { name: /2026\.11\.18 hybris, cms/ }),
    );
    expect(last()).toEqual({
      environment: 'prod',
      apps: [
        { app: 'hybris', version: 'deploy-2026-11-18' },
        { app: 'cms', version: 'c0ffee12' },
      ],
    });
    // web did not ship in that release: it is offered as left out, and cannot be ticked.
    const web = screen.getByRole('checkbox', {
      name: 'web: not in this release, left as it runs',
    });
    expect(web).not.toBeChecked();
    expect(web).toBeDisabled();

    fireEvent.click(screen.getByRole('checkbox', { name: 'cms → c0ffee12' }));
    expect(last()).toEqual({
      environment: 'prod',
      apps: [{ app: 'hybris', version: 'deploy-2026-11-18' }],
    });
    fireEvent.click(screen.getByRole('checkbox', { name: 'cms → c0ffee12' }));
    expect(last().apps).toEqual([
      { app: 'hybris', version: 'deploy-2026-11-18' },
      { app: 'cms', version: 'c0ffee12' },
    ]);
    const none: string[] = [];
    validateRollbackTarget(last(), { addError: m => none.push(m) });
    expect(none).toEqual([]);
  });

  it('asks only for releases of the app filtered on, pages on demand, and reads again when the filter changes', async () => {
    const { api, listReleases } = fakeApi({
      hybris: { items: [running], next: 'cursor-1' },
      'cursor-1': { items: [lastWeek] },
      all: { items: [older] },
    });
    const { last } = await renderField(api, {
      formData: { environment: 'beta', apps: [] },
      uiSchema: { 'ui:options': { app: 'hybris', limit: 1 } },
    });
    await screen.findByRole('radio', { name: /2026\.11\.25/ });
    fireEvent.click(
      screen.getByRole('button', { name: 'Show older releases' }),
    );
    const second = await screen.findByRole('radio', { name: /2026\.11\.18/ });
    expect(listReleases.mock.calls.map(c => c[0])).toEqual([
      {
        state: ['done', 'announced', 'scaling_down'],
        app: 'hybris',
        limit: 1,
      },
      {
        state: ['done', 'announced', 'scaling_down'],
        app: 'hybris',
        limit: 1,
        cursor: 'cursor-1',
      },
    ]);
    expect(
      screen.queryByRole('button', { name: 'Show older releases' }),
    ).not.toBeInTheDocument();
    expect(second).not.toBeChecked();
    fireEvent.click(second);
    expect(last().apps).toHaveLength(2);

    // Widening the filter to any app reads again from the newest, and drops the pick.
    fireEvent.mouseDown(
      screen.getByRole('button', { name: /Releases that shipped/ }),
    );
    fireEvent.click(await screen.findByRole('option', { name: 'Any app' }));
    expect(await screen.findByText('web 5e1f00d2')).toBeInTheDocument();
    expect(listReleases).toHaveBeenLastCalledWith({
      state: ['done', 'announced', 'scaling_down'],
      limit: 1,
    });
    expect(last()).toEqual({ environment: 'beta', apps: [] });
  });

  it('comes back to a filled-in value with its release picked', async () => {
    const { api } = fakeApi({ all: { items: [running, lastWeek] } });
    await renderField(api, {
      formData: {
        environment: 'prod',
        apps: [{ app: 'hybris', version: 'deploy-2026-11-18' }],
      },
    });
    expect(
      await screen.findByRole('radio', { name: /2026\.11\.18/ }),
    ).toBeChecked();
    const apps = screen.getByText('Apps to take back to 2026.11.18 hybris, cms')
      .parentElement as HTMLElement;
    expect(
      within(apps).getByRole('checkbox', {
        name: 'hybris → deploy-2026-11-18',
      }),
    ).toBeChecked();
    expect(
      within(apps).getByRole('checkbox', { name: 'cms → c0ffee12' }),
    ).not.toBeChecked();
  });

  it('says why when the releases cannot be read', async () => {
    const api = {
      listReleases: jest.fn(async () => {
        throw new Error('release backend answered 503');
      }),
    } as unknown as ReleaseApi;
    await renderField(api, { formData: { environment: 'beta', apps: [] } });
    expect(
      await screen.findByText(
        'Could not read the earlier releases: release backend answered 503',
      ),
    ).toBeInTheDocument();
  });

  it('names the field when no app is left to go back', () => {
    const found: string[] = [];
    validateRollbackTarget(
      { environment: 'prod', apps: [] },
      {
        addError: m => found.push(m),
      },
    );
    validateRollbackTarget({} as ReleaseVersionsValue, {
      addError: m => found.push(m),
    });
    validateRollbackTarget(
      { environment: 'prod', apps: [{ app: 'web', version: '' }] },
      { addError: m => found.push(m) },
    );
    expect(found).toEqual([
      'release.apps: pick an earlier release and at least one of its apps to go back to',
      'release.apps: pick an earlier release and at least one of its apps to go back to',
      'release.web: the release picked has no version of web to go back to',
    ]);
  });
});
