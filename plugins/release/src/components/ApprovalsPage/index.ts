export { ApprovalsPage } from './ApprovalsPage';
export { ApprovalsInbox } from './ApprovalsInbox';
