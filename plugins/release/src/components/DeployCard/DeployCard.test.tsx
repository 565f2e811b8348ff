import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { configApiRef } from '@backstage/core-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';
import {
  releaseSignalChannel,
  type DeployRebase,
  type DeployView,
} from '@internal/plugin-release-common';
import { releaseApiRef, type ReleaseApi } from '../../api';
import {
  fakeReleaseApi,
  releaseFixture,
  releaseId,
  responseError,
} from '../../__testUtils__/releaseFixtures';
import {
  controlsFixture,
  deployViewFixture,
  planFingerprint,
  planFixture,
  runFixture,
  runStepsFixture,
} from '../../__testUtils__/deployFixtures';
import { fakeSignals } from '../testing/fakeSignals';
import { DeployCard } from './DeployCard';

function renderCard(
  api: ReleaseApi,
  options: {
    state?: Parameters<typeof releaseFixture>[0];
    onChanged?: () => void;
    signals?: ReturnType<typeof fakeSignals>;
  } = {},
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [releaseApiRef, api],
        [
          configApiRef,
          mockApis.config({
            data: { release: { environments: ['beta', 'prod'] } },
          }),
        ],
        ...(options.signals
          ? ([[signalApiRef, options.signals.api]] as const)
          : []),
      ]}
    >
      <DeployCard
        release={releaseFixture({ state: 'approved', ...options.state })}
        onChanged={options.onChanged ?? (() => {})}
      />
    </TestApiProvider>,
  );
}

/** A view with the fixture run active and the run controls as given. */
function runningView(overrides: Partial<DeployView> = {}): DeployView {
  return deployViewFixture({
    runs: [runFixture()],
    controls: controlsFixture({
      deploy: { enabled: false, reason: 'A run is going' },
      pause: { enabled: true },
      skip: { enabled: true, needsReason: true },
      abort: { enabled: true, needsReason: true },
    }),
    ...overrides,
  });
}

const card = () => screen.findByTestId('kop-deploy-controls');

/** Types the reason (or comment) into a dialog and presses its confirm button. */
function answer(
  box: HTMLElement,
  text: string,
  confirm: string,
  label = 'Reason',
) {
  fireEvent.change(within(box).getByLabelText(label), {
    target: { value: text },
  });
  fireEvent.click(within(box).getByRole('button', { name: confirm }));
}
const dialog = (kind: string) => screen.findByTestId(`deploy-dialog-${kind}`);

// The card renders a plan or a run of six steps in MUI; a busy two-core machine takes a while.
jest.setTimeout(30_000);

