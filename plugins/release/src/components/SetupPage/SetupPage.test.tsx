import { act, fireEvent, screen, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { releaseApiRef, type ReleaseApi } from '../../api';
import { rootRouteRef } from '../../routes';
import { setupCheckFixture } from '../../__testUtils__/statusFixtures';
import { backendError } from '../../__testUtils__/dashboardFixtures';
import { SETUP_CHECK_TIMEOUT_MS } from '../timeout';
import { SetupPage } from './SetupPage';

function renderPage(getSetupCheck: ReleaseApi['getSetupCheck']) {
  return renderInTestApp(
    <TestApiProvider apis={[[releaseApiRef, { getSetupCheck }]]}>
      <SetupPage />
    </TestApiProvider>,
    { mountedRoutes: { '/releases': rootRouteRef } },
  );
}

const allGood = () => ({
  ...setupCheckFixture(),
  ok: true,
  checkedAt: '2026-11-25T03:10:00.000Z',
  systems: setupCheckFixture().systems.map(s => ({
    ...s,
    configured: true,
    ok: true,
    checks: s.checks.map(c => ({ ...c, ok: true })),
  })),
});

describe('SetupPage', () => {
  afterEach(() => jest.useRealTimers());

  it('shows one line per system and check, red or green, with what to fix', async () => {
    await renderPage(async () => setupCheckFixture());
    expect(
      await screen.findByText('2 of 3 systems need attention'),
    ).toHaveAttribute('data-status', 'error');

    const gitlab = screen.getByRole('group', { name: 'GitLab' });
    const push = within(gitlab).getByTestId('check-gitlab-1');
    expect(
      within(push).getByText('kop/kop-deploy-prod: push'),
    ).toBeInTheDocument();
    expect(within(push).getByText('kop/kop-deploy-prod: push')).toHaveAttribute(
      'data-status',
      'error',
    );
    expect(
      within(push).getByText(
        'The token has Reporter access; give kop-release-bot Developer on kop/kop-deploy-prod',
      ),
    ).toBeInTheDocument();
    const token = within(gitlab).getByTestId('check-gitlab-0');
    expect(within(token).getByText('token')).toHaveAttribute(
      'data-status',
      'ok',
    );

    const argo = screen.getByRole('group', { name: 'Argo CD' });
    expect(
      within(within(argo).getByRole('heading', { name: 'Argo CD' })).getByText(
        'Argo CD',
      ),
    ).toHaveAttribute('data-status', 'ok');

    const slack = screen.getByRole('group', { name: 'Slack' });
    expect(
      within(slack).getByRole('heading', { name: /Slack \(not configured\)/ }),
    ).toBeInTheDocument();
    expect(
      within(slack).getByText(
        'Set release.slack.botToken and release.slack.signingSecret',
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '← Releases' })).toHaveAttribute(
      'href',
      '/releases',
    );
  });

  it('checks again on request and shows the new result', async () => {
    const getSetupCheck = jest
      .fn<ReturnType<ReleaseApi['getSetupCheck']>, []>()
      .mockResolvedValueOnce(setupCheckFixture())
      .mockResolvedValueOnce(allGood());
    await renderPage(getSetupCheck);
    await screen.findByText('2 of 3 systems need attention');
    fireEvent.click(screen.getByRole('button', { name: 'Check again' }));
    expect(
      await screen.findByText('Every system answers and is set up'),
    ).toBeInTheDocument();
    expect(getSetupCheck).toHaveBeenCalledTimes(2);
    expect(screen.queryByText('2 of 3 systems need attention')).toBeNull();
  });

  it("shows the backend's reason when the check fails, and recovers on Check again", async () => {
    const error = await backendError(
      401,
      'Unauthorized',
      'Missing credentials',
      '/api/release/setup-check',
    );
    const getSetupCheck = jest
      .fn<ReturnType<ReleaseApi['getSetupCheck']>, []>()
      .mockRejectedValueOnce(error)
      .mockResolvedValueOnce(allGood());
    await renderPage(getSetupCheck);
    expect(
      await screen.findByText(
        'Error: The setup check failed: 401 Missing credentials',
      ),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Check again' }));
    expect(
      await screen.findByText('Every system answers and is set up'),
    ).toBeInTheDocument();
  });

  it('stops waiting for a check that never answers and says what to check', async () => {
    jest.useFakeTimers();
    await renderPage(() => new Promise(() => {}));
    expect(screen.getByText('Checking every system…')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Check again' })).toBeDisabled();
    await act(() => jest.advanceTimersByTimeAsync(SETUP_CHECK_TIMEOUT_MS));
    expect(
      screen.getByText(
        /^Error: The setup check failed: No answer from the release backend after 60 s \(running the setup check\)/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Check again' })).toBeEnabled();
  });
});
