import { act, screen, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type { ReleaseStatus } from '@internal/plugin-release-common';
import { releaseApiRef, type ReleaseApi } from '../../api';
import {
  controllableStream,
  statusFixture,
} from '../../__testUtils__/statusFixtures';
import { LiveStatusPanel } from './LiveStatusPanel';
import { STATUS_POLL_MS, STATUS_STALL_MS } from './useLiveStatus';
import { LOAD_TIMEOUT_MS } from '../timeout';

function setup(getStatus: () => Promise<ReleaseStatus>) {
  const stream = controllableStream();
  const api: Partial<ReleaseApi> = {
    streamStatus: stream.streamStatus,
    getStatus: jest.fn(getStatus),
  };
  return { stream, api };
}

function renderPanel(api: Partial<ReleaseApi>, app?: 'hybris' | 'cms') {
  return renderInTestApp(
    <TestApiProvider apis={[[releaseApiRef, api]]}>
      <LiveStatusPanel app={app} />
    </TestApiProvider>,
  );
}

const never = () => new Promise<ReleaseStatus>(() => {});

describe('LiveStatusPanel', () => {
  afterEach(() => jest.useRealTimers());

  it('shows every app per environment as the stream delivers it, without polling', async () => {
    const { stream, api } = setup(never);
    await renderPanel(api);
    act(() => stream.emit(statusFixture()));

    const prod = screen.getByRole('group', { name: 'hybris in prod' });
    // What serves users, and the live colour's image beside the colour.
    expect(within(prod).getAllByText('deploy-2026-11-18')).toHaveLength(2);
    expect(
      within(prod).getByText('also running: deploy-2026-11-25'),
    ).toBeInTheDocument();
    expect(within(prod).getByText('live colour: blue')).toBeInTheDocument();
    const green = within(prod).getByTestId('argocd-hybris-green');
    // The app's name opens it in Argo CD; a row without a URL shows the name alone.
    expect(
      within(green).getByRole('link', { name: /^hybris-green/ }),
    ).toHaveAttribute(
      'href',
      'https://argocd-prod.kop.example/applications/hybris-green',
    );
    expect(
      within(within(prod).getByTestId('argocd-hybris-blue')).queryByRole(
        'link',
      ),
    ).toBeNull();
    expect(within(green).getByText('OutOfSync')).toBeInTheDocument();
    expect(within(green).getByText('Progressing')).toBeInTheDocument();
    expect(
      within(green).getByText(
        'Argo CD operation Running waiting for healthy state of apps/Deployment/hybris-green',
      ),
    ).toBeInTheDocument();

    const blueColour = within(prod).getByTestId('colour-blue');
    expect(within(blueColour).getByText('live')).toBeInTheDocument();
    expect(within(blueColour).getByText('9/9 ready')).toBeInTheDocument();
    expect(within(blueColour).getByText('JGroups 9/9')).toBeInTheDocument();
    const greenColour = within(prod).getByTestId('colour-green');
    expect(within(greenColour).getByText('idle')).toBeInTheDocument();
    expect(within(greenColour).getByText('6/9 ready')).toBeInTheDocument();
    expect(
      within(greenColour).getByText('JGroups 5/6, missing hybris-green-5'),
    ).toBeInTheDocument();
    expect(
      within(greenColour).getByRole('img', {
        name: 'Error rate of green, latest 0.2',
      }),
    ).toBeInTheDocument();
    expect(
      within(greenColour).getByText('errors 0.2 (limit 0.05)'),
    ).toBeInTheDocument();

    expect(
      screen.getByRole('group', { name: 'web in beta' }),
    ).toHaveTextContent('a7ed4db1');
    expect(
      within(screen.getByRole('group', { name: 'hybris in beta' })).getByRole(
        'alert',
      ),
    ).toHaveTextContent(
      'Argo CD beta: 401 Unauthorized; check release.argocd.instances.beta.token',
    );
    expect(screen.getByText(/^Live · updated /)).toBeInTheDocument();
    expect(api.getStatus).not.toHaveBeenCalled();
  });

  it("shows only the given app's rows, titled for its Deploy tab", async () => {
    const { stream, api } = setup(never);
    await renderPanel(api, 'cms');
    act(() => stream.emit(statusFixture()));
    expect(screen.getByText('Live status of cms')).toBeInTheDocument();
    expect(
      screen.getAllByRole('group').map(g => g.getAttribute('aria-label')),
    ).toEqual(['cms in beta', 'cms in prod']);
    expect(
      within(screen.getByRole('group', { name: 'cms in prod' })).getByText(
        'cms-internal',
      ),
    ).toBeInTheDocument();
  });

  it('reads GET /status while the stream is down and stops once the stream is back', async () => {
    jest.useFakeTimers();
    const { stream, api } = setup(async () =>
      statusFixture('2026-11-25T03:00:00.000Z'),
    );
    await renderPanel(api);
    act(() =>
      stream.fail(
        new Error('The status stream was refused with 502: Bad Gateway'),
      ),
    );
    expect(
      await screen.findByText(
        /the live stream is down \(The status stream was refused with 502: Bad Gateway\), so the status is read every 10 s/,
      ),
    ).toBeInTheDocument();
    expect(api.getStatus).toHaveBeenCalledTimes(1);
    await act(() => jest.advanceTimersByTimeAsync(STATUS_POLL_MS));
    expect(api.getStatus).toHaveBeenCalledTimes(2);

    act(() => stream.emit(statusFixture('2026-11-25T03:05:00.000Z')));
    expect(screen.getByText(/^Live · updated /)).toBeInTheDocument();
    await act(() => jest.advanceTimersByTimeAsync(STATUS_POLL_MS * 3));
    expect(api.getStatus).toHaveBeenCalledTimes(2);
  });

  it('says the status has not arrived instead of spinning, and polls meanwhile', async () => {
    jest.useFakeTimers();
    const { api } = setup(never);
    await renderPanel(api);
    expect(
      screen.queryByText('Warning: The live status has not arrived'),
    ).toBeNull();
    await act(() => jest.advanceTimersByTimeAsync(STATUS_STALL_MS));
    expect(
      screen.getByText('Warning: The live status has not arrived'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/^No status from the release backend in 15 s\./),
    ).toBeInTheDocument();
    expect(api.getStatus).toHaveBeenCalledTimes(1);
  });

  it('turns a poll that never answers into a message saying what to check', async () => {
    jest.useFakeTimers();
    const { api } = setup(never);
    await renderPanel(api);
    await act(() =>
      jest.advanceTimersByTimeAsync(STATUS_STALL_MS + LOAD_TIMEOUT_MS),
    );
    expect(
      screen.getByText(
        /^Error: Could not read the live status: No answer from the release backend after 20 s \(reading the live status\)/,
      ),
    ).toBeInTheDocument();
  });

  it('shows why neither the stream nor GET /status answers', async () => {
    const { stream, api } = setup(async () => {
      throw new Error(
        'The live status is not available: this backend runs no status cache',
      );
    });
    await renderPanel(api);
    act(() => stream.fail(new Error('The status stream was refused with 503')));
    expect(
      await screen.findByText(
        'Error: Could not read the live status: The live status is not available: this backend runs no status cache',
      ),
    ).toBeInTheDocument();
  });

  it('keeps the last status when a later poll fails, and says so', async () => {
    jest.useFakeTimers();
    const { stream, api } = setup(async () => statusFixture());
    await renderPanel(api);
    act(() => stream.fail(new Error('stream down')));
    expect(
      await screen.findByRole('group', { name: 'web in prod' }),
    ).toBeInTheDocument();
    (api.getStatus as jest.Mock).mockRejectedValueOnce(
      new Error('502 Bad Gateway'),
    );
    await act(() => jest.advanceTimersByTimeAsync(STATUS_POLL_MS));
    expect(
      screen.getByText(
        /^Warning: Could not refresh the live status; showing the status of/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('502 Bad Gateway')).toBeInTheDocument();
    expect(
      screen.getByRole('group', { name: 'web in prod' }),
    ).toBeInTheDocument();
  });

  it('lists problems not tied to one row', async () => {
    const { stream, api } = setup(never);
    await renderPanel(api);
    act(() =>
      stream.emit({
        ...statusFixture(),
        errors: ['Argo CD prod: the watch stream is reconnecting'],
      }),
    );
    expect(
      screen.getByText(
        'Warning: Some systems did not answer; their part of the status may be old or missing',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Argo CD prod: the watch stream is reconnecting'),
    ).toBeInTheDocument();
  });

  it('closes the stream when it leaves the page', async () => {
    const { stream, api } = setup(never);
    const { unmount } = await renderPanel(api);
    expect(stream.streamStatus).toHaveBeenCalledTimes(1);
    unmount();
    expect(stream.unsubscribe).toHaveBeenCalledTimes(1);
  });
});
