import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { signalApiRef, type SignalApi } from '@backstage/plugin-signals-react';
import { releaseSignalChannel } from '@internal/plugin-release-common';
import {
  releaseApiRef,
  type PendingApproval,
  type ReleaseApi,
} from '../../api';
import { rootRouteRef } from '../../routes';
import {
  fakeReleaseApi,
  releaseFixture,
  releaseId,
  responseError,
} from '../../__testUtils__/releaseFixtures';
import { planFingerprint } from '../../__testUtils__/deployFixtures';
import { ReleasesPage } from '../ReleasesPage';
import { fakeSignals } from '../testing/fakeSignals';

// MUI cards and the test app take seconds to render on a busy two-core machine.
jest.setTimeout(30_000);

function renderInbox(api: ReleaseApi, signals?: SignalApi) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [releaseApiRef, api],
        ...(signals ? ([[signalApiRef, signals]] as const) : []),
      ]}
    >
      <Routes>
        <Route path="/releases/*" element={<ReleasesPage />} />
      </Routes>
    </TestApiProvider>,
    {
      routeEntries: ['/releases/approvals'],
      mountedRoutes: { '/releases': rootRouteRef },
    },
  );
}

const waiting: PendingApproval = {
  release: releaseFixture(),
  stage: 'approval',
  requirement: {
    key: 'approval:pl',
    stage: 'approval',
    role: 'pl',
    scope: 'service',
    after: false,
  },
};

const item = () => screen.findByTestId(`kop-pending-${releaseId}-approval`);

describe('Approvals inbox', () => {
  it('lists what waits for me, linked to the release page, and approves in place', async () => {
    const api = fakeReleaseApi({
      listPendingApprovals: jest.fn(async () => ({ items: [waiting] })),
      decide: jest.fn(async () => releaseFixture({ state: 'approved' })),
    });
    await renderInbox(api);
    const row = await item();
    expect(
      within(row).getByRole('link', { name: '2026.11.25 hybris, web' }),
    ).toHaveAttribute('href', `/releases/${releaseId}`);
    expect(row).toHaveTextContent('hybris(deploy-2026-11-25), web(a7ed4db1)');
    expect(row).toHaveTextContent(
      'Before deploying · you approve as pl · by kim.minjun',
    );
    expect(within(row).getByText('Awaiting approval')).toBeInTheDocument();

    // As on the release page, the approval names the plan shown beside Approve.
    expect(
      await within(row).findByTestId('kop-decision-fingerprint'),
    ).toHaveTextContent('for plan 3f2a9c1d7e5b');
    api.listPendingApprovals.mockResolvedValue({ items: [] });
    fireEvent.change(within(row).getByLabelText('Comment'), {
      target: { value: 'ok to ship' },
    });
    fireEvent.click(within(row).getByRole('button', { name: 'Approve' }));

    await waitFor(() =>
      expect(api.decide).toHaveBeenCalledWith(releaseId, {
        decision: 'approve',
        stage: 'approval',
        comment: 'ok to ship',
        fingerprint: planFingerprint,
      }),
    );
    expect(
      await screen.findByText(
        'Recorded: 2026.11.25 hybris, web is now Approved.',
      ),
    ).toBeInTheDocument();
    expect(
      await screen.findByText('Nothing waits for you'),
    ).toBeInTheDocument();
    expect(api.listPendingApprovals).toHaveBeenCalledTimes(2);
  });

  it('rejects in place only with a reason', async () => {
    const api = fakeReleaseApi({
      listPendingApprovals: jest.fn(async () => ({ items: [waiting] })),
      decide: jest.fn(async () => releaseFixture({ state: 'rejected' })),
    });
    await renderInbox(api);
    const row = await item();
    fireEvent.click(within(row).getByRole('button', { name: 'Reject' }));
    expect(
      await within(row).findByText('Say why you reject the release.'),
    ).toBeInTheDocument();
    expect(api.decide).not.toHaveBeenCalled();
    fireEvent.change(within(row).getByLabelText('Comment'), {
      target: { value: 'MR 44 is not announced' },
    });
    fireEvent.click(within(row).getByRole('button', { name: 'Reject' }));
    await waitFor(() =>
      expect(api.decide).toHaveBeenCalledWith(releaseId, {
        decision: 'reject',
        stage: 'approval',
        comment: 'MR 44 is not announced',
      }),
    );
  });

  it('says so when nothing waits', async () => {
    const api = fakeReleaseApi({
      listPendingApprovals: jest.fn(async () => ({ items: [] })),
    });
    await renderInbox(api);
    expect(
      await screen.findByText('Nothing waits for you'),
    ).toBeInTheDocument();
  });

  it('offers to reload the list when someone else decided first (409)', async () => {
    const api = fakeReleaseApi({
      listPendingApprovals: jest.fn(async () => ({ items: [waiting] })),
      decide: jest.fn(async () => {
        throw await responseError(
          409,
          'Conflict',
          'ConflictError',
          'state: the release is approved, not awaiting_approval',
        );
      }),
    });
    await renderInbox(api);
    const row = await item();
    const approve = within(row).getByRole('button', { name: 'Approve' });
    // Approve waits for the plan it names.
    await waitFor(() => expect(approve).toBeEnabled());
    fireEvent.click(approve);
    const alert = await within(row).findByRole('alert');
    expect(alert).toHaveTextContent('The release changed meanwhile');
    expect(alert).toHaveTextContent(
      'state: the release is approved, not awaiting_approval',
    );
    api.listPendingApprovals.mockResolvedValue({ items: [] });
    fireEvent.click(within(alert).getByRole('button', { name: 'Reload' }));
    expect(
      await screen.findByText('Nothing waits for you'),
    ).toBeInTheDocument();
  });

  it('shows why the list cannot be read, with a way to try again', async () => {
    const api = fakeReleaseApi({
      listPendingApprovals: jest.fn(async () => {
        throw await responseError(
          503,
          'Service Unavailable',
          'ServiceUnavailableError',
          'database: connection refused',
        );
      }),
    });
    await renderInbox(api);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not read what waits for you');
    expect(alert).toHaveTextContent('database: connection refused');
    api.listPendingApprovals.mockResolvedValue({ items: [waiting] });
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await item()).toBeInTheDocument();
  });

  it('drops what someone else decided meanwhile, without a reload', async () => {
    const signals = fakeSignals();
    const api = fakeReleaseApi({
      listPendingApprovals: jest.fn(async () => ({ items: [waiting] })),
    });
    await renderInbox(api, signals.api);
    expect(await item()).toBeInTheDocument();
    await waitFor(() =>
      expect(signals.subscribers(releaseSignalChannel)).toBeGreaterThan(0),
    );

    api.listPendingApprovals.mockResolvedValue({ items: [] });
    act(() =>
      signals.emit(releaseSignalChannel, {
        releaseId,
        state: 'approved',
        revision: 3,
        action: 'release.approve',
      }),
    );
    expect(
      await screen.findByText('Nothing waits for you'),
    ).toBeInTheDocument();
    expect(api.listPendingApprovals).toHaveBeenCalledTimes(2);
  });
});
