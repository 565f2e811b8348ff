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
import { configApiRef, identityApiRef } from '@backstage/core-plugin-api';
import { signalApiRef, type SignalApi } from '@backstage/plugin-signals-react';
import { releaseSignalChannel } from '@internal/plugin-release-common';
import { releaseApiRef, type ReleaseApi } from '../../api';
import { rootRouteRef } from '../../routes';
import {
  approvalsFixture,
  authorRefused,
  fakeReleaseApi,
  plMayApprove,
  releaseFixture,
  releaseId,
  responseError,
} from '../../__testUtils__/releaseFixtures';
import { planFingerprint } from '../../__testUtils__/deployFixtures';
import { ReleasesPage } from '../ReleasesPage';
import { fakeSignals } from '../testing/fakeSignals';

function renderReleasePage(
  api: ReleaseApi,
  options: { user?: string; signals?: SignalApi } = {},
) {
  const path = `/releases/${releaseId}`;
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [releaseApiRef, api],
        [
          configApiRef,
          mockApis.config({
            data: {
              release: { product: 'kop', environments: ['beta', 'prod'] },
            },
          }),
        ],
        [
          identityApiRef,
          mockApis.identity({
            userEntityRef: options.user ?? 'user:default/kim.minjun',
          }),
        ],
        ...(options.signals
          ? ([[signalApiRef, options.signals]] as const)
          : []),
      ]}
    >
      <Routes>
        <Route path="/releases/*" element={<ReleasesPage />} />
      </Routes>
    </TestApiProvider>,
    { routeEntries: [path], mountedRoutes: { '/releases': rootRouteRef } },
  );
}

const approvalBox = () => screen.findByTestId('kop-decision-approval');

/** Clicks Approve once the plan it names has loaded: the button waits for it. */
async function approveIn(box: HTMLElement) {
  const button = within(box).getByRole('button', { name: 'Approve' });
  await waitFor(() => expect(button).toBeEnabled());
  fireEvent.click(button);
}

// The page renders a dozen MUI cards; on a busy two-core machine that alone can take seconds.
jest.setTimeout(30_000);

