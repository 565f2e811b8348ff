/**
 * Isomorphic types and pure functions of the kop release portal.
 *
 * @packageDocumentation
 */
export * from './apps';
export * from './announcement';
export * from './model';
export * from './notes';
export * from './permissions';
export * from './policy';
export * from './signals';
export * from './states';
export * from './status';
export * from './forms';
export * from './requests';
export * from './responses';
export * from './whatShips';
export * from './plan';
export * from './deploys';
export * from './stages';
export * from './messages';
export * from './qaRequest';
