export { PendingApprovals } from './PendingApprovals';
