import { act, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { configApiRef } from '@backstage/core-plugin-api';
import { signalApiRef, type SignalApi } from '@backstage/plugin-signals-react';
import {
  isOpenReleaseState,
  releaseSignalChannel,
  releaseStates,
} from '@internal/plugin-release-common';
import { releaseApiRef, type ReleaseApi } from '../../api';
import { rootRouteRef } from '../../routes';
import {
  controllableStream,
  setupCheckFixture,
  statusFixture,
} from '../../__testUtils__/statusFixtures';
import {
  backendError,
  openRelease,
} from '../../__testUtils__/dashboardFixtures';
import { ReleasesPage } from './ReleasesPage';
import { fakeSignals } from '../testing/fakeSignals';

const health = async () => ({
  status: 'ok' as const,
  product: 'kop',
  environments: ['beta', 'prod'],
});

function dashboardApi(overrides: Partial<ReleaseApi> = {}) {
  const stream = controllableStream();
  const api: Partial<ReleaseApi> = {
    getHealth: jest.fn(health),
    listReleases: jest.fn(async () => ({ items: [openRelease()] })),
    listPendingApprovals: jest.fn(async () => ({ items: [] })),
    streamStatus: stream.streamStatus,
    getStatus: jest.fn(() => new Promise(() => {})),
    getSetupCheck: jest.fn(async () => setupCheckFixture()),
    ...overrides,
  };
  return { api, stream };
}

function renderPage(
  api: Partial<ReleaseApi>,
  path = '/releases',
  signals?: SignalApi,
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [releaseApiRef, api],
        [
          configApiRef,
          mockApis.config({ data: { release: { product: 'kop' } } }),
        ],
        ...(signals ? ([[signalApiRef, signals]] as const) : []),
      ]}
    >
      <Routes>
        <Route path="/releases/*" element={<ReleasesPage />} />
      </Routes>
    </TestApiProvider>,
    { routeEntries: [path], mountedRoutes: { '/releases': rootRouteRef } },
  );
}

// The dashboard renders every card of the app at once; on a busy two-core machine that takes seconds.
jest.setTimeout(30_000);

