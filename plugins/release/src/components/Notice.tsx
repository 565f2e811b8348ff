import type { ReactNode } from 'react';
import { Box, Typography } from '@material-ui/core';

/**
 * A framed message that stands out on a card: stop-the-line, two live versions, a changed plan.
 * `alert` for what needs acting on now, `status` for what is only so.
 */
export const Notice = (props: {
  role: 'alert' | 'status';
  severity: 'error' | 'warning';
  testId: string;
  title: string;
  children?: ReactNode;
}) => (
  <Box
    role={props.role}
    data-testid={props.testId}
    my={1}
    p={1.5}
    border={props.severity === 'error' ? 2 : 1}
    borderColor={`${props.severity}.main`}
    borderRadius={4}
  >
    <Typography
      variant="subtitle2"
      color={props.severity === 'error' ? 'error' : 'textPrimary'}
    >
      {props.title}
    </Typography>
    {props.children}
  </Box>
);
