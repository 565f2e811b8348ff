import { useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { ResponseError } from '@backstage/errors';
import type { StopTheLine } from '@internal/plugin-release-common';
import { Box, Button, Typography } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { ReasonDialog } from '../DeployCard/ReasonDialog';
import { describeReleaseError } from '../ReleaseError';
import { LoadError } from '../LoadError';
import { useReleaseSignal } from '../releaseSignals';
import { useTimedLoad } from '../releaseView';

/** Reads the stop-the-line switch, again whenever a release changes (a halt pauses runs). */
export function useStopTheLine() {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const timed = useTimedLoad();
  const state = useAsyncRetry(
    async () => timed(api.getStopTheLine(), t('stopTheLine.loading')),
    [api, timed],
  );
  useReleaseSignal(() => state.retry());
  return state;
}

/**
 * The lead's switch that holds every release, raised or lifted with a reason. The backend decides
 * who may: after a 403 the button stays disabled with the backend's message.
 */
export const StopTheLineSwitch = (props: {
  line?: StopTheLine;
  /** Called with the switch as stored after raising or lifting it. */
  onSwitched: (line: StopTheLine) => void;
}) => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const [open, setOpen] = useState(false);
  const [refusal, setRefusal] = useState<string>();
  const halted = !!props.line?.halt;
  // The backend says who may toggle it; a 403 after pressing says the same, later.
  const why =
    refusal ??
    (props.line?.toggle?.enabled === false
      ? props.line.toggle.reason
      : undefined);

  const submit = async (reason: string) => {
    try {
      const line = halted
        ? await api.liftStopTheLine({ reason })
        : await api.stopTheLine({ reason });
      setOpen(false);
      props.onSwitched(line);
    } catch (e) {
      if (ResponseError.is(e) && e.statusCode === 403) {
        setOpen(false);
        setRefusal(describeReleaseError(e).message);
        return;
      }
      throw e;
    }
  };

  return (
    <Box display="flex" alignItems="center" style={{ gap: 8 }}>
      <Button
        variant={halted ? 'outlined' : 'contained'}
        color="secondary"
        disabled={!props.line || !!why}
        onClick={() => setOpen(true)}
        aria-describedby={why ? 'kop-stop-the-line-refusal' : undefined}
        data-testid="kop-stop-the-line"
        data-halted={String(halted)}
      >
        {halted ? t('stopTheLine.lift') : t('stopTheLine.raise')}
      </Button>
      {why && (
        <Typography
          id="kop-stop-the-line-refusal"
          variant="body2"
          color="textSecondary"
          data-testid="kop-stop-the-line-refusal"
        >
          {t('stopTheLine.refused', { message: why })}
        </Typography>
      )}
      <ReasonDialog
        open={open}
        testId="kop-stop-the-line-dialog"
        title={halted ? t('stopTheLine.lift') : t('stopTheLine.raise')}
        text={halted ? t('stopTheLine.liftText') : t('stopTheLine.raiseText')}
        confirm={
          halted ? t('stopTheLine.liftConfirm') : t('stopTheLine.raiseConfirm')
        }
        onCancel={() => setOpen(false)}
        onSubmit={submit}
      />
    </Box>
  );
};

/** Why the switch could not be read. */
export const StopTheLineError = (props: { error: Error }) => {
  const { t } = useTranslationRef(releaseTranslationRef);
  return <LoadError title={t('stopTheLine.loadFailed')} error={props.error} />;
};
