import { useEffect, useState, type ReactNode } from 'react';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { abortRequestSchema } from '@internal/plugin-release-common';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  TextField,
} from '@material-ui/core';
import { releaseTranslationRef } from '../../translation';
import { ReleaseErrorMessage } from '../ReleaseError';

/** The bounds of every reason the deploy API takes (deploys.ts's reasonSchema), for the words. */
const REASON_MIN = 10;
const REASON_MAX = 2000;

/** The reason schema every deploy control shares; abort's is the same one. */
const reasonSchema = abortRequestSchema.shape.reason;

/** Whether the backend would take this reason. */
export function isValidReason(text: string): boolean {
  return reasonSchema.safeParse(text).success;
}

/**
 * Asks why before a control that needs a reason (or a comment), checks it as the backend will,
 * and stays open with the backend's refusal so the person can correct it.
 */
export const ReasonDialog = (props: {
  open: boolean;
  /** Names the dialog for tests, e.g. deploy-dialog-skip. */
  testId: string;
  title: string;
  text: ReactNode;
  /** The field's label; "Reason" unless given. */
  label?: string;
  confirm: string;
  onCancel: () => void;
  /** Sends the trimmed reason; the parent closes the dialog when it resolves. */
  onSubmit: (reason: string) => Promise<void>;
}) => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const [text, setText] = useState('');
  const [checked, setChecked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const fieldId = `${props.testId}-field`;

  // Every opening starts empty: a reason belongs to one press.
  useEffect(() => {
    if (!props.open) return;
    setText('');
    setChecked(false);
    setError(undefined);
  }, [props.open]);

  const valid = isValidReason(text);
  let problem: string | undefined;
  if (checked && !valid) {
    problem =
      text.trim().length > REASON_MAX
        ? t('releasePage.deploy.dialog.tooLong', { max: String(REASON_MAX) })
        : t('releasePage.deploy.dialog.tooShort', { min: String(REASON_MIN) });
  }

  const submit = async () => {
    setChecked(true);
    if (!valid) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.onSubmit(text.trim());
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open={props.open}
      onClose={busy ? undefined : props.onCancel}
      aria-labelledby={`${props.testId}-title`}
      data-testid={props.testId}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id={`${props.testId}-title`}>{props.title}</DialogTitle>
      <DialogContent>
        <DialogContentText>{props.text}</DialogContentText>
        <TextField
          id={fieldId}
          label={props.label ?? t('releasePage.deploy.dialog.reason')}
          value={text}
          onChange={e => setText(e.target.value)}
          error={!!problem}
          helperText={problem}
          disabled={busy}
          multiline
          minRows={2}
          fullWidth
          variant="outlined"
          margin="dense"
        />
        {error && <ReleaseErrorMessage error={error} />}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onCancel} disabled={busy}>
          {t('releasePage.deploy.dialog.cancel')}
        </Button>
        <Button
          variant="contained"
          color="primary"
          onClick={submit}
          disabled={busy}
          data-testid="deploy-dialog-confirm"
        >
          {props.confirm}
        </Button>
      </DialogActions>
    </Dialog>
  );
};
