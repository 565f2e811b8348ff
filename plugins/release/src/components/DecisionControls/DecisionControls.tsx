import { useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  ApprovalCheck,
  ApprovalStage,
  Release,
} from '@internal/plugin-release-common';
import { Box, Button, TextField, Typography } from '@material-ui/core';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { describeReleaseError, ReleaseErrorMessage } from '../ReleaseError';
import { shortFingerprint } from '../DeployCard/deployModel';

/** Whether a stage takes decisions now, and whether only a retro approval is possible. */
export function stageMode(
  release: Pick<Release, 'state' | 'retroApprovalPending'>,
  stage: ApprovalStage,
): 'decide' | 'retro' | 'closed' {
  if (stage === 'signoff') {
    return release.state === 'awaiting_signoff' ? 'decide' : 'closed';
  }
  if (release.state === 'awaiting_approval') return 'decide';
  return release.retroApprovalPending ? 'retro' : 'closed';
}

/**
 * Approve and Reject for one stage of one release, with a comment. Someone the policy refuses sees
 * the buttons disabled and the reason beside them; the backend checks again either way.
 */
export const DecisionControls = (props: {
  release: Pick<Release, 'id' | 'state' | 'retroApprovalPending'>;
  stage: ApprovalStage;
  /** The backend's answer to "may the signed-in user approve here". */
  check: ApprovalCheck;
  /** Called with the release as stored after the decision. */
  onDecided: (release: Release) => void;
  /** Reloads what the page shows (offered after a 409). */
  onReload: () => void;
  /** Called when the backend refused or failed; a refusal is audited, so the trail has news. */
  onFailed?: (error: Error) => void;
  /** Approve is held by something the page shows beside it (failed post-deploy tests); Reject stays. */
  approveBlocked?: boolean;
  /** The deploy plan an approval is given for: its fingerprint goes with the approval. */
  plan?: { value?: { fingerprint: string }; loading: boolean; error?: Error };
}) => {
  const { release, stage, check } = props;
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const [commentMissing, setCommentMissing] = useState(false);
  const mode = stageMode(release, stage);
  const plan = mode === 'decide' ? props.plan : undefined;
  // A different answer about this person (after a reload) makes an earlier failure stale.
  const checkKey = JSON.stringify(check);
  useEffect(() => setError(undefined), [checkKey]);
  const fieldId = `kop-decision-comment-${release.id}-${stage}`;

  if (mode === 'closed') return null;

  const refusal = check.ok
    ? undefined
    : {
        self: t('releasePage.approvals.refusedSelf'),
        already: t('releasePage.approvals.refusedAlready'),
        filled: t('releasePage.approvals.refusedFilled'),
        role: check.message,
      }[check.code];

  const submit = async (decision: 'approve' | 'reject') => {
    const text = comment.trim();
    if (decision === 'reject' && !text) {
      setCommentMissing(true);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const updated =
        mode === 'retro'
          ? await api.retroApprove(release.id, {
              comment: text || undefined,
            })
          : await api.decide(release.id, {
              decision,
              stage,
              comment: text || undefined,
              ...(decision === 'approve' && plan?.value?.fingerprint
                ? { fingerprint: plan.value.fingerprint }
                : {}),
            });
      setComment('');
      props.onDecided(updated);
    } catch (e) {
      setError(e as Error);
      props.onFailed?.(e as Error);
    } finally {
      setBusy(false);
    }
  };

  const disabled = busy || !check.ok;
  return (
    <Box mt={1} data-testid={`kop-decision-${stage}`}>
      {check.ok && (
        <TextField
          id={fieldId}
          label={t('releasePage.approvals.comment')}
          value={comment}
          onChange={e => {
            setComment(e.target.value);
            setCommentMissing(false);
          }}
          error={commentMissing}
          helperText={
            commentMissing
              ? t('releasePage.approvals.commentRequired')
              : undefined
          }
          disabled={busy}
          multiline
          fullWidth
          margin="dense"
          variant="outlined"
        />
      )}
      <Box display="flex" alignItems="center" style={{ gap: 8 }} mt={1}>
        <Button
          variant="contained"
          color="primary"
          // Waits for the plan, so the approval names the plan the approver saw.
          disabled={disabled || !!plan?.loading || !!props.approveBlocked}
          onClick={() => submit('approve')}
        >
          {mode === 'retro'
            ? t('releasePage.approvals.retroApprove')
            : t('releasePage.approvals.approve')}
        </Button>
        {plan?.value?.fingerprint && (
          <Typography
            variant="body2"
            title={plan.value.fingerprint}
            data-testid="kop-decision-fingerprint"
            data-fingerprint={plan.value.fingerprint}
          >
            {t('releasePage.approvals.planFingerprint', {
              fingerprint: shortFingerprint(plan.value.fingerprint),
            })}
          </Typography>
        )}
        {mode === 'decide' && (
          <Button
            variant="outlined"
            disabled={disabled}
            onClick={() => submit('reject')}
          >
            {t('releasePage.approvals.reject')}
          </Button>
        )}
      </Box>
      {plan?.error && (
        <Typography
          variant="body2"
          color="textSecondary"
          data-testid="kop-decision-plan-error"
        >
          {t('releasePage.approvals.planFailed', {
            message: describeReleaseError(plan.error).message,
          })}
        </Typography>
      )}
      {refusal && (
        <Typography
          variant="body2"
          color="textSecondary"
          data-testid="kop-decision-refusal"
        >
          {refusal}
        </Typography>
      )}
      {error && (
        <ReleaseErrorMessage
          error={error}
          // The buttons stay for another try; only a conflict needs fresh data first.
          onRetry={
            describeReleaseError(error).kind === 'conflict'
              ? () => {
                  setError(undefined);
                  props.onReload();
                }
              : undefined
          }
        />
      )}
    </Box>
  );
};
