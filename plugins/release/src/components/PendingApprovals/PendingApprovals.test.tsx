import { act, screen } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { releaseApiRef, type ReleaseApi } from '../../api';
import { rootRouteRef } from '../../routes';
import {
  backendError,
  openRelease,
} from '../../__testUtils__/dashboardFixtures';
import { LOAD_TIMEOUT_MS } from '../timeout';
import { PendingApprovals } from './PendingApprovals';

function renderCard(listPendingApprovals: ReleaseApi['listPendingApprovals']) {
  return renderInTestApp(
    <TestApiProvider apis={[[releaseApiRef, { listPendingApprovals }]]}>
      <PendingApprovals />
    </TestApiProvider>,
    { mountedRoutes: { '/releases': rootRouteRef } },
  );
}

describe('PendingApprovals', () => {
  afterEach(() => jest.useRealTimers());

  it('lists what waits for me, each linked to its release page', async () => {
    const signoff = openRelease({
      id: '5c4d3e2f-1111-4222-8333-944455556666',
      title: '2026.11.24 cms',
      state: 'awaiting_signoff',
      grade: 'D',
      author: 'user:default/lee.seoyeon',
    });
    await renderCard(async () => ({
      items: [
        {
          release: openRelease(),
          stage: 'approval',
          requirement: {
            key: 'approval:pl',
            stage: 'approval',
            role: 'pl',
            scope: 'service',
            after: false,
          },
        },
        {
          release: signoff,
          stage: 'signoff',
          requirement: {
            key: 'signoff:infra-lead',
            stage: 'signoff',
            role: 'infra-lead',
            scope: 'any',
            after: false,
          },
        },
      ],
    }));
    expect(
      await screen.findByRole('link', { name: '2026.11.25 hybris, web' }),
    ).toHaveAttribute('href', '/releases/0b9c3a8e-1111-4222-8333-944455556666');
    expect(
      screen.getByText('Approval as pl · by kim.minjun · Awaiting approval'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: '2026.11.24 cms' }),
    ).toHaveAttribute('href', '/releases/5c4d3e2f-1111-4222-8333-944455556666');
    expect(
      screen.getByText(
        'Sign-off as infra-lead · by lee.seoyeon · Awaiting sign-off',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('D')).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /Approvals inbox/ }),
    ).toHaveAttribute('href', '/releases/approvals');
  });

  it('says when nothing waits', async () => {
    await renderCard(async () => ({ items: [] }));
    expect(
      await screen.findByText('Nothing waits for your approval.'),
    ).toBeInTheDocument();
  });

  it("shows the backend's reason when the list cannot be read", async () => {
    const error = await backendError(
      401,
      'Unauthorized',
      'Missing credentials',
      '/api/release/approvals/pending',
    );
    await renderCard(async () => {
      throw error;
    });
    expect(
      await screen.findByText(
        'Error: Could not read your pending approvals: 401 Missing credentials',
      ),
    ).toBeInTheDocument();
  });

  it('gives up waiting with a message instead of spinning forever', async () => {
    jest.useFakeTimers();
    await renderCard(() => new Promise(() => {}));
    expect(screen.getByTestId('progress')).toBeInTheDocument();
    await act(() => jest.advanceTimersByTimeAsync(LOAD_TIMEOUT_MS));
    expect(
      screen.getByText(
        /^Error: Could not read your pending approvals: No answer from the release backend after 20 s \(reading your pending approvals\)/,
      ),
    ).toBeInTheDocument();
    expect(screen.queryByTestId('progress')).toBeNull();
  });
});
