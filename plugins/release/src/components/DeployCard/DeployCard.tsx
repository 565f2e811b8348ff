import { useState, type ReactNode } from 'react';
import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  DeployControlName,
  DeployPlanStep,
  DeployRunStepView,
  DeployRunView,
  DeployView,
  Release,
} from '@internal/plugin-release-common';
import {
  Accordion,
  AccordionDetails,
  AccordionSummary,
  Box,
  Button,
  Typography,
} from '@material-ui/core';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { useFormatters } from '../formatters';
import { describeReleaseError, ReleaseErrorMessage } from '../ReleaseError';
import { Notice } from '../Notice';
import { personOf, useReleaseConfig } from '../releaseView';
import { HaltBanner } from '../StopTheLine';
import { isActiveRun, planStates, withRun } from './deployModel';
import { PlanSteps } from './PlanSteps';
import { ReasonDialog } from './ReasonDialog';
import { RebasedPlan } from './RebasedPlan';
import { RunSteps } from './RunSteps';
import { useDeployPlan } from './useDeployPlan';
import { useDeployView } from './useDeployView';

/** The presses that ask for a reason or a comment first. */
type DialogKind = 'deploy' | 'resume' | 'skip' | 'abort' | 'acknowledge';

/** A button for one of the view's controls, disabled with the backend's reason beside it. */
const ControlButton = (props: {
  name: DeployControlName;
  view: DeployView;
  busy: boolean;
  /** A further condition of the page's own, e.g. a plan to deploy. */
  blocked?: boolean;
  primary?: boolean;
  onPress: () => void;
}) => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const control = props.view.controls[props.name];
  const enabled = !!control?.enabled && !props.blocked;
  const reasonId = `deploy-control-reason-${props.name}`;
  return (
    <Box display="inline-flex" flexDirection="column" maxWidth={320}>
      <Button
        variant={props.primary ? 'contained' : 'outlined'}
        color={props.primary ? 'primary' : 'default'}
        disabled={!enabled || props.busy}
        onClick={props.onPress}
        aria-describedby={
          !control?.enabled && control?.reason ? reasonId : undefined
        }
        data-testid={`deploy-control-${props.name}`}
      >
        {t(`releasePage.deploy.controls.${props.name}`)}
      </Button>
      {!control?.enabled && control?.reason && (
        <Typography
          id={reasonId}
          variant="caption"
          color="textSecondary"
          data-testid={reasonId}
        >
          {control.reason}
        </Typography>
      )}
    </Box>
  );
};

const Controls = (props: { children: ReactNode }) => (
  <Box
    display="flex"
    flexWrap="wrap"
    alignItems="flex-start"
    style={{ gap: 8 }}
    my={1}
  >
    {props.children}
  </Box>
);

/** The plan could not be computed (a 409 says why, e.g. IaC and Argo CD disagree on the live colour). */
const PlanError = (props: { error: Error; onRetry: () => void }) => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const { kind, message } = describeReleaseError(props.error);
  if (kind !== 'conflict') {
    return (
      <ReleaseErrorMessage
        error={props.error}
        title={t('releasePage.deploy.planFailed')}
        onRetry={props.onRetry}
      />
    );
  }
  return (
    <Notice
      role="alert"
      severity="error"
      testId="deploy-plan-error"
      title={t('releasePage.deploy.planFailed')}
    >
      <Typography variant="body2">{message}</Typography>
      <Box mt={1}>
        <Button variant="outlined" size="small" onClick={props.onRetry}>
          {t('releaseErrors.retry')}
        </Button>
      </Box>
    </Notice>
  );
};

/**
 * The release's Deploy card, the cockpit of the release engine: before a run the plan for prod and
 * Deploy; during and after, the run's steps with their readings and the controls the backend
 * allows; stop-the-line and two live versions as banners; earlier runs collapsed below. It reads
 * again on every signal for the release and every few seconds while a run moves.
 */
