import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { Box, Chip, Typography } from '@material-ui/core';
import { Progress, WarningPanel } from '@backstage/core-components';
import useAsync from 'react-use/esm/useAsync';
import { releaseApiRef } from '../api';
import { releaseTranslationRef } from '../translation';
import { draftOf, type ReleaseFormData } from './draft';

/**
 * The review page: the announcement exactly as it will be posted, the Asana text, and who must
 * approve, rendered by the backend from the answers without storing anything.
 */
export const ReleasePreviewField = (
  props: FieldExtensionComponentProps<boolean>,
) => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const data = props.formContext?.formData as ReleaseFormData | undefined;
  const draft = data ? draftOf(data) : undefined;
  const key = JSON.stringify(draft ?? null);
  const state = useAsync(async () => {
    if (!draft) return undefined;
    return api.previewRelease(draft, data?.release?.environment);
  }, [api, key]);
  if (!draft) {
    return <Typography>{t('fields.preview.incomplete')}</Typography>;
  }
  if (state.loading) return <Progress />;
  if (state.error || !state.value) {
    return (
      <WarningPanel
        severity="error"
        title={t('fields.preview.failed')}
        message={state.error?.message}
      />
    );
  }
  const { notes, approvals, release } = state.value;
  return (
    <Box data-testid="kop-release-preview">
      <Typography variant="h6">{t('fields.preview.announcement')}</Typography>
      <Box
        component="pre"
        p={2}
        bgcolor="background.default"
        style={{ whiteSpace: 'pre-wrap' }}
        data-testid="kop-announcement"
      >
        {notes.announcement}
      </Box>
      <Typography variant="h6">{t('fields.preview.approvers')}</Typography>
      <Box my={1}>
        {approvals.map(a => (
          <Chip
            key={a.key}
            label={`${a.stage === 'approval' ? '' : `${a.stage}: `}${a.role}${
              a.teams.length ? ` (${a.teams.join(', ')})` : ''
            }${a.after ? ` · ${t('fields.preview.after')}` : ''}`}
            style={{ marginRight: 8 }}
          />
        ))}
      </Box>
      <Typography variant="body2">
        {t('fields.preview.grade', {
          grade: release.grade,
          floor: release.minimumGrade,
        })}
      </Typography>
      {state.value.iac && (
        <>
          <Typography variant="h6">
            {t('fields.preview.iac', {
              environment: state.value.iac.environment,
            })}
          </Typography>
          {state.value.iac.error ? (
            <WarningPanel
              severity="warning"
              title={t('fields.preview.iacFailed')}
              message={state.value.iac.error}
            />
          ) : (
            <Box
              component="pre"
              p={2}
              style={{ whiteSpace: 'pre-wrap', fontFamily: 'monospace' }}
              data-testid="kop-release-iac-diff"
            >
              {state.value.iac.diff}
            </Box>
          )}
        </>
      )}
      <Typography variant="h6">{t('fields.preview.asana')}</Typography>
      <Box component="pre" p={2} style={{ whiteSpace: 'pre-wrap' }}>
        {notes.asana}
      </Box>
    </Box>
  );
};
