export { DeployCard } from './DeployCard';
