import type { ReactNode } from 'react';
import {
  FormControl,
  FormHelperText,
  FormLabel,
  MenuItem,
  TextField,
} from '@material-ui/core';

/** The fieldset every release form field sits in: its legend, its content, rjsf's errors. */
export function FieldFrame(props: {
  legend: ReactNode;
  rawErrors?: string[];
  children: ReactNode;
}) {
  return (
    <FormControl
      component="fieldset"
      fullWidth
      margin="normal"
      error={Boolean(props.rawErrors?.length)}
    >
      <FormLabel component="legend">{props.legend}</FormLabel>
      {props.children}
      {props.rawErrors?.map(e => (
        <FormHelperText key={e}>{e}</FormHelperText>
      ))}
    </FormControl>
  );
}

/** One drop-down of a release form field: a value picked from a list. */
export function ChoiceField(props: {
  id: string;
  label: ReactNode;
  value: string;
  options: Array<{ value: string; label: ReactNode }>;
  onChange(value: string): void;
  disabled?: boolean;
  fullWidth?: boolean;
  helperText?: ReactNode;
  /** Offers "" first with this label, shown even when nothing is picked. */
  empty?: ReactNode;
}) {
  const hasEmpty = props.empty !== undefined;
  return (
    <TextField
      select
      fullWidth={props.fullWidth}
      margin="dense"
      variant="outlined"
      id={props.id}
      label={props.label}
      value={props.value}
      disabled={props.disabled}
      helperText={props.helperText}
      {...(hasEmpty
        ? {
            SelectProps: { displayEmpty: true },
            InputLabelProps: { shrink: true },
          }
        : {})}
      onChange={e => props.onChange(e.target.value)}
    >
      {hasEmpty && <MenuItem value="">{props.empty}</MenuItem>}
      {props.options.map(o => (
        <MenuItem key={o.value} value={o.value}>
          {o.label}
        </MenuItem>
      ))}
    </TextField>
  );
}
