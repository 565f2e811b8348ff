import { createFrontendModule } from '@backstage/frontend-plugin-api';
import {
  SignInPageBlueprint,
  TranslationBlueprint,
} from '@backstage/plugin-app-react';
import { signInMessagesKo } from './translation';

export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [
    SignInPageBlueprint.make({
      params: {
        loader: async () =>
          import('./KopSignInPage').then(m => m.KopSignInPage),
      },
    }),
    TranslationBlueprint.make({
      name: 'kop-sign-in-ko',
      params: { resource: signInMessagesKo },
    }),
  ],
});
