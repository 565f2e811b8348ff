export { SetupPage, SetupCheckContent } from './SetupPage';
