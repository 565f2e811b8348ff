import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { LineHalt } from '@internal/plugin-release-common';
import { Typography } from '@material-ui/core';
import { releaseTranslationRef } from '../../translation';
import { useFormatters } from '../formatters';
import { Notice } from '../Notice';
import { personOf } from '../releaseView';

/** Says that stop-the-line holds every release: who raised it, when and why. */
export const HaltBanner = (props: { halt: LineHalt }) => {
  const { halt } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatDateTime } = useFormatters();
  return (
    <Notice
      role="alert"
      severity="error"
      testId="kop-stop-the-line-banner"
      title={t('stopTheLine.bannerTitle')}
    >
      <Typography variant="body2">
        {t('stopTheLine.bannerDetail', {
          person: personOf(halt.by),
          at: formatDateTime(halt.at),
          reason: halt.reason,
        })}
      </Typography>
    </Notice>
  );
};