describe('DeployCard before a run', () => {
  it('shows every step of the plan in order, its kind kept apart, gate, time and diff', async () => {
    const api = fakeReleaseApi();
    await renderCard(api);
    const plan = await screen.findByTestId('deploy-plan');
    expect(api.getPlan).toHaveBeenCalledWith(releaseId, 'prod');

    const steps = within(plan).getAllByTestId(/^deploy-plan-step-/);
    expect(steps.map(s => [s.dataset.testid, s.dataset.kind])).toEqual([
      ['deploy-plan-step-gitlab.create-branch', 'call'],
      ['deploy-plan-step-web.image', 'git'],
      ['deploy-plan-step-hybris.scale-up.6', 'git'],
      ['deploy-plan-step-db-schema.acknowledge', 'wait'],
      ['deploy-plan-step-hybris.switch', 'git'],
      ['deploy-plan-step-slack.announce', 'call'],
    ]);
    // Commits and direct calls carry different badges, and are counted apart.
    const badge = (id: string) =>
      within(screen.getByTestId(`deploy-plan-step-${id}`)).getByTestId(
        'deploy-kind',
      );
    expect(badge('web.image')).toHaveTextContent('IaC commit');
    expect(badge('web.image')).toHaveAttribute(
      'title',
      'Committed to the IaC repository; a revert commit undoes it',
    );
    expect(badge('slack.announce')).toHaveTextContent('Direct call');
    expect(badge('slack.announce')).toHaveAttribute(
      'title',
      'Acts on slack directly; nothing undoes it',
    );
    expect(badge('db-schema.acknowledge')).toHaveTextContent(
      'Waits for a person',
    );
    expect(plan).toHaveTextContent(
      '3 IaC commits (undone by revert) · 2 direct calls (not undoable) · 1 waits for people',
    );

    const green = screen.getByTestId('deploy-plan-step-hybris.scale-up.6');
    expect(green).toHaveTextContent('green (new colour) → 6 replicas');
    expect(green).toHaveTextContent('Argo CD syncs hybris-green');
    expect(green).toHaveTextContent(
      'Then waits for: green: pods ready, JGroups view 6/6, metrics steady 2 mins, error-rate ≤ 0.05',
    );
    expect(green).toHaveTextContent('about 15 mins');
    expect(
      screen.getByTestId('deploy-plan-step-hybris.switch'),
    ).toHaveTextContent(
      'watching green for 10 mins; a breach switches back at once, error-rate ≤ 0.05',
    );
    expect(screen.getByTestId('deploy-plan-step-web.image')).toHaveTextContent(
      'Then waits for: Argo CD apps synced and healthy (web)',
    );

    // The diff is folded until asked for, then shown as git printed it.
    expect(within(green).queryByTestId('deploy-diff')).toBeNull();
    fireEvent.click(
      within(green).getByRole('button', { name: 'Show the diff' }),
    );
    const diff = within(green).getByTestId('deploy-diff');
    expect(diff.tagName).toBe('PRE');
    expect(diff.textContent).toContain('-replicaCount: 0\n+replicaCount: 6');
    expect(
      within(green).getByRole('button', { name: 'Hide the diff' }),
    ).toHaveAttribute('aria-expanded', 'true');
    // A call has no diff to show.
    expect(
      within(screen.getByTestId('deploy-plan-step-slack.announce')).queryByRole(
        'button',
        { name: 'Show the diff' },
      ),
    ).toBeNull();

    expect(screen.getByTestId('deploy-plan-total')).toHaveTextContent(
      'Expected time: 27 mins 37 secs, without the waits for people',
    );
    expect(screen.getByTestId('deploy-plan-fingerprint')).toHaveTextContent(
      'Plan 3f2a9c1d7e5b',
    );
    expect(plan).toHaveTextContent('the plan that was approved');
    expect(plan).toHaveAttribute('data-approved', 'true');
    expect(plan).toHaveTextContent('hybris live on blue; deploys to green');
    expect(screen.getByTestId('deploy-plan-notes')).toHaveTextContent(
      'hybris green already runs 3 replicas: the step to 3 is left out',
    );
    expect(screen.queryByTestId('deploy-plan-changed')).toBeNull();
  });

  it('warns when the plan changed since it was approved', async () => {
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        deployViewFixture({ approvedFingerprint: 'a'.repeat(64) }),
      ),
    });
    await renderCard(api);
    const warning = await screen.findByTestId('deploy-plan-changed');
    expect(warning).toHaveTextContent('The plan changed since it was approved');
    expect(warning).toHaveTextContent(
      'Approved: aaaaaaaaaaaa; now: 3f2a9c1d7e5b',
    );
    expect(screen.getByTestId('deploy-plan')).toHaveAttribute(
      'data-approved',
      'false',
    );
  });

  it('shows why the plan cannot be computed (409) and reads it again on Try again', async () => {
    const message =
      'live colour: IaC says blue is live but Argo CD serves green; fix IaC first';
    const api = fakeReleaseApi();
    api.getPlan.mockImplementationOnce(async () => {
      throw await responseError(409, 'Conflict', 'ConflictError', message);
    });
    await renderCard(api);
    const error = await screen.findByTestId('deploy-plan-error');
    expect(error).toHaveTextContent('The deploy plan cannot be computed');
    expect(error).toHaveTextContent(message);
    expect(screen.getByRole('button', { name: 'Deploy' })).toBeDisabled();
    fireEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('deploy-plan')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Deploy' })).toBeEnabled();
  });

  it('disables Deploy with the reason the backend gives', async () => {
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        deployViewFixture({
          controls: controlsFixture({
            deploy: {
              enabled: false,
              reason: 'The release awaits approval by pl of the service',
            },
          }),
        }),
      ),
    });
    await renderCard(api, { state: { state: 'awaiting_approval' } });
    await screen.findByTestId('deploy-plan');
    const button = screen.getByRole('button', { name: 'Deploy' });
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription(
      'The release awaits approval by pl of the service',
    );
    expect(
      screen.getByTestId('deploy-control-reason-deploy'),
    ).toHaveTextContent('The release awaits approval by pl of the service');
  });

  it('deploys the plan shown by its fingerprint', async () => {
    const onChanged = jest.fn();
    const api = fakeReleaseApi({ deploy: jest.fn(async () => runFixture()) });
    await renderCard(api, { onChanged });
    await screen.findByTestId('deploy-plan');
    api.getDeploy.mockResolvedValue(runningView());
    fireEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    await waitFor(() =>
      expect(api.deploy).toHaveBeenCalledWith(releaseId, {
        environment: 'prod',
        fingerprint: planFingerprint,
      }),
    );
    expect(await screen.findByTestId('deploy-run')).toHaveAttribute(
      'data-run-id',
      'run-1',
    );
    expect(onChanged).toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Deploy' })).toBeNull();
  });

  it('asks for a reason to deploy outside the windows, and sends it with the fingerprint', async () => {
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        deployViewFixture({
          controls: controlsFixture({
            deploy: { enabled: true, needsReason: true },
          }),
        }),
      ),
      deploy: jest.fn(async () => runFixture()),
    });
    await renderCard(api);
    await screen.findByTestId('deploy-plan');
    fireEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    const box = await dialog('deploy');
    expect(box).toHaveTextContent('Deploy outside the release windows');
    answer(box, 'hotfix for the checkout outage', 'Deploy now');
    await waitFor(() =>
      expect(api.deploy).toHaveBeenCalledWith(releaseId, {
        environment: 'prod',
        fingerprint: planFingerprint,
        reason: 'hotfix for the checkout outage',
      }),
    );
    await waitFor(() =>
      expect(screen.queryByTestId('deploy-dialog-deploy')).toBeNull(),
    );
  });

  it("keeps the dialog open with the backend's refusal of the reason", async () => {
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        deployViewFixture({
          controls: controlsFixture({
            deploy: { enabled: true, needsReason: true },
          }),
        }),
      ),
      deploy: jest.fn(async () => {
        throw await responseError(
          400,
          'Bad Request',
          'InputError',
          'reason: name the incident ticket',
        );
      }),
    });
    await renderCard(api);
    await screen.findByTestId('deploy-plan');
    fireEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    const box = await dialog('deploy');
    answer(box, 'the checkout is down', 'Deploy now');
    const alert = await within(box).findByRole('alert');
    expect(alert).toHaveTextContent('reason: name the incident ticket');
    expect(screen.getByTestId('deploy-dialog-deploy')).toBeInTheDocument();
  });
});