describe('ReleasePage', () => {
  it('shows versions, items with their links, what ships, grade, announcement, audit trail and links', async () => {
    const api = fakeReleaseApi();
    await renderReleasePage(api);

    expect(
      await screen.findByRole('heading', { name: '2026.11.25 hybris, web' }),
    ).toBeInTheDocument();
    const versions = screen.getByTestId('kop-release-versions');
    expect(versions).toHaveTextContent('deploy-2026-11-25');
    expect(versions).toHaveTextContent('deploy-2026-11-18');
    expect(versions).toHaveTextContent(
      'blue-green-steps (idle colour replicas 3 → 6 → 9)',
    );
    expect(versions).toHaveTextContent('not recorded');

    const items = screen.getByTestId('kop-release-items');
    expect(
      within(items).getByRole('link', { name: /^kop\/hybris!41/ }),
    ).toHaveAttribute(
      'href',
      'https://gitlab.example.com/kop/hybris/-/merge_requests/41',
    );
    expect(
      within(items).getByRole('link', { name: /^Asana 1200000000000077/ }),
    ).toHaveAttribute(
      'href',
      'https://app.asana.com/0/1200000000000010/1200000000000077',
    );

    // awaiting_approval is the approval to go to prod: what ships is compared with prod.
    const hybris = await screen.findByTestId('kop-release-ships-hybris');
    expect(screen.getByText('What ships to prod')).toBeInTheDocument();
    expect(hybris).toHaveTextContent(
      'hybris: deploy-2026-11-18 → deploy-2026-11-25',
    );
    expect(within(hybris).getByTestId('kop-db-change')).toHaveTextContent(
      'DB change',
    );
    expect(within(hybris).getAllByTestId('kop-mixed-in')).toHaveLength(1);
    expect(hybris).toHaveTextContent('Add loyalty tier to Customer');
    expect(hybris).toHaveTextContent('item: [HYBRIS] 푸터 대표이사 성명 변경');
    expect(api.whatShips).toHaveBeenCalledWith({
      app: 'hybris',
      environment: 'prod',
      candidate: 'deploy-2026-11-25',
      items: [releaseFixture().items[0]],
    });
    expect(api.whatShips).toHaveBeenCalledWith({
      app: 'web',
      environment: 'prod',
      candidate: 'a7ed4db1',
      items: [releaseFixture().items[1]],
    });
    const web = screen.getByTestId('kop-release-ships-web');
    expect(web).toHaveTextContent(
      'web: this version is not ahead of what runs on prod',
    );
    expect(web).toHaveTextContent(
      'Nothing that ships matches the item "[WEB] 메인 배너 교체"',
    );

    const grade = screen.getByTestId('kop-release-grade');
    expect(grade).toHaveTextContent('낮음 (low)');
    expect(grade).toHaveTextContent(
      '일반적인 컨텐츠/UI 개선, 비핵심 서비스 패치',
    );
    expect(grade).toHaveTextContent(
      'Lowest grade for its changes: A (changes: —)',
    );
    expect(await screen.findByTestId('kop-grade-approvers')).toHaveTextContent(
      'Approved before deploying by pl',
    );
    expect(grade).toHaveTextContent('Test results signed off by superior');

    expect(
      await screen.findByTestId('kop-release-announcement'),
    ).toHaveTextContent('[kop] 배포합니다.');
    expect(
      (await screen.findByTestId('kop-release-page-iac-diff')).textContent,
    ).toContain('+  tag: a7ed4db1');
    expect(api.getReleaseIac).toHaveBeenCalledWith(expect.any(String), 'prod');

    expect(
      screen.getByText('Awaiting approval · grade B · by kim.minjun'),
    ).toBeInTheDocument();

    const audit = await screen.findByTestId('kop-release-audit');
    expect(audit).toHaveTextContent('release.create');
    expect(within(audit).getByText('Prepared')).toBeInTheDocument();
    expect(audit).toHaveTextContent('refused');
    expect(audit).toHaveTextContent(
      'The author of a release cannot approve it',
    );

    expect(
      within(screen.getByTestId('kop-release-links')).getByRole('link', {
        name: /^Asana task/,
      }),
    ).toHaveAttribute(
      'href',
      'https://app.asana.com/0/1200000000000010/1200000000000099',
    );
    // Where to follow it, grouped by system and environment, and what is not linked.
    const argocdProd = await screen.findByTestId(
      'kop-release-links-argocd-prod',
    );
    expect(
      within(argocdProd).getByRole('link', { name: /^hybris-blue \(prod\)/ }),
    ).toHaveAttribute(
      'href',
      'https://argocd-prod.kop.example/applications/hybris-blue',
    );
    expect(
      within(screen.getByTestId('kop-release-links-gitlab-all')).getByRole(
        'link',
        { name: /^kop\/hybris @ deploy-2026-11-25/ },
      ),
    ).toHaveAttribute(
      'href',
      'https://gitlab.kop.example/kop/hybris/-/tree/deploy-2026-11-25',
    );
    expect(screen.getByTestId('kop-release-links-gitlab')).toHaveTextContent(
      'all environments',
    );
    expect(screen.getByTestId('kop-release-links-out')).toHaveTextContent(
      'Not linked: Grafana: no dashboards are configured; add them under release.links.dashboards',
    );
    expect(api.getReleaseLinksOut).toHaveBeenCalledWith(releaseId);
    expect(screen.getByTestId('kop-deploy-controls')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'All releases' })).toHaveAttribute(
      'href',
      '/releases',
    );
  });

  it('compares with beta while the release has not gone past beta', async () => {
    const api = fakeReleaseApi({
      getRelease: jest.fn(async () => releaseFixture({ state: 'prepared' })),
    });
    await renderReleasePage(api);
    expect(await screen.findByText('What ships to beta')).toBeInTheDocument();
    await waitFor(() =>
      expect(api.whatShips).toHaveBeenCalledWith(
        expect.objectContaining({ app: 'hybris', environment: 'beta' }),
      ),
    );
    expect(api.whatShips).not.toHaveBeenCalledWith(
      expect.objectContaining({ environment: 'prod' }),
    );
    expect(
      await screen.findByText(
        'Nothing to decide now: the release is Prepared.',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  it('shows the author Approve and Reject disabled, with the reason', async () => {
    const api = fakeReleaseApi({
      getApprovals: jest.fn(async () => approvalsFixture(authorRefused)),
    });
    await renderReleasePage(api);
    const box = await approvalBox();
    expect(within(box).getByRole('button', { name: 'Approve' })).toBeDisabled();
    expect(within(box).getByRole('button', { name: 'Reject' })).toBeDisabled();
    expect(within(box).getByTestId('kop-decision-refusal')).toHaveTextContent(
      'You are the author of this release: someone else must approve it.',
    );
    expect(within(box).queryByLabelText('Comment')).toBeNull();
  });

  it('lets the PL approve with a comment, then shows the release as stored', async () => {
    const approved = releaseFixture({
      state: 'approved',
      revision: 3,
      approvals: [
        {
          id: 'ap1',
          stage: 'approval',
          requirement: 'approval:pl',
          role: 'pl',
          approver: 'user:default/lee.pl',
          decision: 'approve',
          comment: 'beta looked fine',
          createdAt: '2026-11-25T03:00:00.000Z',
        },
      ],
    });
    const api = fakeReleaseApi({
      decide: jest.fn(async () => approved),
    });
    await renderReleasePage(api);
    const box = await approvalBox();
    // The approval names the plan shown beside the button, by its first 12 characters.
    expect(
      await within(box).findByTestId('kop-decision-fingerprint'),
    ).toHaveTextContent('for plan 3f2a9c1d7e5b');
    expect(api.getPlan).toHaveBeenCalledWith(releaseId, 'prod');
    fireEvent.change(within(box).getByLabelText('Comment'), {
      target: { value: 'beta looked fine' },
    });
    api.getRelease.mockResolvedValue(approved);
    api.getApprovals.mockResolvedValue(
      approvalsFixture(
        {
          ok: false,
          code: 'already',
          message:
            'You have already approved this release at the approval stage',
        },
        { state: 'approved' },
      ),
    );
    fireEvent.click(within(box).getByRole('button', { name: 'Approve' }));

    await waitFor(() =>
      expect(api.decide).toHaveBeenCalledWith(releaseId, {
        decision: 'approve',
        stage: 'approval',
        comment: 'beta looked fine',
        fingerprint: planFingerprint,
      }),
    );
    expect(
      await screen.findByText(/lee\.pl \(pl\) approved, .*: beta looked fine/),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Nothing to decide now: the release is Approved.'),
    ).toBeInTheDocument();
    expect(api.getAudit).toHaveBeenCalledTimes(2);
  });

  it('asks why before rejecting, and sends the reason', async () => {
    const api = fakeReleaseApi({
      decide: jest.fn(async () => releaseFixture({ state: 'rejected' })),
    });
    await renderReleasePage(api);
    const box = await approvalBox();
    fireEvent.click(within(box).getByRole('button', { name: 'Reject' }));
    expect(
      await within(box).findByText('Say why you reject the release.'),
    ).toBeInTheDocument();
    expect(api.decide).not.toHaveBeenCalled();

    fireEvent.change(within(box).getByLabelText('Comment'), {
      target: { value: 'the mixed-in MR 44 changes the DB' },
    });
    fireEvent.click(within(box).getByRole('button', { name: 'Reject' }));
    await waitFor(() =>
      expect(api.decide).toHaveBeenCalledWith(releaseId, {
        decision: 'reject',
        stage: 'approval',
        comment: 'the mixed-in MR 44 changes the DB',
      }),
    );
  });

  it('offers to reload when the release changed meanwhile (409)', async () => {
    const api = fakeReleaseApi({
      decide: jest.fn(async () => {
        throw await responseError(
          409,
          'Conflict',
          'ConflictError',
          'This approval was just given by someone else',
        );
      }),
    });
    await renderReleasePage(api);
    const box = await approvalBox();
    await approveIn(box);

    const alert = await within(box).findByRole('alert');
    expect(alert).toHaveTextContent('The release changed meanwhile');
    expect(alert).toHaveTextContent(
      'This approval was just given by someone else',
    );
    expect(alert).toHaveTextContent('Reload to see where it stands now');
    expect(api.getRelease).toHaveBeenCalledTimes(1);

    api.getApprovals.mockResolvedValue(
      approvalsFixture(plMayApprove, { state: 'approved' }),
    );
    api.getRelease.mockResolvedValue(releaseFixture({ state: 'approved' }));
    fireEvent.click(within(alert).getByRole('button', { name: 'Reload' }));
    expect(
      await screen.findByText(
        'Nothing to decide now: the release is Approved.',
      ),
    ).toBeInTheDocument();
    expect(api.getRelease).toHaveBeenCalledTimes(2);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says why the backend refused (403) and shows the refusal in the audit trail', async () => {
    const api = fakeReleaseApi({
      decide: jest.fn(async () => {
        throw await responseError(
          403,
          'Forbidden',
          'NotAllowedError',
          'Needs an approval from: pl of the service; you hold developer',
        );
      }),
    });
    await renderReleasePage(api);
    const box = await approvalBox();
    await screen.findByTestId('kop-release-audit');
    api.getAudit.mockResolvedValue({
      items: [
        {
          seq: 12,
          id: 'a12',
          at: '2026-11-25T04:00:00.000Z',
          actor: 'user:default/park.dev',
          action: 'release.approve',
          releaseId,
          outcome: 'failure',
          meta: {
            message:
              'Needs an approval from: pl of the service; you hold developer',
          },
          prevHash: '2'.repeat(64),
          hash: '3'.repeat(64),
        },
      ],
    });
    await approveIn(box);

    const alert = await within(box).findByRole('alert');
    expect(alert).toHaveTextContent('Not allowed');
    expect(alert).toHaveTextContent(
      'Needs an approval from: pl of the service; you hold developer',
    );
    expect(within(alert).queryByRole('button')).toBeNull();
    const audit = screen.getByTestId('kop-release-audit');
    expect(await within(audit).findByText('park.dev')).toBeInTheDocument();
    expect(api.getRelease).toHaveBeenCalledTimes(1);
  });

  it('names the field a 400 refuses', async () => {
    const api = fakeReleaseApi({
      decide: jest.fn(async () => {
        throw await responseError(
          400,
          'Bad Request',
          'InputError',
          'comment: String must contain at most 4000 character(s)',
        );
      }),
    });
    await renderReleasePage(api);
    const box = await approvalBox();
    await approveIn(box);
    const alert = await within(box).findByRole('alert');
    expect(alert).toHaveTextContent('The request was refused');
    expect(alert).toHaveTextContent('comment: String must contain at most');
  });

  it('says the release does not exist instead of spinning (404)', async () => {
    const api = fakeReleaseApi({
      getRelease: jest.fn(async () => {
        throw await responseError(
          404,
          'Not Found',
          'NotFoundError',
          `No release with id ${releaseId}`,
        );
      }),
    });
    await renderReleasePage(api);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(`Could not read release ${releaseId}`);
    expect(alert).toHaveTextContent('Not found');
    expect(alert).toHaveTextContent(`No release with id ${releaseId}`);
    expect(screen.queryByTestId('progress')).toBeNull();
  });

  it('offers to try again when the backend does not answer', async () => {
    const api = fakeReleaseApi();
    api.getRelease.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    await renderReleasePage(api);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The release backend did not answer');
    expect(alert).toHaveTextContent('Failed to fetch');
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(
      await screen.findByRole('heading', { name: '2026.11.25 hybris, web' }),
    ).toBeInTheDocument();
  });

  it('says the links out could not be built and builds them on Try again, keeping the recorded links', async () => {
    const api = fakeReleaseApi();
    api.getReleaseLinksOut.mockRejectedValueOnce(
      new TypeError('Failed to fetch'),
    );
    await renderReleasePage(api);
    const out = await screen.findByTestId('kop-release-links-out');
    const alert = await within(out).findByRole('alert');
    expect(alert).toHaveTextContent(
      'Could not build the links to Argo CD, GitLab and Grafana',
    );
    expect(screen.getByTestId('kop-release-links')).toHaveTextContent(
      'Asana task',
    );
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(
      await screen.findByTestId('kop-release-links-argocd-beta'),
    ).toHaveTextContent('hybris-blue (beta)');
  });

  it('keeps the page when what ships cannot be read for one app', async () => {
    const api = fakeReleaseApi();
    api.whatShips.mockImplementation(async request => {
      if (request.app === 'web') {
        throw await responseError(
          404,
          'Not Found',
          'NotFoundError',
          'candidate: kop/web has no commit a7ed4db1',
        );
      }
      const { whatShipsFixture } = jest.requireActual(
        '../../__testUtils__/releaseFixtures',
      );
      return whatShipsFixture(request);
    });
    await renderReleasePage(api);
    expect(
      await screen.findByText('Could not compare web with what runs on prod'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('candidate: kop/web has no commit a7ed4db1'),
    ).toBeInTheDocument();
    expect(
      await screen.findByTestId('kop-release-ships-hybris'),
    ).toBeInTheDocument();
  });

  it('approves a grade E release afterwards while it waits for retro approval', async () => {
    const emergency = releaseFixture({
      grade: 'E',
      state: 'announced',
      retroApprovalPending: true,
    });
    const api = fakeReleaseApi({
      getRelease: jest.fn(async () => emergency),
      getApprovals: jest.fn(async () =>
        approvalsFixture(
          {
            ok: true,
            requirement: {
              key: 'approval:service-team-lead',
              stage: 'approval',
              role: 'service-team-lead',
              scope: 'service',
              after: true,
            },
          },
          { state: 'announced' },
        ),
      ),
      retroApprove: jest.fn(async () =>
        releaseFixture({ ...emergency, retroApprovalPending: false }),
      ),
    });
    await renderReleasePage(api);
    const box = await approvalBox();
    expect(within(box).queryByRole('button', { name: 'Reject' })).toBeNull();
    fireEvent.click(
      within(box).getByRole('button', { name: 'Approve afterwards' }),
    );
    await waitFor(() =>
      expect(api.retroApprove).toHaveBeenCalledWith(releaseId, {
        comment: undefined,
      }),
    );
    expect(api.decide).not.toHaveBeenCalled();
  });

  it('takes the sign-off when the release awaits it', async () => {
    const api = fakeReleaseApi({
      getRelease: jest.fn(async () =>
        releaseFixture({ state: 'awaiting_signoff' }),
      ),
      getApprovals: jest.fn(async () => {
        const answer = approvalsFixture(authorRefused, {
          state: 'awaiting_signoff',
        });
        answer.stages[1].you = {
          ok: true,
          requirement: answer.stages[1].requirements[0],
        };
        return answer;
      }),
      decide: jest.fn(async () => releaseFixture({ state: 'switching' })),
    });
    await renderReleasePage(api);
    const box = await screen.findByTestId('kop-decision-signoff');
    expect(screen.queryByTestId('kop-decision-approval')).toBeNull();
    fireEvent.click(within(box).getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(api.decide).toHaveBeenCalledWith(releaseId, {
        decision: 'approve',
        stage: 'signoff',
        comment: undefined,
      }),
    );
  });

  it('gives up waiting for a stalled backend with a message, not a spinner', async () => {
    jest.useFakeTimers();
    try {
      const api = fakeReleaseApi({
        getRelease: jest.fn(() => new Promise<never>(() => {})),
      });
      await renderReleasePage(api);
      expect(screen.getByTestId('progress')).toBeInTheDocument();
      await act(async () => {
        jest.advanceTimersByTime(20_000);
      });
      const alert = await screen.findByRole('alert');
      expect(alert).toHaveTextContent(
        'No answer from the release backend after 20 s (reading the release)',
      );
      expect(
        within(alert).getByRole('button', { name: 'Try again' }),
      ).toBeEnabled();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('ReleasePage: asking for approval', () => {
  const prepared = () => releaseFixture({ state: 'prepared' });
  const preparedApprovals = () =>
    approvalsFixture(authorRefused, { state: 'prepared' });
  const askCard = () => screen.findByTestId('kop-request-approval');

  it('lets the author ask, naming who will be asked, and shows the release awaiting approval', async () => {
    const asked = releaseFixture({ state: 'awaiting_approval', revision: 3 });
    const api = fakeReleaseApi({
      getRelease: jest.fn(async () => prepared()),
      getApprovals: jest.fn(async () => preparedApprovals()),
      requestApproval: jest.fn(async () => asked),
    });
    await renderReleasePage(api);
    const card = await askCard();
    expect(
      await within(card).findByText(
        'pl of the service: a member of role-pl in a team that owns hybris, web',
      ),
    ).toBeInTheDocument();
    const button = within(card).getByRole('button', {
      name: 'Ask for approval',
    });
    await waitFor(() => expect(button).toBeEnabled());
    expect(
      within(card).queryByTestId('kop-request-approval-refusal'),
    ).toBeNull();

    api.getRelease.mockResolvedValue(asked);
    api.getApprovals.mockResolvedValue(
      approvalsFixture(authorRefused, { state: 'awaiting_approval' }),
    );
    fireEvent.click(button);

    await waitFor(() =>
      expect(api.requestApproval).toHaveBeenCalledWith(releaseId),
    );
    expect(
      await screen.findByText('Awaiting approval · grade B · by kim.minjun'),
    ).toBeInTheDocument();
    expect(screen.queryByTestId('kop-request-approval')).toBeNull();
  });

  it('gives anyone but the author the button disabled, saying who may ask', async () => {
    const api = fakeReleaseApi({
      getRelease: jest.fn(async () => prepared()),
      getApprovals: jest.fn(async () =>
        approvalsFixture(plMayApprove, { state: 'prepared' }),
      ),
      requestApproval: jest.fn(async () => prepared()),
    });
    await renderReleasePage(api, { user: 'user:default/choi.yuna' });
    const card = await askCard();
    expect(
      await within(card).findByTestId('kop-request-approval-refusal'),
    ).toHaveTextContent('Only the author, kim.minjun, may ask for approval.');
    const button = within(card).getByRole('button', {
      name: 'Ask for approval',
    });
    expect(button).toBeDisabled();
    fireEvent.click(button);
    expect(api.requestApproval).not.toHaveBeenCalled();
  });

  it('says why a draft cannot be sent for approval yet', async () => {
    const api = fakeReleaseApi({
      getRelease: jest.fn(async () => releaseFixture({ state: 'draft' })),
      getApprovals: jest.fn(async () =>
        approvalsFixture(authorRefused, { state: 'draft' }),
      ),
    });
    await renderReleasePage(api);
    const card = await askCard();
    expect(
      await within(card).findByTestId('kop-request-approval-refusal'),
    ).toHaveTextContent(
      'Approval is asked for a release that is prepared or on beta; this one is Draft.',
    );
    expect(
      within(card).getByRole('button', { name: 'Ask for approval' }),
    ).toBeDisabled();
  });

  it('is not offered once the release waits for approval', async () => {
    const api = fakeReleaseApi();
    await renderReleasePage(api);
    await approvalBox();
    expect(screen.queryByTestId('kop-request-approval')).toBeNull();
  });

  it("shows the backend's refusal, naming its reason", async () => {
    const api = fakeReleaseApi({
      getRelease: jest.fn(async () => prepared()),
      getApprovals: jest.fn(async () => preparedApprovals()),
      requestApproval: jest.fn(async () => {
        throw await responseError(
          409,
          'Conflict',
          'ConflictError',
          'state: a release cannot go from aborted to awaiting_approval',
        );
      }),
    });
    await renderReleasePage(api);
    const card = await askCard();
    const button = within(card).getByRole('button', {
      name: 'Ask for approval',
    });
    await waitFor(() => expect(button).toBeEnabled());
    fireEvent.click(button);
    const alert = await within(card).findByRole('alert');
    expect(alert).toHaveTextContent('Could not ask for approval');
    expect(alert).toHaveTextContent('The release changed meanwhile');
    expect(alert).toHaveTextContent(
      'state: a release cannot go from aborted to awaiting_approval',
    );
    expect(within(alert).getByRole('button', { name: 'Reload' })).toBeEnabled();
  });
});

describe('ReleasePage: changes made by others', () => {
  it('reads the release again when a signal says it changed, and shows its new state', async () => {
    const signals = fakeSignals();
    const api = fakeReleaseApi();
    await renderReleasePage(api, { signals: signals.api });
    expect(
      await screen.findByText('Awaiting approval · grade B · by kim.minjun'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(signals.subscribers(releaseSignalChannel)).toBeGreaterThan(0),
    );
    expect(api.getRelease).toHaveBeenCalledTimes(1);

    // Another release, and this release at the revision shown: nothing to read again.
    act(() =>
      signals.emit(releaseSignalChannel, {
        releaseId: 'another-release',
        state: 'approved',
        revision: 9,
        action: 'release.approve',
      }),
    );
    act(() =>
      signals.emit(releaseSignalChannel, {
        releaseId,
        state: 'awaiting_approval',
        revision: 2,
        action: 'release.request-approval',
      }),
    );
    expect(api.getRelease).toHaveBeenCalledTimes(1);

    api.getRelease.mockResolvedValue(
      releaseFixture({ state: 'approved', revision: 3 }),
    );
    api.getApprovals.mockResolvedValue(
      approvalsFixture(plMayApprove, { state: 'approved' }),
    );
    act(() =>
      signals.emit(releaseSignalChannel, {
        releaseId,
        state: 'approved',
        revision: 3,
        action: 'release.approve',
      }),
    );
    expect(
      await screen.findByText('Approved · grade B · by kim.minjun'),
    ).toBeInTheDocument();
    expect(api.getRelease).toHaveBeenCalledTimes(2);
    expect(api.getApprovals).toHaveBeenCalledTimes(2);
    expect(
      screen.getByText('Nothing to decide now: the release is Approved.'),
    ).toBeInTheDocument();
  });
});