export const DeployCard = (props: {
  release: Release;
  /** Reloads the page after a press: the release's state and audit trail changed. */
  onChanged: () => void;
}) => {
  const { release } = props;
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const { environments } = useReleaseConfig();
  const { formatDateTime } = useFormatters();
  const { view, error, reload, show } = useDeployView(
    release.id,
    release.revision,
  );
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<{
    control: DeployControlName;
    error: Error;
  }>();
  const [dialog, setDialog] = useState<{
    kind: DialogKind;
    step?: DeployRunStepView;
    planStep?: DeployPlanStep;
  }>();

  const runs = view?.runs ?? [];
  const activeRun = isActiveRun(runs[0]) ? runs[0] : undefined;
  const wantsPlan = !!view && !activeRun && planStates.includes(release.state);
  // A prepared release is tried on beta first: the card shows that plan and Deploy to beta.
  const onBeta = !!view?.controls.deployBeta?.enabled;
  const deployControl: DeployControlName = onBeta ? 'deployBeta' : 'deploy';
  const plan = useDeployPlan(
    release,
    wantsPlan,
    onBeta ? environments[0] : undefined,
  );
  const shownRun = activeRun ?? (wantsPlan ? undefined : runs[0]);
  const previous = runs.filter(r => r !== shownRun);

  /** Shows what a control answered with at once, then reads everything again. */
  const answered = (next: (current: DeployView) => DeployView) => {
    show(next);
    reload();
    props.onChanged();
  };
  const landed = (run: DeployRunView) =>
    answered(current => ({ ...current, runs: withRun(current.runs, run) }));

  const act = async (control: DeployControlName, work: () => Promise<void>) => {
    setBusy(true);
    setFailure(undefined);
    try {
      await work();
    } catch (e) {
      setFailure({ control, error: e as Error });
    } finally {
      setBusy(false);
    }
  };
  const press = (
    control: DeployControlName,
    work: () => Promise<DeployRunView>,
  ) => act(control, async () => landed(await work()));

  // A run stopped on someone else's change resumes with its new plan, named by the fingerprint shown.
  const rebase =
    view?.rebase?.runId === activeRun?.id ? view?.rebase : undefined;
  const rebasedFingerprint = rebase?.plan?.fingerprint;
  const resumeRequest = (reason?: string) => ({
    ...(reason ? { reason } : {}),
    ...(rebasedFingerprint ? { fingerprint: rebasedFingerprint } : {}),
  });
  const askApproval = () =>
    act('requestApproval', async () => {
      const next = await api.requestRebasedApproval(
        release.id,
        rebase?.runId ?? '',
        { fingerprint: rebasedFingerprint ?? '' },
      );
      answered(() => next);
    });

  // Deploy is enabled only with a plan: its fingerprint says which plan the person saw.
  const deploy = (reason?: string) =>
    api.deploy(release.id, {
      environment: plan.value?.environment ?? plan.environment,
      fingerprint: plan.value?.fingerprint ?? '',
      ...(reason ? { reason } : {}),
    });

  const submitDialog = async (reason: string) => {
    if (!dialog) return;
    const runId = activeRun?.id ?? '';
    if (dialog.kind === 'acknowledge') {
      const next = await api.acknowledge(release.id, {
        subject: 'db-schema',
        comment: reason,
      });
      answered(() => next);
    } else if (dialog.kind === 'deploy') {
      landed(await deploy(reason));
    } else if (dialog.kind === 'resume') {
      landed(
        await api.controlRun(
          release.id,
          runId,
          'resume',
          resumeRequest(reason),
        ),
      );
    } else if (dialog.kind === 'skip') {
      landed(
        await api.controlRun(release.id, runId, 'skip', {
          step: dialog.step?.index,
          reason,
        }),
      );
    } else {
      landed(await api.abort(release.id, { reason }));
    }
    setDialog(undefined);
  };

  const needsReason = (name: DeployControlName) =>
    !!view?.controls[name]?.needsReason;

  const onDeploy = () =>
    needsReason(deployControl)
      ? setDialog({ kind: 'deploy' })
      : press(deployControl, () => deploy());

  const onResume = (run: DeployRunView) =>
    needsReason('resume')
      ? setDialog({ kind: 'resume' })
      : press('resume', () =>
          api.controlRun(release.id, run.id, 'resume', resumeRequest()),
        );

  const stepControls = (step: DeployRunStepView, planStep?: DeployPlanStep) => {
    if (!view || !activeRun || !['failed', 'waiting'].includes(step.state)) {
      return null;
    }
    const acknowledging =
      step.state === 'waiting' && planStep?.gate.type === 'acknowledgement';
    return (
      <Controls>
        {step.state === 'failed' && (
          <ControlButton
            name="retry"
            view={view}
            busy={busy}
            primary
            onPress={() =>
              press('retry', () =>
                api.controlRun(release.id, activeRun.id, 'retry', {
                  step: step.index,
                }),
              )
            }
          />
        )}
        {acknowledging && (
          <ControlButton
            name="acknowledge"
            view={view}
            busy={busy}
            primary
            onPress={() => setDialog({ kind: 'acknowledge', step, planStep })}
          />
        )}
        <ControlButton
          name="skip"
          view={view}
          busy={busy}
          onPress={() => setDialog({ kind: 'skip', step, planStep })}
        />
      </Controls>
    );
  };

  const dialogs: Record<
    DialogKind,
    { title: string; text: string; confirm: string; label?: string }
  > = {
    deploy: {
      title: t('releasePage.deploy.dialog.deployTitle'),
      text: t('releasePage.deploy.dialog.deployText'),
      confirm: t('releasePage.deploy.dialog.deployConfirm'),
    },
    resume: {
      title: t('releasePage.deploy.dialog.resumeTitle'),
      text: t('releasePage.deploy.dialog.resumeText'),
      confirm: t('releasePage.deploy.dialog.resumeConfirm'),
    },
    skip: {
      title: t('releasePage.deploy.dialog.skipTitle', {
        step: dialog?.planStep?.title ?? dialog?.step?.stepId ?? '',
      }),
      text: t('releasePage.deploy.dialog.skipText'),
      confirm: t('releasePage.deploy.dialog.skipConfirm'),
    },
    abort: {
      title: t('releasePage.deploy.dialog.abortTitle'),
      text: t('releasePage.deploy.dialog.abortText'),
      confirm: t('releasePage.deploy.dialog.abortConfirm'),
    },
    acknowledge: {
      title: t('releasePage.deploy.dialog.acknowledgeTitle'),
      text: t('releasePage.deploy.dialog.acknowledgeText'),
      confirm: t('releasePage.deploy.dialog.acknowledgeConfirm'),
      label: t('releasePage.deploy.dialog.comment'),
    },
  };
  const shownDialog = dialogs[dialog?.kind ?? 'abort'];

  const abortButton = view && (
    <ControlButton
      name="abort"
      view={view}
      busy={busy}
      onPress={() => setDialog({ kind: 'abort' })}
    />
  );

  return (
    <InfoCard title={t('releasePage.deploy.title')}>
      <Box data-testid="kop-deploy-controls" data-release-state={release.state}>
        {view?.halt && <HaltBanner halt={view.halt} />}
        {view?.twoVersionsLive && (
          <Notice
            role="status"
            severity="warning"
            testId="deploy-two-versions"
            title={t('releasePage.deploy.twoVersionsLive')}
          >
            <Typography variant="body2">
              {t('releasePage.deploy.twoVersionsLiveDetail')}
            </Typography>
          </Notice>
        )}
        {error && (
          <ReleaseErrorMessage
            error={error}
            title={t('releasePage.deploy.loadFailed')}
            onRetry={reload}
          />
        )}
        {!view && !error && <Progress />}
        {failure && (
          <ReleaseErrorMessage
            error={failure.error}
            title={t('releasePage.deploy.actionFailed', {
              control: t(`releasePage.deploy.controls.${failure.control}`),
            })}
            onRetry={() => {
              setFailure(undefined);
              reload();
              plan.retry();
            }}
          />
        )}

        {view && wantsPlan && (
          <Box>
            {plan.error && (
              <PlanError error={plan.error} onRetry={plan.retry} />
            )}
            {plan.loading && !plan.value && <Progress />}
            {plan.value && (
              <PlanSteps
                plan={plan.value}
                approvedFingerprint={view.approvedFingerprint}
              />
            )}
            <Controls>
              <ControlButton
                name={deployControl}
                view={view}
                busy={busy}
                blocked={!plan.value}
                primary
                onPress={onDeploy}
              />
              {view.controls.abort?.enabled && abortButton}
            </Controls>
          </Box>
        )}

        {view && shownRun && (
          <Box mt={1}>
            {rebase && shownRun === activeRun && (
              <RebasedPlan
                rebase={rebase}
                approvedFingerprint={view.approvedFingerprint}
              />
            )}
            {shownRun === activeRun && (
              <Controls>
                {rebase && (
                  <ControlButton
                    name="requestApproval"
                    view={view}
                    busy={busy}
                    primary
                    onPress={askApproval}
                  />
                )}
                <ControlButton
                  name="pause"
                  view={view}
                  busy={busy}
                  onPress={() =>
                    press('pause', () =>
                      api.controlRun(release.id, shownRun.id, 'pause', {}),
                    )
                  }
                />
                <ControlButton
                  name="resume"
                  view={view}
                  busy={busy}
                  onPress={() => onResume(shownRun)}
                />
                {abortButton}
              </Controls>
            )}
            <RunSteps run={shownRun} stepControls={stepControls} />
          </Box>
        )}

        {view && !wantsPlan && !shownRun && (
          <Typography variant="body2" color="textSecondary">
            {t('releasePage.deploy.noRun')}
          </Typography>
        )}

        {view && view.acknowledgements.length > 0 && (
          <Box mt={2} data-testid="deploy-acknowledgements">
            <Typography variant="subtitle2">
              {t('releasePage.deploy.acknowledgements')}
            </Typography>
            {view.acknowledgements.map(a => (
              <Typography key={`${a.by}-${a.at}`} variant="body2">
                {t('releasePage.deploy.acknowledgement', {
                  person: personOf(a.by),
                  at: formatDateTime(a.at),
                  comment: a.comment,
                })}
              </Typography>
            ))}
          </Box>
        )}

        {previous.length > 0 && (
          <Box mt={2}>
            {/* Unmounted while closed: an old run's steps must not answer for the current one's test ids. */}
            <Accordion
              TransitionProps={{ unmountOnExit: true }}
              data-testid="deploy-previous-runs"
            >
              <AccordionSummary expandIcon={<ExpandMoreIcon />}>
                <Typography variant="subtitle2">
                  {t('releasePage.deploy.run.previous', {
                    runs: String(previous.length),
                  })}
                </Typography>
              </AccordionSummary>
              <AccordionDetails>
                <Box
                  display="flex"
                  flexDirection="column"
                  width="100%"
                  style={{ gap: 16 }}
                >
                  {previous.map(run => (
                    <RunSteps key={run.id} run={run} />
                  ))}
                </Box>
              </AccordionDetails>
            </Accordion>
          </Box>
        )}

        <ReasonDialog
          open={!!dialog}
          testId={`deploy-dialog-${dialog?.kind ?? 'closed'}`}
          title={shownDialog.title}
          text={shownDialog.text}
          label={shownDialog.label}
          confirm={shownDialog.confirm}
          onCancel={() => setDialog(undefined)}
          onSubmit={submitDialog}
        />
      </Box>
    </InfoCard>
  );
};