describe('DeployCard during a run', () => {
  it('shows the steps with their states, the running step highlighted with its readings and links', async () => {
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () => runningView()),
    });
    await renderCard(api, { state: { state: 'deploying' } });
    const run = await screen.findByTestId('deploy-run');
    expect(run).toHaveAttribute('data-state', 'waiting');
    expect(screen.queryByTestId('deploy-plan')).toBeNull();
    expect(api.getPlan).not.toHaveBeenCalled();

    const states = within(run)
      .getAllByTestId(/^deploy-step-[a-z]/)
      .filter(e => e.dataset.state)
      .map(e => [e.dataset.testid, e.dataset.state, e.dataset.current]);
    expect(states).toEqual([
      ['deploy-step-gitlab.create-branch', 'done', 'false'],
      ['deploy-step-web.image', 'done', 'false'],
      ['deploy-step-hybris.scale-up.6', 'waiting', 'true'],
      ['deploy-step-db-schema.acknowledge', 'pending', 'false'],
      ['deploy-step-hybris.switch', 'pending', 'false'],
      ['deploy-step-slack.announce', 'pending', 'false'],
    ]);
    const green = screen.getByTestId('deploy-step-hybris.scale-up.6');
    expect(green).toHaveAttribute('aria-current', 'step');
    expect(green).toHaveTextContent('Waiting: green is not steady yet');
    expect(screen.getByTestId('deploy-step-web.image')).toHaveTextContent(
      'took 1 min 30 secs',
    );

    const reading = (name: string) =>
      within(green).getByTestId(`deploy-reading-${name}`);
    expect(reading('pods-ready')).toHaveAttribute('data-ok', 'true');
    expect(reading('pods-ready')).toHaveTextContent(
      'pods-ready: pods 6/6 ready (6, at least 6)',
    );
    expect(reading('cluster-status')).toHaveAttribute('data-ok', 'false');
    expect(reading('cluster-status')).toHaveTextContent(
      'cluster-status: JGroups view 5/6 (5, at least 6)',
    );
    expect(reading('error-rate')).toHaveTextContent(
      'error-rate: error rate 1.2% (0.012, limit 0.05)',
    );
    const hold = within(green).getByTestId('deploy-hold');
    expect(hold).toHaveAttribute('data-left-ms', '90000');
    expect(hold).toHaveTextContent(
      'Steady 30 secs of 2 mins; 1 min 30 secs left',
    );
    expect(within(hold).getByRole('progressbar')).toHaveAttribute(
      'aria-valuenow',
      '25',
    );
    expect(green).toHaveTextContent('Gives up in 10 mins');
    expect(green).toHaveTextContent('Commit 1a2b3c4d');
    expect(
      within(green).getByRole('link', { name: 'Argo CD: hybris-green' }),
    ).toHaveAttribute(
      'href',
      'https://argocd-prod.kop.example/applications/hybris-green',
    );
    expect(
      within(green).getByRole('link', { name: 'Grafana: hybris green' }),
    ).toHaveAttribute('data-link-kind', 'grafana');
    expect(
      within(green).getByRole('link', {
        name: 'Commit: kop-deploy-prod@1a2b3c4d',
      }),
    ).toBeInTheDocument();

    // Controls: Pause allowed, Resume not (with why), Skip on the waiting step only.
    expect(screen.getByRole('button', { name: 'Pause' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Resume' })).toBeDisabled();
    expect(
      screen.getByRole('button', { name: 'Resume' }),
    ).toHaveAccessibleDescription('No run is paused');
    expect(screen.getAllByRole('button', { name: 'Skip' })).toHaveLength(1);
    expect(within(green).getByRole('button', { name: 'Skip' })).toBeEnabled();
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull();
  });

  it('pauses the run and shows it as answered', async () => {
    const paused = runFixture({
      state: 'paused',
      pausedReason: 'Paused by kim.minjun',
    });
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () => runningView()),
      controlRun: jest.fn(async () => paused),
    });
    await renderCard(api, { state: { state: 'deploying' } });
    await screen.findByTestId('deploy-run');
    api.getDeploy.mockResolvedValue(
      runningView({
        runs: [paused],
        controls: controlsFixture({ resume: { enabled: true } }),
      }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    await waitFor(() =>
      expect(api.controlRun).toHaveBeenCalledWith(
        releaseId,
        'run-1',
        'pause',
        {},
      ),
    );
    expect(await screen.findByTestId('deploy-run-paused')).toHaveTextContent(
      'Paused: Paused by kim.minjun',
    );
    expect(screen.getByTestId('deploy-run')).toHaveAttribute(
      'data-state',
      'paused',
    );
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Resume' })).toBeEnabled(),
    );
  });

  it('asks why before resuming outside the windows', async () => {
    const paused = runFixture({
      state: 'paused',
      pausedReason: 'The window closed',
    });
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        runningView({
          runs: [paused],
          controls: controlsFixture({
            resume: { enabled: true, needsReason: true },
          }),
        }),
      ),
      controlRun: jest.fn(async () => runFixture()),
    });
    await renderCard(api, { state: { state: 'paused' } });
    await screen.findByTestId('deploy-run');
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    const box = await dialog('resume');
    answer(box, 'agreed with ops to finish tonight', 'Resume now');
    await waitFor(() =>
      expect(api.controlRun).toHaveBeenCalledWith(
        releaseId,
        'run-1',
        'resume',
        {
          reason: 'agreed with ops to finish tonight',
        },
      ),
    );
  });

  it('refuses a skip reason shorter than 10 characters, then skips the step with the reason', async () => {
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () => runningView()),
      controlRun: jest.fn(async () => runFixture()),
    });
    await renderCard(api, { state: { state: 'deploying' } });
    const green = await screen.findByTestId('deploy-step-hybris.scale-up.6');
    fireEvent.click(within(green).getByRole('button', { name: 'Skip' }));
    const box = await dialog('skip');
    expect(box).toHaveTextContent(
      'Skip "hybris green: 6 replicas of deploy-2026-11-25"',
    );
    const field = within(box).getByLabelText('Reason');
    // Nine characters once trimmed, as the backend counts them.
    fireEvent.change(field, { target: { value: '  too short ' } });
    fireEvent.click(within(box).getByRole('button', { name: 'Skip the step' }));
    expect(
      await within(box).findByText('Say why, in at least 10 characters.'),
    ).toBeInTheDocument();
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(api.controlRun).not.toHaveBeenCalled();

    fireEvent.change(field, {
      target: {
        value: 'JGroups view is stuck at 5, checked by hand: all 6 up',
      },
    });
    fireEvent.click(within(box).getByRole('button', { name: 'Skip the step' }));
    await waitFor(() =>
      expect(api.controlRun).toHaveBeenCalledWith(releaseId, 'run-1', 'skip', {
        step: 2,
        reason: 'JGroups view is stuck at 5, checked by hand: all 6 up',
      }),
    );
    await waitFor(() =>
      expect(screen.queryByTestId('deploy-dialog-skip')).toBeNull(),
    );
  });

  it('retries the failed step, showing its attempts and last error', async () => {
    const failed = runFixture({
      state: 'failed',
      pausedReason: 'Step 3 failed',
      steps: runStepsFixture(2, 'failed', {
        attempts: 3,
        lastError: 'git: values-green.yaml changed meanwhile (blob b2)',
      }),
    });
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        runningView({
          runs: [failed],
          controls: controlsFixture({
            retry: { enabled: true },
            skip: { enabled: false, reason: 'Only a lead may skip a step' },
            abort: { enabled: true, needsReason: true },
          }),
        }),
      ),
      controlRun: jest.fn(async () => runFixture()),
    });
    await renderCard(api, { state: { state: 'failed' } });
    const step = await screen.findByTestId('deploy-step-hybris.scale-up.6');
    expect(step).toHaveAttribute('data-state', 'failed');
    expect(within(step).getByTestId('deploy-step-error')).toHaveTextContent(
      'Failed after 3 attempts: git: values-green.yaml changed meanwhile (blob b2)',
    );
    expect(screen.getByTestId('deploy-run-paused')).toHaveTextContent(
      'Paused: Step 3 failed',
    );
    const skip = within(step).getByRole('button', { name: 'Skip' });
    expect(skip).toBeDisabled();
    expect(skip).toHaveAccessibleDescription('Only a lead may skip a step');
    fireEvent.click(within(step).getByRole('button', { name: 'Retry' }));
    await waitFor(() =>
      expect(api.controlRun).toHaveBeenCalledWith(releaseId, 'run-1', 'retry', {
        step: 2,
      }),
    );
  });

  it('explains Abort and sends the reason, then shows the abort run', async () => {
    const abortRun = runFixture({
      id: 'run-2',
      kind: 'abort',
      state: 'running',
    });
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () => runningView()),
      abort: jest.fn(async () => abortRun),
    });
    await renderCard(api, { state: { state: 'deploying' } });
    await screen.findByTestId('deploy-run');
    fireEvent.click(screen.getByRole('button', { name: 'Abort' }));
    const box = await dialog('abort');
    expect(box).toHaveTextContent(
      'Abort switches back if the switch happened, and scales the new colour to 0; the colour that served before never loses replicas.',
    );
    api.getDeploy.mockResolvedValue(
      runningView({ runs: [abortRun, runFixture({ state: 'aborted' })] }),
    );
    answer(box, 'error rate doubled on green', 'Abort the release');
    await waitFor(() =>
      expect(api.abort).toHaveBeenCalledWith(releaseId, {
        reason: 'error rate doubled on green',
      }),
    );
    await waitFor(() =>
      expect(screen.getByTestId('deploy-run')).toHaveAttribute(
        'data-run-kind',
        'abort',
      ),
    );
    expect(screen.getByTestId('deploy-run')).toHaveTextContent(
      'Abort · prod · Running',
    );
    expect(await screen.findByTestId('deploy-previous-runs')).toHaveTextContent(
      'Previous runs (1)',
    );
  });

  it('takes the DB schema acknowledgement with a comment and lists it', async () => {
    const atAck = runFixture({ steps: runStepsFixture(3, 'waiting') });
    const acknowledged: DeployView = runningView({
      runs: [runFixture({ steps: runStepsFixture(4, 'running') })],
      acknowledgements: [
        {
          subject: 'db-schema',
          by: 'user:default/lee.seoyeon',
          at: '2026-11-25T03:20:00.000Z',
          comment: 'blue ignores the new loyalty column',
        },
      ],
    });
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        runningView({
          runs: [atAck],
          controls: controlsFixture({
            acknowledge: { enabled: true },
            skip: { enabled: true },
          }),
        }),
      ),
      acknowledge: jest.fn(async () => acknowledged),
    });
    await renderCard(api, { state: { state: 'deploying' } });
    const step = await screen.findByTestId('deploy-step-db-schema.acknowledge');
    expect(step).toHaveAttribute('data-current', 'true');
    expect(step).toHaveTextContent(
      'a person acknowledging that the running version tolerates the new DB schema',
    );
    api.getDeploy.mockResolvedValue(acknowledged);
    fireEvent.click(within(step).getByRole('button', { name: 'Acknowledge' }));
    const box = await dialog('acknowledge');
    answer(
      box,
      'blue ignores the new loyalty column',
      'Record the acknowledgement',
      'Comment',
    );
    await waitFor(() =>
      expect(api.acknowledge).toHaveBeenCalledWith(releaseId, {
        subject: 'db-schema',
        comment: 'blue ignores the new loyalty column',
      }),
    );
    expect(
      await screen.findByTestId('deploy-acknowledgements'),
    ).toHaveTextContent('lee.seoyeon');
    expect(screen.getByTestId('deploy-step-hybris.switch')).toHaveAttribute(
      'data-state',
      'running',
    );
  });

  it('shows stop-the-line and two live versions as banners', async () => {
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        runningView({
          halt: {
            by: 'user:default/lee.lead',
            reason: 'payment provider incident',
            at: '2026-11-25T03:30:00.000Z',
          },
          twoVersionsLive: true,
        }),
      ),
    });
    await renderCard(api, { state: { state: 'paused' } });
    const halt = await screen.findByTestId('kop-stop-the-line-banner');
    expect(halt).toHaveTextContent('Stop-the-line: every release is held');
    expect(halt).toHaveTextContent(
      /Raised by lee\.lead, .*: payment provider incident/,
    );
    expect(screen.getByTestId('deploy-two-versions')).toHaveTextContent(
      'Two versions are live',
    );
  });

  it('keeps earlier runs collapsed below the current one', async () => {
    const older = runFixture({
      id: 'run-0',
      kind: 'abort',
      state: 'done',
      steps: runStepsFixture(6, 'done'),
    });
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        runningView({ runs: [runFixture(), older] }),
      ),
    });
    await renderCard(api, { state: { state: 'deploying' } });
    const previous = await screen.findByTestId('deploy-previous-runs');
    expect(previous).toHaveTextContent('Previous runs (1)');
    expect(screen.getAllByTestId('deploy-run')).toHaveLength(1);
    fireEvent.click(
      within(previous).getByRole('button', { name: /Previous runs/ }),
    );
    const runs = await screen.findAllByTestId('deploy-run');
    expect(runs.map(r => r.dataset.runId)).toEqual(['run-1', 'run-0']);
    // An earlier run offers no controls.
    expect(within(runs[1]).queryByRole('button', { name: 'Skip' })).toBeNull();
  });

  it('reads the run again on a signal for this release only', async () => {
    const signals = fakeSignals();
    // Paused: the run does not move, so no poll reads it meanwhile.
    const paused = () => runFixture({ state: 'paused' });
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () => runningView({ runs: [paused()] })),
    });
    await renderCard(api, { state: { state: 'paused' }, signals });
    await screen.findByTestId('deploy-run');
    await waitFor(() =>
      expect(signals.subscribers(releaseSignalChannel)).toBeGreaterThan(0),
    );
    const reads = api.getDeploy.mock.calls.length;
    act(() =>
      signals.emit(releaseSignalChannel, {
        releaseId: 'another-release',
        state: 'deploying',
        revision: 9,
        action: 'release.deploy.step',
      }),
    );
    expect(api.getDeploy).toHaveBeenCalledTimes(reads);
    api.getDeploy.mockResolvedValue(
      runningView({
        runs: [
          runFixture({ state: 'paused', steps: runStepsFixture(3, 'waiting') }),
        ],
      }),
    );
    act(() =>
      signals.emit(releaseSignalChannel, {
        releaseId,
        state: 'deploying',
        revision: 3,
        action: 'release.deploy.step',
      }),
    );
    await waitFor(() =>
      expect(
        screen.getByTestId('deploy-step-db-schema.acknowledge'),
      ).toHaveAttribute('data-state', 'waiting'),
    );
    expect(api.getDeploy).toHaveBeenCalledTimes(reads + 1);
  });

  it('polls every 5 s while the run moves, and stops once it is paused', async () => {
    jest.useFakeTimers();
    try {
      const api = fakeReleaseApi({
        getDeploy: jest.fn(async () => runningView()),
      });
      await renderCard(api, { state: { state: 'deploying' } });
      await act(async () => {
        await Promise.resolve();
      });
      expect(screen.getByTestId('deploy-run')).toBeInTheDocument();
      expect(api.getDeploy).toHaveBeenCalledTimes(1);
      await act(async () => {
        jest.advanceTimersByTime(5_000);
      });
      expect(api.getDeploy).toHaveBeenCalledTimes(2);

      api.getDeploy.mockResolvedValue(
        runningView({ runs: [runFixture({ state: 'paused' })] }),
      );
      await act(async () => {
        jest.advanceTimersByTime(5_000);
      });
      expect(api.getDeploy).toHaveBeenCalledTimes(3);
      expect(screen.getByTestId('deploy-run')).toHaveAttribute(
        'data-state',
        'paused',
      );
      await act(async () => {
        jest.advanceTimersByTime(15_000);
      });
      expect(api.getDeploy).toHaveBeenCalledTimes(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('says a refused press with its reason', async () => {
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () => runningView()),
      controlRun: jest.fn(async () => {
        throw await responseError(
          403,
          'Forbidden',
          'NotAllowedError',
          'release.deploy.control: you are not in the release team',
        );
      }),
    });
    await renderCard(api, { state: { state: 'deploying' } });
    await screen.findByTestId('deploy-run');
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    const alert = await within(await card()).findByRole('alert');
    expect(alert).toHaveTextContent('Pause: refused or failed');
    expect(alert).toHaveTextContent('Not allowed');
    expect(alert).toHaveTextContent(
      'release.deploy.control: you are not in the release team',
    );
  });
});

