export { argoCdContract, type ArgoCdDefinition } from './argocd';
export {
  expectFits,
  expectKnownFields,
  type Fits,
  type OmitPath,
  type UnknownFields,
} from './fits';
