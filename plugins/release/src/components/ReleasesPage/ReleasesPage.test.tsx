import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
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
import {
  deployViewFixture,
  runFixture,
} from '../../__testUtils__/deployFixtures';
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
    getStopTheLine: jest.fn(async () => ({})),
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

  it('says stop-the-line holds every release, and lets a lead lift it with a reason', async () => {
    const halt = {
      by: 'user:default/lee.lead',
      reason: 'payment provider incident',
      at: '2026-11-25T03:30:00.000Z',
    };
    const { api } = dashboardApi({
      getStopTheLine: jest.fn(async () => ({ halt })),
      liftStopTheLine: jest.fn(async () => ({})),
    });
    await renderPage(api);
    const banner = await screen.findByTestId('kop-stop-the-line-banner');
    expect(banner).toHaveTextContent('Stop-the-line: every release is held');
    expect(banner).toHaveTextContent(
      /Raised by lee\.lead, .*: payment provider incident/,
    );
    (api.getStopTheLine as jest.Mock).mockResolvedValue({});
    fireEvent.click(screen.getByRole('button', { name: 'Lift stop-the-line' }));
    const dialog = await screen.findByTestId('kop-stop-the-line-dialog');
    fireEvent.change(within(dialog).getByLabelText('Reason'), {
      target: { value: 'the provider is back since 12:40' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Lift it' }));
    await waitFor(() =>
      expect(api.liftStopTheLine).toHaveBeenCalledWith({
        reason: 'the provider is back since 12:40',
      }),
    );
    // By test id: the page stays hidden from the accessibility tree while the dialog fades out.
    await waitFor(() =>
      expect(screen.getByTestId('kop-stop-the-line')).toHaveTextContent(
        'Stop the line',
      ),
    );
    expect(screen.getByTestId('kop-stop-the-line')).toBeEnabled();
    expect(screen.queryByTestId('kop-stop-the-line-banner')).toBeNull();
  });

  it('disables the stop-the-line switch before any press for a person the backend says may not toggle it', async () => {
    const { api } = dashboardApi({
      getStopTheLine: jest.fn(async () => ({
        toggle: {
          enabled: false,
          reason: 'stop the line needs a team lead or above',
        },
      })),
      stopTheLine: jest.fn(async () => ({})),
    });
    await renderPage(api);
    const button = await screen.findByRole('button', { name: 'Stop the line' });
    await waitFor(() =>
      expect(screen.getByTestId('kop-stop-the-line-refusal')).toHaveTextContent(
        'You may not switch stop-the-line: stop the line needs a team lead or above',
      ),
    );
    expect(button).toBeDisabled();
    expect(api.stopTheLine).not.toHaveBeenCalled();
  });

  it('disables the stop-the-line switch with the refusal when the backend answers 403', async () => {
    const { api } = dashboardApi({
      stopTheLine: jest.fn(async () => {
        throw await backendError(
          403,
          'Forbidden',
          'release.stop-the-line: only leads may stop the line',
        );
      }),
    });
    await renderPage(api);
    const button = await screen.findByRole('button', { name: 'Stop the line' });
    await waitFor(() => expect(button).toBeEnabled());
    fireEvent.click(button);
    const dialog = await screen.findByTestId('kop-stop-the-line-dialog');
    fireEvent.change(within(dialog).getByLabelText('Reason'), {
      target: { value: 'payment provider incident' },
    });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Stop every release' }),
    );
    expect(
      await screen.findByTestId('kop-stop-the-line-refusal'),
    ).toHaveTextContent(
      'You may not switch stop-the-line: release.stop-the-line: only leads may stop the line',
    );
    expect(button).toBeDisabled();
    expect(api.stopTheLine).toHaveBeenCalledWith({
      reason: 'payment provider incident',
    });
  });

  it('says where each deploying release is, asking only a few rows for their run', async () => {
    const deploying = ['r-1', 'r-2', 'r-3', 'r-4'].map(id =>
      openRelease({ id, title: `release ${id}`, state: 'deploying' }),
    );
    const { api } = dashboardApi({
      listReleases: jest.fn(async () => ({
        items: [openRelease({ id: 'r-0', title: 'release r-0' }), ...deploying],
      })),
      getDeploy: jest.fn(async (id: string) =>
        deployViewFixture({ runs: [runFixture({ releaseId: id })] }),
      ),
    });
    await renderPage(api);
    expect(
      await screen.findByTestId('kop-release-deploy-step-r-1'),
    ).toHaveTextContent(
      'Step 3/6: hybris green: 6 replicas of deploy-2026-11-25',
    );
    expect(screen.getByTestId('kop-release-deploy-step-r-1')).toHaveAttribute(
      'data-state',
      'waiting',
    );
    expect(screen.getByTestId('kop-release-deploying-r-4')).toHaveTextContent(
      'Deploying',
    );
    expect(screen.queryByTestId('kop-release-deploy-step-r-4')).toBeNull();
    expect(screen.queryByTestId('kop-release-deploying-r-0')).toBeNull();
    const asked = (api.getDeploy as jest.Mock).mock.calls.map(c => c[0]);
    expect([...new Set(asked)].sort()).toEqual(['r-1', 'r-2', 'r-3']);
  });
});