describe("DeployCard of a run stopped on someone else's change", () => {
  const newFingerprint = 'b'.repeat(64);
  const conflict =
    'IaC kop/kop-deploy-prod: someone else changed web/values.yaml since the plan was approved: it is blob 1a2b3c4d, the plan was made from 5e6f7a8b; nothing was committed, approve the plan again';
  const stopped = runFixture({
    state: 'paused',
    pausedReason: `web.image failed: ${conflict}`,
    steps: runStepsFixture(1, 'failed', { attempts: 1, lastError: conflict }),
  });
  const rebase = (more: Partial<DeployRebase> = {}): DeployRebase => ({
    runId: 'run-1',
    fromStep: 1,
    changes: [
      { file: 'web/values.yaml', key: 'replicaCount', planned: 3, now: 5 },
      { file: 'hybris/values-green.yaml' },
    ],
    commits: [
      {
        sha: 'c0ffee12'.repeat(5),
        title: 'web: 5 replicas for the sale',
        author: 'lee.jiho',
        webUrl: `https://gitlab.kop.example/kop/kop-deploy-prod/-/commit/${'c0ffee12'.repeat(
          5,
        )}`,
      },
    ],
    plan: planFixture({ fingerprint: newFingerprint }),
    ...more,
  });
  const stoppedView = (overrides: Partial<DeployView> = {}) =>
    runningView({
      runs: [stopped],
      rebase: rebase(),
      controls: controlsFixture({
        deploy: { enabled: false, reason: 'A deploy run is paused' },
        resume: {
          enabled: false,
          reason: `someone else's change stopped the run; its new plan ${newFingerprint.slice(
            0,
            12,
          )} must be approved first (the release is paused)`,
        },
        requestApproval: { enabled: true },
        abort: { enabled: true, needsReason: true },
      }),
      ...overrides,
    });

  it('shows what changed, by whom, and the steps left of the new plan with their diff, then asks approval of it', async () => {
    let view = stoppedView();
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () => view),
      requestRebasedApproval: jest.fn(async () => {
        view = stoppedView({
          controls: controlsFixture({
            requestApproval: {
              enabled: false,
              reason: 'The approvers have been asked',
            },
          }),
        });
        return view;
      }),
    });
    const onChanged = jest.fn();
    await renderCard(api, { state: { state: 'paused' }, onChanged });

    const notice = await screen.findByTestId('deploy-rebase-notice');
    expect(notice).toHaveTextContent(
      "Someone else's commit changed what the run would write",
    );
    expect(
      screen.getAllByTestId('deploy-rebase-change').map(c => c.textContent),
    ).toEqual([
      'web/values.yaml: replicaCount 3 → 5',
      'hybris/values-green.yaml: lines the portal does not manage',
    ]);
    const commit = screen.getByRole('link', {
      name: 'c0ffee12 by lee.jiho: web: 5 replicas for the sale',
    });
    expect(commit).toHaveAttribute('href', rebase().commits[0].webUrl);
    // Only the steps left, under the new fingerprint, which the approvals do not name yet.
    const plan = within(screen.getByTestId('deploy-rebase')).getByTestId(
      'deploy-plan',
    );
    expect(plan).toHaveAttribute('data-fingerprint', newFingerprint);
    expect(plan).toHaveAttribute('data-approved', 'false');
    expect(
      within(plan).queryByTestId('deploy-plan-step-gitlab.create-branch'),
    ).toBeNull();
    const web = within(plan).getByTestId('deploy-plan-step-web.image');
    fireEvent.click(within(web).getByRole('button', { name: 'Show the diff' }));
    expect(within(web).getByTestId('deploy-diff')).toHaveTextContent(
      '+ tag: a7ed4db1',
    );
    expect(within(plan).getByTestId('deploy-plan-changed')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Resume' })).toBeDisabled();
    expect(
      screen.getByTestId('deploy-control-reason-resume'),
    ).toHaveTextContent('must be approved first');

    fireEvent.click(
      screen.getByRole('button', { name: 'Ask approval of the new plan' }),
    );
    await waitFor(() =>
      expect(api.requestRebasedApproval).toHaveBeenCalledWith(
        releaseId,
        'run-1',
        { fingerprint: newFingerprint },
      ),
    );
    expect(
      await screen.findByTestId('deploy-control-reason-requestApproval'),
    ).toHaveTextContent('The approvers have been asked');
    expect(onChanged).toHaveBeenCalled();
  });

  it('resumes with the fingerprint of the new plan once it is approved', async () => {
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        stoppedView({
          approvedFingerprint: newFingerprint,
          controls: controlsFixture({
            resume: { enabled: true },
            requestApproval: {
              enabled: false,
              reason: 'The new plan is approved: resume the run',
            },
          }),
        }),
      ),
      controlRun: jest.fn(async () => runFixture()),
    });
    await renderCard(api, { state: { state: 'approved' } });
    const plan = within(await screen.findByTestId('deploy-rebase')).getByTestId(
      'deploy-plan',
    );
    expect(plan).toHaveAttribute('data-approved', 'true');
    expect(
      screen.getByRole('button', { name: 'Ask approval of the new plan' }),
    ).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() =>
      expect(api.controlRun).toHaveBeenCalledWith(
        releaseId,
        'run-1',
        'resume',
        { fingerprint: newFingerprint },
      ),
    );
  });

  it('says why the steps left cannot run on top of the change, leaving Abort', async () => {
    const refusal =
      'hybris: someone else changed a switch key: storefront.hybrisServiceName in hybris/values.yaml at 9e8d7b6c of kop/kop-deploy-prod is "green", and the plan has traffic on blue; traffic must not move outside the plan\'s own switch. Put it back, or abort the release';
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        stoppedView({
          rebase: rebase({ plan: undefined, changes: [], refusal }),
          controls: controlsFixture({
            requestApproval: {
              enabled: false,
              reason:
                "Someone else's change makes the rest of the plan unsafe: abort the release",
            },
            abort: { enabled: true, needsReason: true },
          }),
        }),
      ),
    });
    await renderCard(api, { state: { state: 'paused' } });
    const notice = await screen.findByTestId('deploy-rebase-notice');
    expect(notice).toHaveTextContent(
      `The steps left cannot run on top of this change: ${refusal} Only Abort is left.`,
    );
    expect(
      within(screen.getByTestId('deploy-rebase')).queryByTestId('deploy-plan'),
    ).toBeNull();
    expect(
      screen.getByRole('button', { name: 'Ask approval of the new plan' }),
    ).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Abort' })).toBeEnabled();
  });
});

describe('DeployCard after a run', () => {
  it('shows the finished run without a plan or controls', async () => {
    const done = runFixture({
      state: 'done',
      steps: runStepsFixture(6, 'done'),
    });
    const api = fakeReleaseApi({
      getDeploy: jest.fn(async () =>
        deployViewFixture({ runs: [done], controls: controlsFixture() }),
      ),
    });
    await renderCard(api, { state: { state: 'done' } });
    const run = await screen.findByTestId('deploy-run');
    expect(run).toHaveAttribute('data-state', 'done');
    expect(run).toHaveTextContent('Deploy · prod · Done');
    expect(screen.queryByTestId('deploy-plan')).toBeNull();
    expect(api.getPlan).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Pause' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Deploy' })).toBeNull();
  });
});
