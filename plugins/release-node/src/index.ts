/**
 * Backend services and clients of the kop release portal, shared by release-backend and the
 * scaffolder module.
 *
 * @packageDocumentation
 */
export * from './config';
export * from './policyConfig';
export * from './http/retry';
export * from './http/SystemError';
export { causeOf, redactSecrets, urlForErrors } from './http/where';
export * from './argocd';
export * from './slack';
export * from './asana';
export * from './jenkins';
export * from './gitlab';
export * from './prometheus';
export * from './hybris';
export * from './gate';
export * from './integrations';
export * from './layout';
export * from './liveColour';
export * from './whatShips';
export * from './iac';
export * from './plan';
export * from './engine';
