import {
  Content,
  ContentHeader,
  Header,
  Link,
  Page,
  Progress,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import LinearProgress from '@material-ui/core/LinearProgress';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  releaseApiRef,
  type SetupCheckResult,
  type SystemCheckReport,
} from '../../api';
import { rootRouteRef } from '../../routes';
import { releaseTranslationRef } from '../../translation';
import { SETUP_CHECK_TIMEOUT_MS, withTimeout } from '../timeout';
import { LoadError } from '../LoadError';
import { StatusText } from '../StatusText';
import { useFormatters } from '../formatters';

const useStyles = makeStyles(theme => ({
  system: { padding: theme.spacing(2), marginBottom: theme.spacing(2) },
  check: {
    display: 'grid',
    gridTemplateColumns: 'minmax(180px, 1fr) 3fr',
    gap: theme.spacing(2),
    padding: theme.spacing(0.5, 0),
    [theme.breakpoints.down('sm')]: { gridTemplateColumns: '1fr' },
  },
  detail: { whiteSpace: 'pre-wrap', wordBreak: 'break-word' },
}));

function SystemReport(props: { system: SystemCheckReport }) {
  const { system } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(releaseTranslationRef);
  return (
    <Paper
      className={classes.system}
      variant="outlined"
      role="group"
      aria-label={system.system}
    >
      <Typography variant="h6" component="h3">
        <StatusText kind={system.ok ? 'ok' : 'error'}>
          {system.system}
          {!system.configured && ` (${t('setupPage.notConfigured')})`}
        </StatusText>
      </Typography>
      {system.checks.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          {t('setupPage.noChecks')}
        </Typography>
      )}
      {system.checks.map((check, index) => {
        return (
          <Box
            key={`${check.name}-${index}`}
            className={classes.check}
            data-testid={`check-${system.key}-${index}`}
          >
            <Typography variant="body2" component="div">
              <StatusText kind={check.ok ? 'ok' : 'error'}>
                {check.name}
              </StatusText>
            </Typography>
            <Typography
              variant="body2"
              className={classes.detail}
              color={check.ok ? 'textSecondary' : 'error'}
            >
              {check.detail}
            </Typography>
          </Box>
        );
      })}
    </Paper>
  );
}

function Summary(props: { result: SetupCheckResult }) {
  const { result } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatDateTime } = useFormatters();
  const failing = result.systems.filter(s => !s.ok).length;
  return (
    <Box mb={2}>
      <Typography variant="h6" component="p">
        <StatusText kind={result.ok ? 'ok' : 'error'}>
          {result.ok
            ? t('setupPage.allOk')
            : t('setupPage.notOk', {
                count: failing,
                total: String(result.systems.length),
              })}
        </StatusText>
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {t('setupPage.checkedAt', {
          time: formatDateTime(result.checkedAt),
        })}
      </Typography>
    </Box>
  );
}

/**
 * The result of `GET /setup-check`: one line per system and check, red or green, each failed
 * check's detail saying what to fix, and a button to check again.
 */
export const SetupCheckContent = () => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () =>
      withTimeout(
        api.getSetupCheck(),
        SETUP_CHECK_TIMEOUT_MS,
        t('loadErrors.timeout', {
          what: t('loadErrors.whatSetupCheck'),
          seconds: String(SETUP_CHECK_TIMEOUT_MS / 1000),
        }),
      ),
    [api],
  );
  let body;
  if (error) {
    body = <LoadError title={t('setupPage.loadFailed')} error={error} />;
  } else if (value) {
    body = (
      <>
        <Summary result={value} />
        {value.systems.map(system => (
          <SystemReport key={system.key} system={system} />
        ))}
      </>
    );
  } else {
    body = (
      <>
        <Typography variant="body2" color="textSecondary">
          {t('setupPage.checking')}
        </Typography>
        <Progress />
      </>
    );
  }
  return (
    <>
      <ContentHeader title={t('setupPage.title')}>
        <Button
          variant="outlined"
          color="primary"
          onClick={retry}
          disabled={loading}
        >
          {t('setupPage.checkAgain')}
        </Button>
      </ContentHeader>
      {loading && (value || error) && (
        <LinearProgress aria-label={t('setupPage.checking')} />
      )}
      {body}
    </>
  );
};

/** The setup page at /releases/setup. */
export const SetupPage = () => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const dashboardLink = useRouteRef(rootRouteRef);
  return (
    <Page themeId="tool">
      <Header title={t('setupPage.title')} subtitle={t('setupPage.subtitle')} />
      <Content>
        <Box mb={1}>
          <Link to={dashboardLink()}>{t('setupPage.backToDashboard')}</Link>
        </Box>
        <SetupCheckContent />
      </Content>
    </Page>
  );
};
