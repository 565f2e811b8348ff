import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { releaseApiRef } from '../api';
import { releaseTranslationRef } from '../translation';

/** One line saying whether the release backend answers, so a broken setup is seen at once. */
export const BackendStatus = () => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const { value, error } = useAsync(() => api.getHealth(), [api]);
  if (error) {
    return (
      <Typography role="alert" color="error" variant="body2">
        {t('backend.unreachable', { message: error.message })}
      </Typography>
    );
  }
  if (!value) return null;
  return (
    <Typography variant="body2" color="textSecondary">
      {t('backend.connected', {
        product: value.product,
        environments: value.environments.join(' → '),
      })}
    </Typography>
  );
};
