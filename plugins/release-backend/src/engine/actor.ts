import type { Actor } from '../service/doors';

/**
 * The release engine as the actor of its audit rows; the person whose press it carries out is
 * named in each row's onBehalfOf. It holds no role, so no policy check ever passes for it.
 */
export const releaseEngineActor: Actor = Object.freeze({
  ref: 'plugin:release/engine',
  groups: [],
  isAdmin: false,
});
