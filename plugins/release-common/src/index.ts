/**
 * Isomorphic types and pure functions of the kop release portal.
 *
 * @packageDocumentation
 */
export * from './apps';
export * from './announcement';
