import { InfoCard, Progress, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { Box } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { ReleaseErrorMessage } from '../ReleaseError';
import { useTimedLoad } from '../releaseView';

/** The IaC change the release ends with in its environment, read against the IaC branch now. */
export const IacDiffCard = (props: {
  id: string;
  revision: number;
  environment: string;
}) => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const timed = useTimedLoad();
  const iac = useAsyncRetry(
    () =>
      timed(
        api.getReleaseIac(props.id, props.environment),
        t('releasePage.iac.loading'),
      ),
    [api, props.id, props.revision, props.environment],
  );
  return (
    <InfoCard
      title={t('releasePage.iac.title', { environment: props.environment })}
    >
      {iac.error && (
        <ReleaseErrorMessage
          error={iac.error}
          title={t('releasePage.iac.loadFailed')}
          onRetry={iac.retry}
        />
      )}
      {!iac.value && !iac.error && <Progress />}
      {iac.value?.error && (
        <WarningPanel
          severity="warning"
          title={t('releasePage.iac.cannotShow')}
          message={iac.value.error}
        />
      )}
      {iac.value && !iac.value.error && (
        <Box
          component="pre"
          p={2}
          m={0}
          bgcolor="background.default"
          style={{ whiteSpace: 'pre-wrap', fontFamily: 'monospace' }}
          data-testid="kop-release-page-iac-diff"
        >
          {iac.value.diff || t('releasePage.iac.nothing')}
        </Box>
      )}
    </InfoCard>
  );
};
