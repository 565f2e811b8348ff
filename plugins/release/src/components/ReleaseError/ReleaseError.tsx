import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { ResponseError } from '@backstage/errors';
import { Box, Button, Typography } from '@material-ui/core';
import { releaseTranslationRef } from '../../translation';
import { useFormatters } from '../formatters';

/** What a person can do about a failed call, by the backend's status. */
export type ReleaseErrorKind =
  | 'conflict'
  | 'forbidden'
  | 'notFound'
  | 'input'
  | 'unauthorized'
  | 'unavailable';

/** The kind of failure and the backend's own message (which names the field or the reason). */
export function describeReleaseError(error: Error): {
  kind: ReleaseErrorKind;
  message: string;
} {
  if (!ResponseError.is(error)) {
    return { kind: 'unavailable', message: error.message };
  }
  const message = error.cause?.message || error.message;
  const kinds: Record<number, ReleaseErrorKind> = {
    400: 'input',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'notFound',
    409: 'conflict',
  };
  return { kind: kinds[error.statusCode] ?? 'unavailable', message };
}

/**
 * When the next release window opens, from a refusal to deploy outside the windows (the backend
 * puts it in the error body as nextWindow.opensAt, an ISO time).
 */
export function nextWindowOf(error: Error): Date | undefined {
  if (!ResponseError.is(error)) return undefined;
  const next = error.body.error.nextWindow;
  if (!next || typeof next !== 'object' || Array.isArray(next)) {
    return undefined;
  }
  const opensAt =
    typeof next.opensAt === 'string' ? new Date(next.opensAt) : undefined;
  return opensAt && !Number.isNaN(opensAt.getTime()) ? opensAt : undefined;
}

/**
 * A failed call shown as something to act on: a 409 offers to reload, a 403 says why, anything
 * else says what failed and offers to try again.
 */
export const ReleaseErrorMessage = (props: {
  error: Error;
  /** What was being done, e.g. "Could not read the approvals"; defaults to the kind's title. */
  title?: string;
  /** Reloads the data (409) or repeats the call (anything else). */
  onRetry?: () => void;
}) => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatDateTime, formatRelative } = useFormatters();
  const { kind, message } = describeReleaseError(props.error);
  const nextWindow = nextWindowOf(props.error);
  const titles: Record<ReleaseErrorKind, string> = {
    conflict: t('releaseErrors.conflict'),
    forbidden: t('releaseErrors.forbidden'),
    notFound: t('releaseErrors.notFound'),
    input: t('releaseErrors.input'),
    unauthorized: t('releaseErrors.unauthorized'),
    unavailable: t('releaseErrors.unavailable'),
  };
  const retryable = kind === 'conflict' || kind === 'unavailable';
  return (
    <Box
      role="alert"
      data-testid="kop-release-error"
      data-kind={kind}
      my={1}
      p={2}
      border={1}
      borderColor="error.main"
      borderRadius={4}
    >
      <Typography variant="subtitle2" color="error">
        {props.title ?? titles[kind]}
      </Typography>
      {props.title && <Typography variant="body2">{titles[kind]}</Typography>}
      <Typography variant="body2">{message}</Typography>
      {nextWindow && (
        <Typography variant="body2" data-testid="kop-next-window">
          {t('releaseErrors.nextWindow', {
            // The reader's own zone, named, beside the backend's wall clock of the window's zone.
            at: formatDateTime(nextWindow, {
              weekday: 'short',
              day: 'numeric',
              month: 'short',
              hour: '2-digit',
              minute: '2-digit',
              timeZoneName: 'short',
            }),
            relative: formatRelative(nextWindow),
          })}
        </Typography>
      )}
      {kind === 'conflict' && (
        <Typography variant="body2">
          {t('releaseErrors.conflictHint')}
        </Typography>
      )}
      {props.onRetry && retryable && (
        <Box mt={1}>
          <Button variant="outlined" size="small" onClick={props.onRetry}>
            {kind === 'conflict'
              ? t('releaseErrors.reload')
              : t('releaseErrors.retry')}
          </Button>
        </Box>
      )}
    </Box>
  );
};
