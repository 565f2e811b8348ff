import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { Box } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { ReleaseErrorMessage } from '../ReleaseError';
import { useTimedLoad } from '../releaseView';

/** The announcement exactly as it will be posted to the shared room, rendered by the backend. */
export const AnnouncementCard = (props: { id: string; revision: number }) => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  // The notes follow the release: read again whenever its revision moves.
  const timed = useTimedLoad();
  const notes = useAsyncRetry(
    () => timed(api.getNotes(props.id), t('releasePage.loading.notes')),
    [api, props.id, props.revision],
  );
  return (
    <InfoCard title={t('releasePage.announcement.title')}>
      {notes.error && (
        <ReleaseErrorMessage
          error={notes.error}
          title={t('releasePage.announcement.loadFailed')}
          onRetry={notes.retry}
        />
      )}
      {!notes.value && !notes.error && <Progress />}
      {notes.value && (
        <Box
          component="pre"
          p={2}
          m={0}
          bgcolor="background.default"
          style={{ whiteSpace: 'pre-wrap', fontFamily: 'inherit' }}
          data-testid="kop-release-announcement"
        >
          {notes.value.announcement}
        </Box>
      )}
    </InfoCard>
  );
};
