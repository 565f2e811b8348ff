import { createTranslationRef } from '@backstage/core-plugin-api/alpha';

export const signInMessages = {
  title: 'kop release portal',
  subtitle: 'Local sign-in: pick the person you want to act as.',
  note: 'Open a private window to act as a second person side by side, e.g. an author and an approver.',
  loadFailed: 'The list of demo users could not be loaded: {{message}}',
  signInFailed: 'Signing in as {{user}} failed: {{message}}',
  gitlab: 'Sign in with GitLab',
} as const;

export const signInTranslationRef = createTranslationRef({
  id: 'kop-sign-in',
  messages: signInMessages,
  translations: { ko: () => import('./translation.ko') },
});