describe('ReleasesPage', () => {
  it("shows every app's live status, the open releases and what waits for me", async () => {
    const { api, stream } = dashboardApi({
      listPendingApprovals: jest.fn(async () => ({
        items: [
          {
            release: openRelease({ title: '2026.11.26 cms', id: 'r-2' }),
            stage: 'approval' as const,
            requirement: {
              key: 'approval:team-lead',
              stage: 'approval' as const,
              role: 'team-lead',
              scope: 'service' as const,
              after: false,
            },
          },
        ],
      })),
    });
    await renderPage(api);
    act(() => stream.emit(statusFixture()));

    for (const environment of ['beta', 'prod']) {
      for (const app of ['hybris', 'cms', 'web']) {
        expect(
          screen.getByRole('group', { name: `${app} in ${environment}` }),
        ).toBeInTheDocument();
      }
    }
    expect(
      await screen.findByRole('link', { name: '2026.11.25 hybris, web' }),
    ).toHaveAttribute('href', '/releases/0b9c3a8e-1111-4222-8333-944455556666');
    expect(screen.getByText('Open releases')).toBeInTheDocument();
    expect(
      screen.getByText('hybris(deploy-2026-11-25), web(a7ed4db1)'),
    ).toBeInTheDocument();
    expect(screen.getByText('Awaiting approval')).toBeInTheDocument();
    expect(api.listReleases).toHaveBeenCalledWith({
      state: releaseStates.filter(isOpenReleaseState),
      limit: 50,
    });
    expect(
      await screen.findByRole('link', { name: '2026.11.26 cms' }),
    ).toHaveAttribute('href', '/releases/r-2');
    expect(
      screen.getByText(
        'Approval as team-lead · by kim.minjun · Awaiting approval',
      ),
    ).toBeInTheDocument();
    expect(
      await screen.findByText('Release backend connected: kop (beta → prod)'),
    ).toBeInTheDocument();
  });

  it('leads to the release form and the setup check', async () => {
    const { api } = dashboardApi();
    await renderPage(api);
    expect(screen.getByText('kop release portal')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'New release' })).toHaveAttribute(
      'href',
      '/create/templates/default/kop-prepare-release',
    );
    expect(screen.getByRole('link', { name: 'Setup check' })).toHaveAttribute(
      'href',
      '/releases/setup',
    );
  });

  it('says there are no open releases', async () => {
    const { api } = dashboardApi({
      listReleases: jest.fn(async () => ({ items: [] })),
    });
    await renderPage(api);
    expect(await screen.findByText('No open releases')).toBeInTheDocument();
  });

  it('shows why the backend is unreachable on every card instead of spinning', async () => {
    const error = await backendError(
      503,
      'Service Unavailable',
      'The release backend is starting',
    );
    const fail = async () => {
      throw error;
    };
    const { api, stream } = dashboardApi({
      getHealth: jest.fn(fail),
      listReleases: jest.fn(fail),
      listPendingApprovals: jest.fn(fail),
      getStatus: jest.fn(fail),
    });
    await renderPage(api);
    act(() => stream.fail(new Error('The status stream was refused with 503')));
    expect(
      await screen.findByText(
        'The release backend did not answer: Request failed with 503 Service Unavailable',
      ),
    ).toBeInTheDocument();
    for (const title of [
      'Could not read the releases',
      'Could not read your pending approvals',
      'Could not read the live status',
    ]) {
      expect(
        await screen.findByText(
          `Error: ${title}: 503 The release backend is starting`,
        ),
      ).toBeInTheDocument();
    }
    expect(screen.queryByTestId('progress')).toBeNull();
  });

  it('serves the setup check at /releases/setup', async () => {
    const { api } = dashboardApi();
    await renderPage(api, '/releases/setup');
    expect(
      await screen.findByText('2 of 3 systems need attention'),
    ).toBeInTheDocument();
    const gitlab = screen.getByRole('group', { name: 'GitLab' });
    expect(
      within(gitlab).getByText(/give kop-release-bot Developer/),
    ).toBeInTheDocument();
    expect(api.streamStatus).not.toHaveBeenCalled();
  });

  it('shows what others did to the open releases and my approvals, without a reload', async () => {
    const signals = fakeSignals();
    const { api } = dashboardApi();
    await renderPage(api, '/releases', signals.api);
    const table = (
      await screen.findByRole('link', {
        name: '2026.11.25 hybris, web',
      })
    ).closest('table')!;
    expect(within(table).getByText('Awaiting approval')).toBeInTheDocument();
    await waitFor(() =>
      expect(signals.subscribers(releaseSignalChannel)).toBeGreaterThan(1),
    );
    expect(api.listReleases).toHaveBeenCalledTimes(1);
    expect(api.listPendingApprovals).toHaveBeenCalledTimes(1);

    // The table shows this revision already: only my approvals are read again.
    act(() =>
      signals.emit(releaseSignalChannel, {
        releaseId: openRelease().id,
        state: 'awaiting_approval',
        revision: 2,
        action: 'release.request-approval',
      }),
    );
    await waitFor(() =>
      expect(api.listPendingApprovals).toHaveBeenCalledTimes(2),
    );
    expect(api.listReleases).toHaveBeenCalledTimes(1);

    (api.listReleases as jest.Mock).mockResolvedValue({
      items: [openRelease({ state: 'approved', revision: 3 })],
    });
    act(() =>
      signals.emit(releaseSignalChannel, {
        releaseId: openRelease().id,
        state: 'approved',
        revision: 3,
        action: 'release.approve',
      }),
    );
    expect(await within(table).findByText('Approved')).toBeInTheDocument();
    expect(api.listReleases).toHaveBeenCalledTimes(2);
    expect(api.listPendingApprovals).toHaveBeenCalledTimes(3);
  });
});
