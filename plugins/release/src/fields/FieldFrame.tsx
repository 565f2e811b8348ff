import type { ReactNode } from 'react';
import { FormControl, FormHelperText, FormLabel } from '@material-ui/core';

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
