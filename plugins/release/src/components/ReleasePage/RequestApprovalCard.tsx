import { useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { testStanding } from '@internal/plugin-release-common';
import type {
  GradePolicy,
  Release,
  ReleaseState,
} from '@internal/plugin-release-common';
import { Box, Button, Typography } from '@material-ui/core';
import useAsync from 'react-use/esm/useAsync';
import { releaseApiRef, type ReleaseApprovals } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { TestResults } from './StageResults';
import { describeReleaseError, ReleaseErrorMessage } from '../ReleaseError';
import { personOf, useStateLabel, useTimedLoad } from '../releaseView';

/** States before a release is sent for approval: the card shows in these, and asks in the last two. */
const beforeApproval: ReleaseState[] = ['draft', 'prepared', 'beta'];
const askable: ReleaseState[] = ['prepared', 'beta'];

/** Whether the card belongs on the page of a release in this state. */
export function showsRequestApproval(state: ReleaseState): boolean {
  return beforeApproval.includes(state);
}

/**
 * "Ask for approval" for the release's author while it is prepared or on beta, naming who will be
 * asked (the approval stage's requirements, with the policy's group behind each role). Anyone else,
 * or a release in another state, sees the button disabled and why; the backend checks again.
 */
export const RequestApprovalCard = (props: {
  release: Release;
  approvals?: ReleaseApprovals;
  /** Called with the release as stored after the request. */
  onRequested: (release: Release) => void;
  /** Reloads what the page shows (offered after a 409). */
  onReload: () => void;
  /** Called when the backend refused or failed; a refusal is audited, so the trail has news. */
  onFailed?: (error: Error) => void;
}) => {
  const { release, approvals } = props;
  const api = useApi(releaseApiRef);
  const identityApi = useApi(identityApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const stateLabel = useStateLabel();
  const timed = useTimedLoad();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const identity = useAsync(
    () => identityApi.getBackstageIdentity(),
    [identityApi],
  );
  // Only names the groups behind the roles; without it the roles alone still say who is asked.
  const policy = useAsync(
    (): Promise<GradePolicy> =>
      timed(api.getPolicy(), t('releasePage.loading.policy')),
    [api, timed],
  );

  const requirements =
    approvals?.stages.find(s => s.stage === 'approval')?.requirements ?? [];
  const afterwards =
    requirements.length > 0 && requirements.every(r => r.after);
  const user = identity.value?.userEntityRef;

  let refusal: string | undefined;
  if (user !== undefined && user !== release.author) {
    refusal = t('releasePage.requestApproval.notAuthor', {
      author: personOf(release.author),
    });
  } else if (!askable.includes(release.state)) {
    refusal = t('releasePage.requestApproval.wrongState', {
      state: stateLabel(release.state),
    });
  } else if (afterwards) {
    refusal = t('releasePage.requestApproval.afterwards', {
      grade: release.grade,
    });
  } else if (testStanding(release, 'payment').state === 'failed') {
    refusal = t('releasePage.stages.overridePaymentHelp');
  }

  const groupOf = (role: string) =>
    policy.value?.roles[role]?.group.replace(/^group:[^/]+\//, '');
  const apps = release.apps.map(a => a.app).join(', ');

  const ask = async () => {
    setBusy(true);
    setError(undefined);
    try {
      props.onRequested(await api.requestApproval(release.id));
    } catch (e) {
      setError(e as Error);
      props.onFailed?.(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <InfoCard title={t('releasePage.requestApproval.title')}>
      <Box data-testid="kop-request-approval">
        {requirements.length > 0 && !afterwards && (
          <>
            <Typography variant="body2">
              {t('releasePage.requestApproval.willAsk')}
            </Typography>
            <Box component="ul" my={1} pl={3}>
              {requirements.map(r => {
                const group = groupOf(r.role);
                let who: string = r.role;
                if (group) {
                  who =
                    r.scope === 'service'
                      ? t('releasePage.requestApproval.askService', {
                          role: r.role,
                          group,
                          apps,
                        })
                      : t('releasePage.requestApproval.askAny', {
                          role: r.role,
                          group,
                        });
                } else if (r.scope === 'service') {
                  who = t('releasePage.approvals.roleOfService', {
                    role: r.role,
                  });
                }
                return (
                  <Typography key={r.key} component="li" variant="body2">
                    {who}
                  </Typography>
                );
              })}
            </Box>
          </>
        )}
        <TestResults
          release={release}
          kind="payment"
          canOverride={user !== undefined && user === release.author}
          onChanged={props.onRequested}
        />
        <Button
          variant="contained"
          color="primary"
          // Disabled until the signed-in user is known, so nobody else ever gets it enabled.
          disabled={busy || user === undefined || refusal !== undefined}
          onClick={ask}
        >
          {t('releasePage.requestApproval.button')}
        </Button>
        {refusal && (
          <Typography
            variant="body2"
            color="textSecondary"
            data-testid="kop-request-approval-refusal"
          >
            {refusal}
          </Typography>
        )}
        {error && (
          <ReleaseErrorMessage
            error={error}
            title={t('releasePage.requestApproval.failed')}
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
    </InfoCard>
  );
};
