export { ReleasePage } from './ReleasePage';
