export { ApprovalsPage } from './ApprovalsPage';
export { PendingApprovals } from './PendingApprovals';
